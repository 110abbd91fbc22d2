import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  expectError,
  sendMessage,
  type TestMessage,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';
import { socketPool, type AckResult, type RecordedSocket } from '../helpers/sockets.js';
import { barrier, isBarrier } from '../realtime/support.js';
import { allMessages, type Item } from './support.js';

// SPEC.md "Consistency", Idempotency: a clientId is the sender's key for one message across all rooms:
// a retry with the same clientId and the same room gets the first message back with 200, also after it
// was deleted (then its tombstone), never a new message; the same clientId with another room or other
// content is 409 CONFLICT. Before the fix a clientId only matched the sender: a send to another room (or
// with other content) silently got the first message back with 200, and a deleted one came back whole.

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let roomA: TestRoom;
let roomB: TestRoom;
const sockets = socketPool();

beforeAll(async () => {
  t = await startTestApp({ env: { SOCKET_EVENT_LIMIT: '1000000' } });
  [alice, bob] = await Promise.all([createUser(t), createUser(t)]);
  roomA = await createRoom(t, alice, { members: [bob] });
  roomB = await createRoom(t, alice, { members: [bob] });
});
afterEach(() => sockets.closeAll());
afterAll(async () => {
  await t?.stop();
});

function post(user: TestUser, room: string, content: string, clientId: string) {
  return t.http.post('/api/messages').set(user.auth).send({ room, content, clientId });
}

function emitSend(s: RecordedSocket, room: string, content: string, clientId: string) {
  return s.ack<TestMessage & { deleted?: true }>('send-message', { room, content, clientId });
}

function expectConflictAck(ack: AckResult<unknown>): void {
  expect(ack).toMatchObject({
    success: false,
    error: { code: 'CONFLICT', message: expect.any(String) },
  });
}

const contentOf = (m: Item) => ('content' in m ? m.content : null);

/** The ids of a room's stored messages (tombstones included). */
const storedIds = async (room: TestRoom) => (await allMessages(t, alice, room.id)).map((m) => m.id);

describe('a clientId already used', () => {
  it("to another room with other content: 409 CONFLICT, nothing stored in the second room (REST and socket); another sender's same clientId there is theirs", async () => {
    const clientId = randomUUID();
    const first = await sendMessage(t, alice, roomA.id, 'first', { clientId });
    const before = await storedIds(roomB);

    expectError(await post(alice, roomB.id, 'something else', clientId), 409, 'CONFLICT');
    const s = await sockets.connect(t.url, alice.accessToken);
    expectConflictAck(await emitSend(s, roomB.id, 'something else', clientId));

    expect(await storedIds(roomB)).toEqual(before);
    const inA = (await allMessages(t, alice, roomA.id)).filter((m) => m.id === first.id);
    expect(inA).toHaveLength(1);

    // The key is the sender's: Bob may use the same clientId for a message of his own.
    const bobs = await post(bob, roomB.id, 'something else', clientId);
    expect(bobs.status).toBe(201);
    expect(bobs.body.data.sender.id).toBe(bob.id);
  });

  it('to another room with the same content: 409 CONFLICT as well', async () => {
    const clientId = randomUUID();
    await sendMessage(t, alice, roomA.id, 'same words', { clientId });
    const before = await storedIds(roomB);
    expectError(await post(alice, roomB.id, 'same words', clientId), 409, 'CONFLICT');
    const s = await sockets.connect(t.url, alice.accessToken);
    expectConflictAck(await emitSend(s, roomB.id, 'same words', clientId));
    expect(await storedIds(roomB)).toEqual(before);
  });

  it('in the same room: the same content gets the first message back with 200 (same id), other content 409 CONFLICT; nothing new stored (REST and socket)', async () => {
    const clientId = randomUUID();
    const first = await sendMessage(t, alice, roomA.id, 'retry me', { clientId });
    const before = await storedIds(roomA);
    const s = await sockets.connect(t.url, alice.accessToken);

    const again = await post(alice, roomA.id, 'retry me', clientId);
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(first);
    expect(await emitSend(s, roomA.id, 'retry me', clientId)).toEqual({
      success: true,
      data: first,
    });

    expectError(await post(alice, roomA.id, 'changed my mind', clientId), 409, 'CONFLICT');
    expectConflictAck(await emitSend(s, roomA.id, 'changed my mind', clientId));

    expect(await storedIds(roomA)).toEqual(before);
  });
});

describe('a clientId whose message was deleted since', () => {
  it('same room and content: 200 with the tombstone { id, room, seq, rev, deleted: true }, no new message (REST and socket)', async () => {
    const clientId = randomUUID();
    const first = await sendMessage(t, alice, roomA.id, 'regret', { clientId });
    const del = await t.http.delete(`/api/messages/${first.id}`).set(alice.auth);
    expect(del.status).toBe(200);
    const tombstone = {
      id: first.id,
      room: roomA.id,
      seq: first.seq,
      rev: del.body.data.rev,
      deleted: true,
    };
    expect(tombstone.rev).toBeGreaterThan(first.rev);
    const before = await storedIds(roomA);
    const bobSocket = await sockets.connect(t.url, bob.accessToken);

    const again = await post(alice, roomA.id, 'regret', clientId);
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(tombstone);
    const s = await sockets.connect(t.url, alice.accessToken);
    expect(await emitSend(s, roomA.id, 'regret', clientId)).toEqual({
      success: true,
      data: tombstone,
    });

    expect(await storedIds(roomA)).toEqual(before);
    // Nobody is told of a new message: the retries created none.
    await barrier(t, alice, roomA.id, [bobSocket]);
    expect(bobSocket.payloads<TestMessage>('new-message', (m) => !isBarrier(m))).toEqual([]);
  });

  it('other content or another room: still 409 CONFLICT', async () => {
    const clientId = randomUUID();
    const first = await sendMessage(t, alice, roomA.id, 'soon gone', { clientId });
    expect((await t.http.delete(`/api/messages/${first.id}`).set(alice.auth)).status).toBe(200);
    expectError(await post(alice, roomA.id, 'different', clientId), 409, 'CONFLICT');
    expectError(await post(alice, roomB.id, 'soon gone', clientId), 409, 'CONFLICT');
  });
});

describe('concurrent sends with one clientId', () => {
  /** What one send answered: its status and message id or error code (a socket ack as 201 or 409). */
  type Answer = { status: number; id?: string; code?: string };
  const rest = async (room: string, content: string, clientId: string): Promise<Answer> => {
    const res = await post(alice, room, content, clientId);
    return { status: res.status, id: res.body.data?.id, code: res.body.error?.code };
  };

  it('to two different rooms at once: exactly one 201, the other 409, never two messages (10 tries)', async () => {
    const s = await sockets.connect(t.url, alice.accessToken);
    for (let i = 0; i < 10; i += 1) {
      const clientId = randomUUID();
      const content = `race ${i}`;
      // Alternate which path goes to which room, and REST/REST with REST/socket.
      const [x, y] = await Promise.all([
        rest(i % 2 ? roomA.id : roomB.id, content, clientId),
        i % 4 < 2
          ? rest(i % 2 ? roomB.id : roomA.id, content, clientId)
          : emitSend(s, i % 2 ? roomB.id : roomA.id, content, clientId).then((ack): Answer =>
              ack.success
                ? { status: 201, id: ack.data!.id }
                : { status: 409, code: ack.error?.code },
            ),
      ]);
      const statuses = [x.status, y.status].sort();
      expect({ i, statuses }).toEqual({ i, statuses: [201, 409] });
      expect([x, y].find((a) => a.status === 409)?.code).toBe('CONFLICT');
      const stored = [
        ...(await allMessages(t, alice, roomA.id)),
        ...(await allMessages(t, alice, roomB.id)),
      ].filter((m) => 'content' in m && m.content === content);
      expect(stored).toHaveLength(1);
    }
  });

  it('to the same room at once: with the same content one 201 and the others 200 with that message; with other content one 201 and the other 409', async () => {
    const clientId = randomUUID();
    const same = await Promise.all(
      Array.from({ length: 10 }, () => rest(roomA.id, 'once only', clientId)),
    );
    expect(same.map((a) => a.status).sort()).toEqual([...Array(9).fill(200), 201]);
    expect(new Set(same.map((a) => a.id)).size).toBe(1);

    const otherId = randomUUID();
    const other = await Promise.all([
      rest(roomA.id, 'version one', otherId),
      rest(roomA.id, 'version two', otherId),
    ]);
    expect(other.map((a) => a.status).sort()).toEqual([201, 409]);

    const stored = (await allMessages(t, alice, roomA.id)).map(contentOf);
    expect(stored.filter((c) => c === 'once only')).toHaveLength(1);
    expect(stored.filter((c) => c === 'version one' || c === 'version two')).toHaveLength(1);
  });
});

describe('a retry by someone who is no longer a member', () => {
  it('gets the access answer (404 for a private room), not the message, by id or by slug', async () => {
    const carol = await createUser(t);
    const room = await createRoom(t, alice, { type: 'private', members: [carol] });
    const clientId = `gone-${randomUUID()}`;
    const first = await post(carol, room.id, 'before I left', clientId);
    expect(first.status).toBe(201);
    await t.http.post(`/api/rooms/${room.id}/leave`).set(carol.auth).expect(200);
    for (const ref of [room.id, room.id.toUpperCase(), room.slug]) {
      const retry = await post(carol, ref, 'before I left', clientId);
      expectError(retry, 404, 'NOT_FOUND');
    }
  });
});
