import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  addMember,
  createRoom,
  createUser,
  openDirect,
  sendMessage,
  type TestMessage,
  type TestUser,
} from '../helpers/factories.js';
import { socketPool, type ReceivedEvent, type RecordedSocket } from '../helpers/sockets.js';
import { barrier, leaveGeneral, roundTrip } from './support.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let dave: TestUser;
let stranger: TestUser;
let neighbour: TestUser;
const sockets = socketPool();

beforeAll(async () => {
  t = await startTestApp({ env: { TYPING_TIMEOUT_MS: '500' } });
  [alice, bob, dave, stranger, neighbour] = [
    await createUser(t),
    await createUser(t),
    await createUser(t),
    await createUser(t),
    await createUser(t),
  ];
  // The stranger shares no room with anyone; the neighbour shares `general` with everyone.
  await leaveGeneral(t, stranger);
});
afterEach(() => sockets.closeAll());
afterAll(async () => {
  await t?.stop();
});

/** Everything that touches a room, from REST and from sockets, as its members would do it. */
async function burst(roomId: string, a: RecordedSocket, b: RecordedSocket): Promise<void> {
  const m1 = await sendMessage(t, alice, roomId, 'secret one');
  const m2 = (await a.ack<TestMessage>('send-message', { room: roomId, content: 'secret two' }))
    .data!;
  await t.http.put(`/api/messages/${m1.id}`).set(alice.auth).send({ content: 'secret edited' });
  await t.http.post(`/api/messages/${m1.id}/react`).set(bob.auth).send({ emoji: '🔥' });
  await b.ack('message-read', { messageId: m2.id });
  await t.http.post(`/api/messages/${m2.id}/read`).set(alice.auth);
  await b.ack('typing-start', { room: roomId });
  await b.ack('typing-stop', { room: roomId });
  await a.ack('typing-start', { room: roomId });
  await t.http.delete(`/api/messages/${m2.id}`).set(alice.auth);
  await addMember(t, alice, roomId, dave);
  await t.http.delete(`/api/rooms/${roomId}/members/${dave.id}`).set(alice.auth);
  await t.http.patch(`/api/rooms/${roomId}`).set(alice.auth).send({ description: 'secret topic' });
  await b.ack('user-status', { status: 'busy' });
  await b.ack('user-status', { status: 'online' });
  const extra = await sockets.connect(t.url, bob.accessToken);
  extra.close();
  await barrier(t, alice, roomId, [a, b]);
}

const aboutRoom = (roomId: string) => (e: ReceivedEvent) =>
  JSON.stringify(e.payload ?? null).includes(roomId) ||
  JSON.stringify(e.payload).includes('secret');

describe('a socket never receives events of a room its user is not in', () => {
  it('a stranger sharing no room receives nothing at all during a burst of private-room traffic', async () => {
    const room = await createRoom(t, alice, { type: 'private', members: [bob] });
    const s = await sockets.connect(t.url, stranger.accessToken);
    await s.waitFor('online-users');
    const a = await sockets.connect(t.url, alice.accessToken);
    const b = await sockets.connect(t.url, bob.accessToken);

    await burst(room.id, a, b);
    await t.http.delete(`/api/rooms/${room.id}`).set(alice.auth);
    await roundTrip(s);

    expect(s.received.map((e) => e.event)).toEqual(['online-users']);
    // The members did see the traffic, so the silence is not a broken socket.
    expect(b.payloads('user-typing').length).toBeGreaterThan(0);
    expect(b.payloads('message-updated').length).toBe(1);
  });

  it('a neighbour sharing other rooms with the members receives nothing about the private room', async () => {
    const room = await createRoom(t, alice, { type: 'private', members: [bob] });
    const n = await sockets.connect(t.url, neighbour.accessToken);
    const a = await sockets.connect(t.url, alice.accessToken);
    const b = await sockets.connect(t.url, bob.accessToken);

    await burst(room.id, a, b);
    await barrier(t, alice, 'general', [n]);
    expect(n.received.filter(aboutRoom(room.id))).toEqual([]);
    // Only presence and status reach the neighbour, through the rooms they do share.
    const events = new Set(n.received.map((e) => e.event));
    for (const event of events)
      expect([
        'online-users',
        'user-online',
        'user-offline',
        'user-status-update',
        'new-message',
      ]).toContain(event);
  });

  it('a non-member of a public room receives none of its events until joining', async () => {
    const room = await createRoom(t, alice, { type: 'public', members: [bob] });
    const n = await sockets.connect(t.url, neighbour.accessToken);
    const a = await sockets.connect(t.url, alice.accessToken);
    const b = await sockets.connect(t.url, bob.accessToken);
    await burst(room.id, a, b);
    await barrier(t, alice, 'general', [n]);
    expect(n.received.filter(aboutRoom(room.id))).toEqual([]);
  });

  it("a third user receives nothing of two users' direct room", async () => {
    const direct = await openDirect(t, alice, bob);
    const n = await sockets.connect(t.url, neighbour.accessToken);
    const a = await sockets.connect(t.url, alice.accessToken);
    const b = await sockets.connect(t.url, bob.accessToken);
    await sendMessage(t, alice, direct.id, 'secret dm');
    await b.ack('typing-start', { room: direct.id });
    await barrier(t, alice, direct.id, [a, b]);
    await barrier(t, alice, 'general', [n]);
    expect(n.received.filter(aboutRoom(direct.id))).toEqual([]);
  });

  it('a stranger who names the private room in typing-start is refused and no one is told', async () => {
    const room = await createRoom(t, alice, { type: 'private', members: [bob] });
    const s = await sockets.connect(t.url, stranger.accessToken);
    const b = await sockets.connect(t.url, bob.accessToken);
    expect(await s.ack('typing-start', { room: room.id })).toMatchObject({
      success: false,
      error: { code: 'NOT_FOUND' },
    });
    await barrier(t, alice, room.id, [b]);
    expect(b.payloads('user-typing')).toEqual([]);
  });
});
