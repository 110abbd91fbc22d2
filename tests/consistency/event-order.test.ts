import { onlyIn, skipUnless } from '../helpers/skips.js';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  sendMessage,
  type TestMessage,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';
import { sleep, socketPool, type RecordedSocket } from '../helpers/sockets.js';
import { png, upload } from '../files/support.js';
import { barrier } from '../realtime/support.js';
import { notConsecutive, notIncreasing, oneTo } from './support.js';

// SPEC.md "Consistency", Order: one socket receives the message events of one room in increasing `rev`
// order (so new messages in `seq` order), whatever mix of text, replies and files was sent, over REST or
// sockets. Before the fix each path emitted when it was done: a reply or a file message (which needs a
// second query for its view) reached sockets after plain messages sent after it.

const MESSAGE_EVENTS = ['new-message', 'message-updated', 'message-deleted', 'message-reaction'];

interface RoomEvent {
  event: string;
  rev: number;
  seq?: number;
}

/** The message events of one room a socket received, in arrival order. */
function roomEvents(s: RecordedSocket, roomId: string): RoomEvent[] {
  return s.received
    .filter((e) => MESSAGE_EVENTS.includes(e.event))
    .map((e) => ({
      event: e.event,
      payload: e.payload as { room: string; rev: number; seq: number },
    }))
    .filter((e) => e.payload.room === roomId)
    .map(({ event, payload }) => ({
      event,
      rev: payload.rev,
      seq: event === 'new-message' ? payload.seq : undefined,
    }));
}

let t: TestApp;
const sockets = socketPool();

beforeAll(async () => {
  t = await startTestApp({ env: { SOCKET_EVENT_LIMIT: '1000000' } });
});
afterEach(() => sockets.closeAll());
afterAll(async () => {
  await t?.stop();
});

describe('message events of a room reach each socket in rev order', () => {
  const ROUNDS = 8;
  let alice: TestUser;
  let bob: TestUser;
  let room: TestRoom;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([createUser(t), createUser(t)]);
    room = await createRoom(t, alice, { type: 'private', members: [bob] });
  });

  it(`${ROUNDS} rounds of concurrent text, replies, files, edits, reactions and deletions over REST and sockets: every socket gets every change once, rev and seq increasing without gap`, async () => {
    // Two users, three sockets each; the room is fresh: its first events come from round 1.
    const aliceSockets = await Promise.all(
      [1, 2, 3].map(() => sockets.connect(t.url, alice.accessToken)),
    );
    const bobSockets = await Promise.all(
      [1, 2, 3].map(() => sockets.connect(t.url, bob.accessToken)),
    );
    const all = [...aliceSockets, ...bobSockets];
    const failures: { round: number; what: string; status: unknown; body: unknown }[] = [];

    async function rest(round: number, user: TestUser, content: string, replyTo?: string) {
      const res = await t.http
        .post('/api/messages')
        .set(user.auth)
        .send({ room: room.id, content, ...(replyTo ? { replyTo } : {}) });
      if (res.status !== 201)
        failures.push({ round, what: content, status: res.status, body: res.body });
      return res.body.data as TestMessage;
    }
    async function viaSocket(round: number, s: RecordedSocket, content: string, replyTo?: string) {
      const ack = await s.ack<TestMessage>('send-message', {
        room: room.id,
        content,
        ...(replyTo ? { replyTo } : {}),
      });
      if (!ack.success) failures.push({ round, what: content, status: 'ack', body: ack.error });
      return ack.data!;
    }
    async function file(round: number, user: TestUser, name: string) {
      const res = await upload(t, user, await png(), name, { room: room.id, caption: name });
      if (res.status !== 201)
        failures.push({ round, what: name, status: res.status, body: res.body });
      return res.body.data?.message as TestMessage;
    }
    async function change(
      round: number,
      what: string,
      req: Promise<{ status: number; body: unknown }>,
    ) {
      const res = await req;
      if (res.status !== 200) failures.push({ round, what, status: res.status, body: res.body });
    }

    let previous: Record<string, TestMessage> | undefined;
    for (let round = 1; round <= ROUNDS; round += 1) {
      const p = previous;
      const work: Promise<[string, TestMessage | undefined]>[] = [
        rest(round, alice, `a rest 1 r${round}`).then((m) => ['aRest1', m]),
        rest(round, alice, `a rest 2 r${round}`).then((m) => ['aRest2', m]),
        viaSocket(round, aliceSockets[0]!, `a sock 1 r${round}`).then((m) => ['aSock1', m]),
        viaSocket(round, aliceSockets[1]!, `a sock 2 r${round}`).then((m) => ['aSock2', m]),
        rest(round, bob, `b rest 1 r${round}`).then((m) => ['bRest1', m]),
        viaSocket(round, bobSockets[0]!, `b sock 1 r${round}`).then((m) => ['bSock1', m]),
        file(round, alice, `a-${round}.png`).then((m) => ['aFile', m]),
        file(round, bob, `b-${round}.png`).then((m) => ['bFile', m]),
      ];
      if (p) {
        work.push(
          rest(round, alice, `a reply r${round}`, p.bRest1!.id).then((m) => ['aReply', m]),
          viaSocket(round, bobSockets[1]!, `b reply r${round}`, p.aSock2!.id).then((m) => [
            'bReply',
            m,
          ]),
          change(
            round,
            'edit',
            t.http
              .put(`/api/messages/${p.aSock1!.id}`)
              .set(alice.auth)
              .send({ content: `edited r${round}` }),
          ).then(() => ['edit', undefined]),
          change(
            round,
            'delete',
            t.http.delete(`/api/messages/${p.aRest1!.id}`).set(alice.auth),
          ).then(() => ['delete', undefined]),
          change(
            round,
            'react bob',
            t.http.post(`/api/messages/${p.aRest2!.id}/react`).set(bob.auth).send({ emoji: '👍' }),
          ).then(() => ['reactBob', undefined]),
          change(
            round,
            'react alice',
            t.http
              .post(`/api/messages/${p.aRest2!.id}/react`)
              .set(alice.auth)
              .send({ emoji: '🎉' }),
          ).then(() => ['reactAlice', undefined]),
        );
      }
      previous = Object.fromEntries(
        (await Promise.all(work)).filter((e): e is [string, TestMessage] => e[1] !== undefined),
      );
    }
    expect(failures).toEqual([]);

    // Every change so far has reached every socket once the marker (the last change) has.
    await barrier(t, alice, room.id, all);
    const finalRev = (await t.http.get(`/api/messages?room=${room.id}&limit=1`).set(alice.auth))
      .body.data[0].rev as number;

    for (const s of all) {
      const events = roomEvents(s, room.id);
      const revs = events.map((e) => e.rev);
      const seqs = events.filter((e) => e.event === 'new-message').map((e) => e.seq!);
      expect({ revsOutOfOrder: notIncreasing(revs), seqsOutOfOrder: notConsecutive(seqs) }).toEqual(
        {
          revsOutOfOrder: [],
          seqsOutOfOrder: [],
        },
      );
      expect(revs).toEqual(oneTo(finalRev));
      expect(seqs[0]).toBe(1);
    }
  }, 180_000);
});

// The view of a reply or a file message takes a second query after the commit. Whatever that costs,
// a message committed after it must not reach sockets before it. To make that query slow on purpose,
// a second connection holds an exclusive lock on message_reactions (read for the view, never written by
// a send) while the next plain message is sent. PGlite has a single connection: PostgreSQL only.
const slowView = skipUnless(onlyIn('pg'));
describe.skipIf(slowView.skip)(slowView.title('a slow view of a reply or file message'), () => {
  let alice: TestUser;
  let bob: TestUser;
  let locker: pg.Client;
  let watcher: pg.Client;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([createUser(t), createUser(t)]);
    watcher = new pg.Client({ connectionString: t.testDb.url });
    await watcher.connect();
  });
  afterEach(async () => {
    await locker?.end().catch(() => {});
  });
  afterAll(async () => {
    await watcher?.end();
  });

  /** Holds an exclusive lock on message_reactions until `release`. */
  async function holdReactionsLock(): Promise<{ release(): Promise<void> }> {
    locker = new pg.Client({ connectionString: t.testDb.url });
    await locker.connect();
    await locker.query('begin');
    await locker.query('lock table message_reactions in access exclusive mode');
    return { release: () => locker.query('commit').then(() => undefined) };
  }

  /** Waits until `count` messages of the room are committed. */
  async function committed(roomId: string, count: number): Promise<void> {
    for (let i = 0; i < 500; i += 1) {
      const { rows } = await watcher.query<{ n: string }>(
        'select count(*) as n from messages where room_id = $1',
        [roomId],
      );
      if (Number(rows[0]!.n) >= count) return;
      await sleep(10);
    }
    throw new Error(`room ${roomId} never had ${count} messages`);
  }

  const newMessageSeqs = (s: RecordedSocket, roomId: string) =>
    s.payloads<TestMessage>('new-message', (m) => m.room === roomId).map((m) => m.seq);

  it('a file uploaded as the first message of a room reaches sockets before a text message sent after it', async () => {
    const room = await createRoom(t, alice, { type: 'private', members: [bob] });
    const bobSocket = await sockets.connect(t.url, bob.accessToken);
    const lock = await holdReactionsLock();
    const uploading = upload(t, alice, await png(), 'first.png', { room: room.id }).then((r) => r);
    await committed(room.id, 1);
    const text = await sendMessage(t, bob, room.id, 'sent after the file was stored');
    expect(text.seq).toBe(2);
    await sleep(100);
    await lock.release();
    expect((await uploading).status).toBe(201);
    await barrier(t, alice, room.id, [bobSocket]);
    expect(newMessageSeqs(bobSocket, room.id)).toEqual([1, 2, 3]);
  });

  it('a reply whose view takes longer than the gap wait reaches sockets before a text message sent after it', async () => {
    const room = await createRoom(t, alice, { type: 'private', members: [bob] });
    const bobSocket = await sockets.connect(t.url, bob.accessToken);
    const parent = await sendMessage(t, bob, room.id, 'the parent');
    await bobSocket.waitFor<TestMessage>('new-message', (m) => m.id === parent.id);
    const lock = await holdReactionsLock();
    const replying = t.http
      .post('/api/messages')
      .set(alice.auth)
      .send({ room: room.id, content: 'the reply', replyTo: parent.id })
      .then((r) => r);
    await committed(room.id, 2);
    const text = await sendMessage(t, bob, room.id, 'sent after the reply was stored');
    expect(text.seq).toBe(3);
    await sleep(800); // longer than ROOM_EVENT_GAP_MS (500)
    await lock.release();
    expect((await replying).status).toBe(201);
    await barrier(t, alice, room.id, [bobSocket]);
    expect(newMessageSeqs(bobSocket, room.id)).toEqual([1, 2, 3, 4]);
  });
});
