import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import {
  createRoom,
  createUser,
  login,
  sendMessage,
  type TestMessage,
  type TestUser,
} from '../helpers/factories.js';
import { sleep, socketPool, type RecordedSocket } from '../helpers/sockets.js';
import { barrier, clearRedisPrefix, redisEnv } from './support.js';

// Two nodes of one deployment in this process: one database, one Redis, one key prefix.
const env = { ...redisEnv(), PRESENCE_GRACE_MS: '300', TYPING_TIMEOUT_MS: '30000' };
let testDb: TestDatabase;
let nodeA: TestApp;
let nodeB: TestApp;
let alice: TestUser;
let bob: TestUser;
const sockets = socketPool();
/** Sees every presence change (all users share `general`) and, having chosen `offline`, makes none. */
let watcher: RecordedSocket | undefined;

beforeAll(async () => {
  testDb = await createTestDatabase();
  nodeA = await startTestApp({ env, testDb });
  nodeB = await startTestApp({ env, testDb });
  const quiet = await createUser(nodeA);
  await nodeA.http.post('/api/users/status').set(quiet.auth).send({ status: 'offline' });
  watcher = await socketPool().connect(nodeA.url, quiet.accessToken);
  alice = await createUser(nodeA);
  bob = await createUser(nodeB);
});
afterEach(() => sockets.closeAll());

/**
 * Waits until every user who came online has been announced offline again. Stopping a node while an
 * offline announcement is still on its way makes the Redis adapter publish on a closed connection
 * (see the report: app.close() lets grace timers outlive it).
 */
async function allAnnouncedOffline(w: RecordedSocket, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = new Map<string, string>();
    for (const e of w.received)
      if (e.event === 'user-online' || e.event === 'user-offline')
        last.set((e.payload as { userId: string }).userId, e.event);
    const pending = [...last].filter(([, event]) => event !== 'user-offline');
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new Error(`still online: ${pending.map(([id]) => id)}`);
    await sleep(50);
  }
}

afterAll(async () => {
  sockets.closeAll();
  if (watcher) await allAnnouncedOffline(watcher);
  watcher?.close();
  await nodeA?.stop();
  await nodeB?.stop();
  await testDb?.drop();
  await clearRedisPrefix(env.REDIS_PREFIX);
});

describe('two app instances sharing the database and Redis', () => {
  it('a message sent on node A by socket reaches a client on node B, once', async () => {
    const room = await createRoom(nodeA, alice, { members: [bob] });
    const a = await sockets.connect(nodeA.url, alice.accessToken);
    const b = await sockets.connect(nodeB.url, bob.accessToken);
    const reply = await a.ack<TestMessage>('send-message', { room: room.id, content: 'cross' });
    expect(reply.success).toBe(true);
    expect(await b.waitFor<TestMessage>('new-message', (m) => m.id === reply.data!.id)).toEqual(
      reply.data,
    );
    await barrier(nodeA, alice, room.id, [a, b]);
    expect(b.payloads<TestMessage>('new-message', (m) => m.id === reply.data!.id)).toHaveLength(1);
  });

  it("a node's event reaches the other nodes at once, not after its own wait for an earlier revision", async () => {
    const room = await createRoom(nodeA, alice, { members: [bob] });
    await sendMessage(nodeA, alice, room.id, 'rev 1, before node C started');
    // Node C has never seen the room: it holds its own first event of it (rev 2) up to 100 ms for
    // rev 1, which might be on its way from another node. Node B already delivered rev 1.
    const nodeC = await startTestApp({ env, testDb });
    try {
      const b = await sockets.connect(nodeB.url, bob.accessToken);
      const c = await sockets.connect(nodeC.url, alice.accessToken);
      const reply = await c.ack<TestMessage>('send-message', { room: room.id, content: 'rev 2' });
      expect(reply.success).toBe(true);
      const id = reply.data!.id;
      await b.waitFor<TestMessage>('new-message', (m) => m.id === id);
      // Published when its payload was ready: B has it while C still waits.
      expect(c.payloads<TestMessage>('new-message', (m) => m.id === id)).toHaveLength(0);
      await c.waitFor<TestMessage>('new-message', (m) => m.id === id);
    } finally {
      sockets.closeAll();
      await nodeC.stop();
    }
  });

  it('a REST change on node B (edit, reaction) reaches a client on node A', async () => {
    const room = await createRoom(nodeB, bob, { members: [alice] });
    const a = await sockets.connect(nodeA.url, alice.accessToken);
    const sent = await sendMessage(nodeB, bob, room.id, 'draft');
    await a.waitFor<TestMessage>('new-message', (m) => m.id === sent.id);
    await nodeB.http.put(`/api/messages/${sent.id}`).set(bob.auth).send({ content: 'final' });
    await nodeB.http.post(`/api/messages/${sent.id}/react`).set(bob.auth).send({ emoji: '✅' });
    const updated = await a.waitFor<TestMessage>('message-updated', (m) => m.id === sent.id);
    expect(updated.content).toBe('final');
    await a.waitFor<{ messageId: string }>('message-reaction', (e) => e.messageId === sent.id);
  });

  it('presence is the union: GET /api/users/online on node A lists a user connected only to node B', async () => {
    const carol = await createUser(nodeB);
    const aliceOnA = await sockets.connect(nodeA.url, alice.accessToken);
    await aliceOnA.waitFor('online-users');
    const c = await sockets.connect(nodeB.url, carol.accessToken);
    await c.waitFor('online-users');
    await aliceOnA.waitFor<{ userId: string }>('user-online', (e) => e.userId === carol.id);
    const res = await nodeA.http.get('/api/users/online').set(alice.auth);
    expect(res.body.data.map((u: { id: string }) => u.id)).toContain(carol.id);
    // A second socket on the other node is not a second coming online.
    const c2 = await sockets.connect(nodeA.url, carol.accessToken);
    await c2.waitFor('online-users');
    await barrier(nodeA, alice, 'general', [aliceOnA]);
    expect(
      aliceOnA.payloads<{ userId: string }>('user-online', (e) => e.userId === carol.id),
    ).toHaveLength(1);

    // Offline only once both nodes' sockets are gone, announced across nodes.
    c.close();
    c2.close();
    await aliceOnA.waitFor<{ userId: string }>('user-offline', (e) => e.userId === carol.id);
    const after = await nodeA.http.get('/api/users/online').set(alice.auth);
    expect(after.body.data.map((u: { id: string }) => u.id)).not.toContain(carol.id);
  });

  it("removing a member via node A silences that member's socket on node B at once", async () => {
    const dave = await createUser(nodeA);
    const room = await createRoom(nodeA, alice, { members: [dave, bob] });
    const d = await sockets.connect(nodeB.url, dave.accessToken);
    const b = await sockets.connect(nodeB.url, bob.accessToken);
    const before = await sendMessage(nodeA, alice, room.id, 'before');
    await d.waitFor<TestMessage>('new-message', (m) => m.id === before.id);

    const res = await nodeA.http.delete(`/api/rooms/${room.id}/members/${dave.id}`).set(alice.auth);
    expect(res.status).toBe(200);
    const after = await sendMessage(nodeA, alice, room.id, 'after');
    await barrier(nodeA, alice, 'general', [d, b]);
    expect(d.payloads<TestMessage>('new-message', (m) => m.room === room.id)).toHaveLength(1);
    expect(b.payloads<TestMessage>('new-message', (m) => m.id === after.id)).toHaveLength(1);
    await d.waitFor<{ room: string }>('room-left', (e) => e.room === room.id);
  });

  // With Redis, a removal must silence the member's sockets on the removing node at once too.
  it('removing a member via node A tells their socket on node A nothing more of the room than room-left', async () => {
    const frank = await createUser(nodeA);
    const room = await createRoom(nodeA, alice, { members: [frank] });
    const f = await sockets.connect(nodeA.url, frank.accessToken);
    const mark = f.received.length;
    const res = await nodeA.http
      .delete(`/api/rooms/${room.id}/members/${frank.id}`)
      .set(alice.auth);
    expect(res.status).toBe(200);
    await barrier(nodeA, alice, 'general', [f]);
    const fromRoom = f.received
      .slice(mark)
      .filter((e) => (e.payload as { room?: string } | null)?.room === room.id);
    expect(fromRoom.map((e) => e.event)).toEqual(['room-left']);
  });

  it("adding a member via node B subscribes that member's socket on node A", async () => {
    const erin = await createUser(nodeA);
    const room = await createRoom(nodeB, bob);
    const e = await sockets.connect(nodeA.url, erin.accessToken);
    const res = await nodeB.http
      .post(`/api/rooms/${room.id}/members`)
      .set(bob.auth)
      .send({ userId: erin.id });
    expect(res.status).toBe(201);
    await e.waitFor<{ room: string }>('room-joined', (ev) => ev.room === room.id);
    const sent = await sendMessage(nodeB, bob, room.id, 'hello erin');
    await e.waitFor<TestMessage>('new-message', (m) => m.id === sent.id);
  });

  it('typing on node A reaches node B, and not the typist', async () => {
    const room = await createRoom(nodeA, alice, { members: [bob] });
    const a = await sockets.connect(nodeA.url, alice.accessToken);
    const aOnB = await sockets.connect(nodeB.url, alice.accessToken);
    const b = await sockets.connect(nodeB.url, bob.accessToken);
    await a.ack('typing-start', { room: room.id });
    expect(
      await b.waitFor<{ userId: string; isTyping: boolean }>('user-typing', (e) => e.isTyping),
    ).toMatchObject({ room: room.id, userId: alice.id, isTyping: true });
    await a.ack('typing-stop', { room: room.id });
    await b.waitFor<{ isTyping: boolean }>('user-typing', (e) => !e.isTyping);
    await barrier(nodeA, bob, room.id, [aOnB]);
    expect(aOnB.payloads('user-typing')).toEqual([]);
  });

  it("logging out on node A disconnects that session's socket on node B", async () => {
    const session = await login(nodeA, alice);
    const s = await sockets.connect(nodeB.url, session.accessToken);
    expect((await nodeA.http.post('/api/auth/logout').set(session.auth)).status).toBe(200);
    expect(await s.disconnected()).toBe('io server disconnect');
  });
});
