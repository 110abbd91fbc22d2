import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  addMember,
  createRoom,
  createUser,
  sendMessage,
  type TestMessage,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';
import { socketPool, type RecordedSocket } from '../helpers/sockets.js';
import { barrier } from './support.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let room: TestRoom;
const sockets = socketPool();

/** Alice with two tabs, Bob with one socket; all three sockets follow `room`. */
let aliceTab1: RecordedSocket;
let aliceTab2: RecordedSocket;
let bobSocket: RecordedSocket;
const roomSockets = () => [aliceTab1, aliceTab2, bobSocket];

beforeAll(async () => {
  t = await startTestApp();
  [alice, bob, carol] = [await createUser(t), await createUser(t), await createUser(t)];
  room = await createRoom(t, alice, { members: [bob] });
  // Bob is in several rooms with Alice: a message of one of them still reaches him once.
  await createRoom(t, alice, { members: [bob] });
  await createRoom(t, bob, { type: 'public', members: [alice] });
});
beforeEach(async () => {
  aliceTab1 = await sockets.connect(t.url, alice.accessToken);
  aliceTab2 = await sockets.connect(t.url, alice.accessToken);
  bobSocket = await sockets.connect(t.url, bob.accessToken);
});
afterEach(() => sockets.closeAll());
afterAll(async () => {
  await t?.stop();
});

/** After a barrier, the payloads of `event` each room socket got that match. */
async function receivedOnce<T>(event: string, match: (p: T) => boolean): Promise<T> {
  await barrier(t, alice, room.id, roomSockets());
  const perSocket = roomSockets().map((s) => s.payloads<T>(event, match));
  for (const got of perSocket) expect(got).toHaveLength(1);
  return perSocket[0]![0]!;
}

describe('a change made over REST reaches every socket of the room exactly once', () => {
  it('POST /api/messages: new-message equal to the created message', async () => {
    const sent = await sendMessage(t, bob, room.id, 'over rest');
    expect(await receivedOnce<TestMessage>('new-message', (m) => m.id === sent.id)).toEqual(sent);
  });

  it('PUT /api/messages/:id: message-updated with the new content and editedAt', async () => {
    const sent = await sendMessage(t, bob, room.id, 'typo');
    const res = await t.http.put(`/api/messages/${sent.id}`).set(bob.auth).send({ content: 'fix' });
    expect(res.status).toBe(200);
    const updated = await receivedOnce<TestMessage>('message-updated', (m) => m.id === sent.id);
    expect(updated).toMatchObject({ id: sent.id, room: room.id, seq: sent.seq, content: 'fix' });
    expect(updated.editedAt).toEqual(expect.any(String));
  });

  it('DELETE /api/messages/:id: message-deleted { id, room, seq, rev }', async () => {
    const sent = await sendMessage(t, bob, room.id, 'oops');
    const res = await t.http.delete(`/api/messages/${sent.id}`).set(bob.auth);
    expect(res.status).toBe(200);
    expect(await receivedOnce<{ id: string }>('message-deleted', (e) => e.id === sent.id)).toEqual({
      id: sent.id,
      room: room.id,
      seq: sent.seq,
      rev: res.body.data.rev,
    });
    expect(res.body.data.rev).toBeGreaterThan(sent.rev);
  });

  it('POST /api/messages/:id/react: message-reaction with the reactions, on adding and on removing', async () => {
    const sent = await sendMessage(t, alice, room.id, 'react to me');
    const react = () =>
      t.http.post(`/api/messages/${sent.id}/react`).set(bob.auth).send({ emoji: '👍' });
    expect((await react()).status).toBe(200);
    const added = await receivedOnce<{ messageId: string; reactions: unknown[] }>(
      'message-reaction',
      (e) => e.messageId === sent.id && e.reactions.length === 1,
    );
    expect(added).toEqual({
      messageId: sent.id,
      room: room.id,
      reactions: [{ emoji: '👍', count: 1, userIds: [bob.id] }],
      rev: expect.any(Number),
    });
    expect((added as unknown as { rev: number }).rev).toBeGreaterThan(sent.rev);
    expect((await react()).status).toBe(200);
    await receivedOnce<{ messageId: string; reactions: unknown[] }>(
      'message-reaction',
      (e) => e.messageId === sent.id && e.reactions.length === 0,
    );
  });

  it('POST /api/messages/:id/read: message-read-receipt', async () => {
    const sent = await sendMessage(t, alice, room.id, 'read me');
    expect((await t.http.post(`/api/messages/${sent.id}/read`).set(bob.auth)).status).toBe(200);
    const receipt = await receivedOnce<{ messageId: string; userId: string }>(
      'message-read-receipt',
      (e) => e.messageId === sent.id,
    );
    expect(receipt).toMatchObject({ room: room.id, userId: bob.id, messageId: sent.id });
  });

  it('PATCH /api/rooms/:id: room-updated', async () => {
    const res = await t.http
      .patch(`/api/rooms/${room.id}`)
      .set(alice.auth)
      .send({ description: 'now with a topic' });
    expect(res.status).toBe(200);
    const event = await receivedOnce<{ room: string; description: string }>(
      'room-updated',
      (e) => e.description === 'now with a topic',
    );
    expect(event.room).toBe(room.id);
  });
});

describe('membership changes over REST', () => {
  it("adding a member subscribes all the new member's sockets to the room at once", async () => {
    const extra = await createRoom(t, alice, { members: [bob] });
    const carol1 = await sockets.connect(t.url, carol.accessToken);
    const carol2 = await sockets.connect(t.url, carol.accessToken);
    await addMember(t, alice, extra.id, carol);
    for (const s of [carol1, carol2])
      await s.waitFor<{ room: string }>('room-joined', (e) => e.room === extra.id);
    await aliceTab1.waitFor<{ room: string; user: { id: string } }>(
      'member-joined',
      (e) => e.room === extra.id && e.user.id === carol.id,
    );

    const sent = await sendMessage(t, bob, extra.id, 'welcome carol');
    await barrier(t, alice, extra.id, [...roomSockets(), carol1, carol2]);
    for (const s of [carol1, carol2, ...roomSockets()])
      expect(s.payloads<TestMessage>('new-message', (m) => m.id === sent.id)).toHaveLength(1);
  });

  it("removing a member stops the room's events on all their sockets at once", async () => {
    const extra = await createRoom(t, alice, { members: [bob, carol] });
    const carol1 = await sockets.connect(t.url, carol.accessToken);
    const carol2 = await sockets.connect(t.url, carol.accessToken);
    const before = await sendMessage(t, alice, extra.id, 'before removal');
    for (const s of [carol1, carol2])
      await s.waitFor<TestMessage>('new-message', (m) => m.id === before.id);

    const marks = [carol1.received.length, carol2.received.length];
    const res = await t.http.delete(`/api/rooms/${extra.id}/members/${carol.id}`).set(alice.auth);
    expect(res.status).toBe(200);
    for (const s of [carol1, carol2])
      await s.waitFor<{ room: string }>('room-left', (e) => e.room === extra.id);

    const after = await sendMessage(t, bob, extra.id, 'after removal');
    await t.http.post(`/api/messages/${before.id}/react`).set(bob.auth).send({ emoji: '🎉' });
    await t.http.post(`/api/messages/${after.id}/read`).set(bob.auth);
    // Carol still shares general with Alice: that barrier proves the room's events are not coming.
    await barrier(t, alice, 'general', [carol1, carol2, bobSocket]);
    // From the removal on, the only word of the room is room-left (not even member-left).
    [carol1, carol2].forEach((s, i) => {
      const fromRoom = s.received
        .slice(marks[i])
        .filter((e) => (e.payload as { room?: string } | null)?.room === extra.id);
      expect(fromRoom.map((e) => e.event)).toEqual(['room-left']);
    });
    expect(bobSocket.payloads<TestMessage>('new-message', (m) => m.id === after.id)).toHaveLength(
      1,
    );
  });
});
