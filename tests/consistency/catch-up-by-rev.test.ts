import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  sendMessage,
  type TestMessage,
  type TestRoom,
  type TestTombstone,
  type TestUser,
} from '../helpers/factories.js';
import { socketPool, type RecordedSocket } from '../helpers/sockets.js';
import { notIncreasing, okEntry, type Item, type SyncEntry } from './support.js';

// SPEC.md "Consistency", Room revisions and Catch-up of changes: every change of a room's messages takes
// the room's next revision; `sync` with `{ room, rev }` (and `GET /api/messages?rev=`) returns every
// message changed after it: edited, reacted to, deleted (as a tombstone) or new. Before the fix catch-up
// was by seq only: a client back from a disconnection never learnt of edits, deletions or reactions.

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
const sockets = socketPool();

beforeAll(async () => {
  t = await startTestApp({ env: { SOCKET_EVENT_LIMIT: '1000000' } });
  [alice, bob] = await Promise.all([createUser(t), createUser(t)]);
});
afterEach(() => sockets.closeAll());
afterAll(async () => {
  await t?.stop();
});

async function sync(s: RecordedSocket, rooms: unknown[]) {
  const reply = await s.ack<SyncEntry[]>('sync', { rooms });
  expect(reply.success).toBe(true);
  return reply.data!.map(okEntry);
}

const contentOf = (m: Item) => ('content' in m ? m.content : null);

/**
 * A room where Alice sent `edited`, `reacted`, `deleted` and `untouched`; Bob holds the room's revision
 * after them (`held`). The changes made while he is away are `away()`.
 */
async function roomWithHistory() {
  const room = await createRoom(t, alice, { type: 'private', members: [bob] });
  const edited = await sendMessage(t, alice, room.id, 'edit me');
  const reacted = await sendMessage(t, alice, room.id, 'react to me');
  const deleted = await sendMessage(t, alice, room.id, 'delete me');
  const untouched = await sendMessage(t, alice, room.id, 'leave me be');
  return { room, edited, reacted, deleted, untouched };
}

/** While Bob is away: an edit, a reaction, a deletion and a new message, in this order. */
async function changeWhileAway(
  room: TestRoom,
  h: { edited: TestMessage; reacted: TestMessage; deleted: TestMessage },
) {
  const edit = await t.http
    .put(`/api/messages/${h.edited.id}`)
    .set(alice.auth)
    .send({ content: 'edited while you were away' });
  expect(edit.status).toBe(200);
  const react = await t.http
    .post(`/api/messages/${h.reacted.id}/react`)
    .set(alice.auth)
    .send({ emoji: '👍' });
  expect(react.status).toBe(200);
  const del = await t.http.delete(`/api/messages/${h.deleted.id}`).set(alice.auth);
  expect(del.status).toBe(200);
  const fresh = await sendMessage(t, alice, room.id, 'new while you were away');
  return { edit: edit.body.data as TestMessage, deleteRev: del.body.data.rev as number, fresh };
}

/** What Bob must get back for the four changes, in rev order. */
function expectedChanges(
  room: TestRoom,
  h: { edited: TestMessage; reacted: TestMessage; deleted: TestMessage },
  c: { edit: TestMessage; deleteRev: number; fresh: TestMessage },
) {
  return [
    {
      ...h.edited,
      content: 'edited while you were away',
      editedAt: expect.any(String),
      rev: c.edit.rev,
    },
    {
      ...h.reacted,
      reactions: [{ emoji: '👍', count: 1, userIds: [alice.id] }],
      rev: expect.any(Number),
    },
    { id: h.deleted.id, room: room.id, seq: h.deleted.seq, rev: c.deleteRev, deleted: true },
    c.fresh,
  ];
}

describe('sync { room, rev }', () => {
  it('returns exactly the messages edited, reacted to, deleted (tombstone) and sent since, in rev order, with rev = the highest', async () => {
    const h = await roomWithHistory();
    const bobSocket = await sockets.connect(t.url, bob.accessToken);
    const [first] = await sync(bobSocket, [{ room: h.room.id, after: 0 }]);
    expect(first!.messages.map(contentOf)).toEqual([
      'edit me',
      'react to me',
      'delete me',
      'leave me be',
    ]);
    const held = first!.rev;
    expect(held).toBe(h.untouched.rev);
    bobSocket.close();

    const c = await changeWhileAway(h.room, h);

    const back = await sockets.connect(t.url, bob.accessToken);
    const [entry] = await sync(back, [{ room: h.room.id, rev: held }]);
    expect(entry!.messages).toEqual(expectedChanges(h.room, h, c));
    const revs = entry!.messages.map((m) => m.rev);
    expect(notIncreasing(revs)).toEqual([]);
    expect(revs[0]).toBeGreaterThan(held);
    expect(entry!.hasMore).toBe(false);
    expect(entry!.rev).toBe(c.fresh.rev);
    expect(entry!.rev).toBe(Math.max(...revs));

    const [again] = await sync(back, [{ room: h.room.id, rev: entry!.rev }]);
    expect(again).toEqual({ room: h.room.id, messages: [], hasMore: false, rev: entry!.rev });
  });

  it('a message changed several times while away comes back once, as it is now', async () => {
    const room = await createRoom(t, alice, { type: 'private', members: [bob] });
    const m = await sendMessage(t, alice, room.id, 'v1');
    const held = m.rev;
    await t.http.put(`/api/messages/${m.id}`).set(alice.auth).send({ content: 'v2' });
    await t.http.post(`/api/messages/${m.id}/react`).set(bob.auth).send({ emoji: '🎉' });
    const last = await t.http.put(`/api/messages/${m.id}`).set(alice.auth).send({ content: 'v3' });

    const s = await sockets.connect(t.url, bob.accessToken);
    const [entry] = await sync(s, [{ room: room.id, rev: held }]);
    expect(entry!.messages).toHaveLength(1);
    expect(entry!.messages[0]).toMatchObject({
      id: m.id,
      content: 'v3',
      reactions: [{ emoji: '🎉', count: 1, userIds: [bob.id] }],
      rev: last.body.data.rev,
    });
    expect(entry!.rev).toBe(last.body.data.rev);
  });
});

describe('GET /api/messages?room=…&rev=', () => {
  it('pages the same changes: limit 2 gives two with page.nextCursor and page.rev, then the rest from page.rev', async () => {
    const h = await roomWithHistory();
    const held = h.untouched.rev;
    const c = await changeWhileAway(h.room, h);
    const expected = expectedChanges(h.room, h, c);

    const page1 = await t.http
      .get(`/api/messages?room=${h.room.id}&rev=${held}&limit=2`)
      .set(bob.auth);
    expect(page1.status).toBe(200);
    expect(page1.body.data).toEqual(expected.slice(0, 2));
    expect(page1.body.page.nextCursor).not.toBeNull();
    expect(page1.body.page.rev).toBe((page1.body.data as Item[])[1]!.rev);

    const page2 = await t.http
      .get(`/api/messages?room=${h.room.id}&rev=${page1.body.page.rev}&limit=2`)
      .set(bob.auth);
    expect(page2.status).toBe(200);
    expect(page2.body.data).toEqual(expected.slice(2));
    expect(page2.body.page).toMatchObject({ nextCursor: null, rev: c.fresh.rev });

    const page3 = await t.http
      .get(`/api/messages?room=${h.room.id}&rev=${page2.body.page.rev}`)
      .set(bob.auth);
    expect(page3.body.data).toEqual([]);
    expect(page3.body.page).toMatchObject({ nextCursor: null, rev: c.fresh.rev });
  });
});

describe('events carry the revision of their change', () => {
  let room: TestRoom;
  let bobSocket: RecordedSocket;
  beforeEach(async () => {
    room = await createRoom(t, alice, { type: 'private', members: [bob] });
    bobSocket = await sockets.connect(t.url, bob.accessToken);
  });

  it('new-message, message-updated, message-reaction and message-deleted, each rev one above the previous', async () => {
    const m = await sendMessage(t, alice, room.id, 'watch me');
    const created = await bobSocket.waitFor<TestMessage>('new-message', (e) => e.id === m.id);
    expect(created.rev).toBe(m.rev);

    const edit = await t.http
      .put(`/api/messages/${m.id}`)
      .set(alice.auth)
      .send({ content: 'watched' });
    const updated = await bobSocket.waitFor<TestMessage>('message-updated', (e) => e.id === m.id);
    expect(updated).toEqual(edit.body.data);
    expect(updated.rev).toBe(m.rev + 1);

    const react = await t.http
      .post(`/api/messages/${m.id}/react`)
      .set(bob.auth)
      .send({ emoji: '👀' });
    const reaction = await bobSocket.waitFor<{ messageId: string }>(
      'message-reaction',
      (e) => e.messageId === m.id,
    );
    expect(reaction).toEqual({
      messageId: m.id,
      room: room.id,
      reactions: react.body.data,
      rev: m.rev + 2,
    });

    const del = await t.http.delete(`/api/messages/${m.id}`).set(alice.auth);
    const gone = await bobSocket.waitFor<TestTombstone>('message-deleted', (e) => e.id === m.id);
    expect(gone).toEqual({ id: m.id, room: room.id, seq: m.seq, rev: m.rev + 3 });
    expect(del.body.data).toEqual(gone);

    const next = await sendMessage(t, alice, room.id, 'after all that');
    expect(next.rev).toBe(m.rev + 4);
    expect(next.seq).toBe(m.seq + 1);
  });
});
