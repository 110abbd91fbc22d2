import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  sendMessage,
  sendMessages,
  type TestMessage,
  type TestTombstone,
  type TestUser,
} from '../helpers/factories.js';
import { socketPool } from '../helpers/sockets.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let stranger: TestUser;
const sockets = socketPool();

beforeAll(async () => {
  t = await startTestApp();
  [alice, bob, stranger] = [await createUser(t), await createUser(t), await createUser(t)];
});
afterEach(() => sockets.closeAll());
afterAll(async () => {
  await t?.stop();
});

type Item = TestMessage | TestTombstone;
type SyncEntry =
  { room: string; messages: Item[]; hasMore: boolean } | { room: string; error: { code: string } };

async function sync(token: string, rooms: { room: string; after: number }[]) {
  const s = await sockets.connect(t.url, token);
  const reply = await s.ack<SyncEntry[]>('sync', { rooms });
  expect(reply.success).toBe(true);
  return reply.data!;
}

const seqs = (items: Item[]) => items.map((m) => m.seq);
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

describe('sync', () => {
  it('returns the messages after the given seq, oldest first, with a tombstone for a deleted one', async () => {
    const room = await createRoom(t, alice, { members: [bob] });
    const sent = await sendMessages(t, alice, room.id, 5, 'm');
    const gone = sent[2]!;
    expect((await t.http.delete(`/api/messages/${gone.id}`).set(alice.auth)).status).toBe(200);

    const after = sent[0]!.seq;
    const [entry] = await sync(bob.accessToken, [{ room: room.id, after }]);
    expect(entry).toMatchObject({ room: room.id, hasMore: false });
    const items = (entry as { messages: Item[] }).messages;
    expect(seqs(items)).toEqual(range(after + 1, 4));
    expect(items[1]).toEqual({
      id: gone.id,
      room: room.id,
      seq: gone.seq,
      rev: expect.any(Number),
      deleted: true,
    });
    expect(items.map((m) => ('content' in m ? m.content : null))).toEqual([
      'm 2',
      null,
      'm 4',
      'm 5',
    ]);
  });

  it('with after at the latest seq returns no messages and hasMore false', async () => {
    const room = await createRoom(t, alice);
    const last = await sendMessage(t, alice, room.id, 'only');
    const [entry] = await sync(alice.accessToken, [{ room: room.id, after: last.seq }]);
    expect(entry).toEqual({ room: room.id, messages: [], hasMore: false, rev: last.rev });
  });

  it('with more than 100 missed messages returns 100 with hasMore, and the rest when asked again', async () => {
    const room = await createRoom(t, alice, { members: [bob] });
    const s = await sockets.connect(t.url, alice.accessToken);
    const sent: TestMessage[] = [];
    for (let i = 1; i <= 105; i += 1) {
      const reply = await s.ack<TestMessage>('send-message', { room: room.id, content: `n ${i}` });
      sent.push(reply.data!);
    }
    const first = sent[0]!.seq;

    const [page1] = await sync(bob.accessToken, [{ room: room.id, after: first - 1 }]);
    const items1 = (page1 as { messages: Item[]; hasMore: boolean }).messages;
    expect((page1 as { hasMore: boolean }).hasMore).toBe(true);
    expect(seqs(items1)).toEqual(range(first, 100));

    const [page2] = await sync(bob.accessToken, [{ room: room.id, after: items1.at(-1)!.seq }]);
    expect((page2 as { hasMore: boolean }).hasMore).toBe(false);
    const items2 = (page2 as { messages: Item[] }).messages;
    expect(seqs(items2)).toEqual(range(first + 100, 5));
    expect(items2.map((m) => (m as TestMessage).content)).toEqual(
      range(101, 5).map((i) => `n ${i}`),
    );
  });

  it('answers each room on its own: an unreadable room comes back as { room, error: { code } }', async () => {
    const mine = await createRoom(t, alice);
    const secret = await createRoom(t, bob, { type: 'private' });
    const closedDoor = await createRoom(t, bob, { type: 'public' });
    await sendMessage(t, alice, mine.id, 'readable');
    const entries = await sync(alice.accessToken, [
      { room: secret.id, after: 0 },
      { room: mine.id, after: 0 },
      { room: closedDoor.id, after: 0 },
      { room: 'no-such-room', after: 0 },
    ]);
    expect(entries).toHaveLength(4);
    expect(entries[0]).toMatchObject({ room: secret.id, error: { code: 'NOT_FOUND' } });
    expect(entries[0]).not.toHaveProperty('messages');
    expect(entries[1]).toMatchObject({ room: mine.id, hasMore: false });
    expect((entries[1] as { messages: TestMessage[] }).messages.at(-1)?.content).toBe('readable');
    expect(entries[2]).toMatchObject({ room: closedDoor.id, error: { code: 'FORBIDDEN' } });
    expect(entries[3]).toMatchObject({ room: 'no-such-room', error: { code: 'NOT_FOUND' } });
  });

  it('with a bad payload acks VALIDATION_ERROR', async () => {
    const s = await sockets.connect(t.url, stranger.accessToken);
    for (const payload of [
      undefined,
      {},
      { rooms: [] },
      { rooms: 'general' },
      { rooms: [{ room: 'general' }] },
      { rooms: [{ room: 'general', after: -1 }] },
      { rooms: [{ room: 'general', after: 'soon' }] },
      { rooms: [{ room: 'general', after: 1.5 }] },
    ])
      expect(await s.ack('sync', payload)).toMatchObject({
        success: false,
        error: { code: 'VALIDATION_ERROR' },
      });
  });
});

describe('resync after a disconnect', () => {
  it('gives the reconnecting client exactly the messages it missed, in order, without gap or duplicate', async () => {
    const room = await createRoom(t, alice, { members: [bob] });
    const a = await sockets.connect(t.url, alice.accessToken);
    const seen = await sendMessage(t, bob, room.id, 'seen live');
    const live = await a.waitFor<TestMessage>('new-message', (m) => m.id === seen.id);
    const lastSeq = live.seq;
    a.close();

    const missed = await sendMessages(t, bob, room.id, 30, 'missed');

    const back = await sockets.connect(t.url, alice.accessToken);
    const reply = await back.ack<SyncEntry[]>('sync', {
      rooms: [{ room: room.id, after: lastSeq }],
    });
    expect(reply.success).toBe(true);
    const entry = reply.data![0] as { room: string; messages: TestMessage[]; hasMore: boolean };
    expect(entry.hasMore).toBe(false);
    expect(entry.messages.map((m) => m.id)).toEqual(missed.map((m) => m.id));
    expect(seqs(entry.messages)).toEqual(range(lastSeq + 1, 30));
    expect(entry.messages.map((m) => m.content)).toEqual(range(1, 30).map((i) => `missed ${i}`));
    expect(new Set(entry.messages.map((m) => m.id)).size).toBe(30);

    // Live delivery carries on right after the synced range.
    const next = await sendMessage(t, bob, room.id, 'live again');
    const arrived = await back.waitFor<TestMessage>('new-message', (m) => m.id === next.id);
    expect(arrived.seq).toBe(lastSeq + 31);
  });
});
