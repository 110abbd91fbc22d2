import { requireOrSkip, skipUnless } from '../helpers/skips.js';
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { roomMembers } from '../../src/db/schema/index.js';
import { roomChannel } from '../../src/realtime/channels.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import {
  addMember,
  createRoom,
  createUser,
  type TestMessage,
  type TestUser,
} from '../helpers/factories.js';
import {
  killRedisClients,
  privateRedisAvailable,
  startPrivateRedis,
  type PrivateRedis,
} from '../helpers/private-services.js';
import { sleep, socketPool } from '../helpers/sockets.js';
import { barrier } from '../realtime/support.js';

/**
 * Item 1 of the consistency issue: a socket's subscriptions are a copy, never the judge. Two nodes
 * share one database and a PRIVATE Redis (its subscriber connections are killed here).
 */
let redis: PrivateRedis;
let testDb: TestDatabase;
let nodeA: TestApp;
let nodeB: TestApp;
let owner: TestUser;
let member: TestUser;
let witness: TestUser;
const sockets = socketPool();

/** Waits until `check` holds, polling; fails with `what` after the timeout. */
async function until(what: string, check: () => Promise<boolean> | boolean, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

/** The user's sockets on one node that follow the room right now. */
async function followers(node: TestApp, roomId: string, user: TestUser): Promise<number> {
  const found = await node.io.local.in(roomChannel(roomId)).fetchSockets();
  return found.filter((s) => (s.data as { actor: { userId: string } }).actor.userId === user.id)
    .length;
}

/** Node A's and node B's subscriber connections drop (ioredis reconnects them). */
const killSubscribers = () => killRedisClients(redis.url, 'pubsub');

const skip = skipUnless(requireOrSkip(privateRedisAvailable, 'redis-server'));

describe.skipIf(skip.skip)(
  skip.title('subscriptions follow the database (two nodes, a private Redis)'),
  () => {
    beforeAll(async () => {
      redis = await startPrivateRedis();
      const env = { REDIS_URL: redis.url, REDIS_PREFIX: 'subs:', PRESENCE_GRACE_MS: '0' };
      testDb = await createTestDatabase();
      nodeA = await startTestApp({ env, testDb });
      nodeB = await startTestApp({ env, testDb });
      [owner, member, witness] = await Promise.all([
        createUser(nodeA),
        createUser(nodeA),
        createUser(nodeA),
      ]);
    });
    afterEach(() => sockets.closeAll());
    afterAll(async () => {
      sockets.closeAll();
      await nodeA?.stop();
      await nodeB?.stop();
      await testDb?.drop();
      await redis?.destroy();
    });

    it('a member removed through node A while node B was cut off from Redis receives nothing more on B', async () => {
      const room = await createRoom(nodeA, owner, { type: 'private', members: [member, witness] });
      const removed = await sockets.connect(nodeB.url, member.accessToken);
      const other = await sockets.connect(nodeB.url, witness.accessToken);
      await barrier(nodeA, owner, room.id, [removed, other]);

      await killSubscribers();
      const res = await nodeA.http
        .delete(`/api/rooms/${room.id}/members/${member.id}`)
        .set(owner.auth);
      expect(res.status).toBe(200);
      // Node B's subscriber comes back and re-checks its sockets against the database.
      await until('node B dropped the removed member', async () => {
        return (await followers(nodeB, room.id, member)) === 0;
      });
      expect(await followers(nodeB, room.id, witness)).toBe(1);

      const after = await nodeA.http
        .post('/api/messages')
        .set(owner.auth)
        .send({ room: room.id, content: 'after the removal' });
      expect(after.status).toBe(201);
      await other.waitFor<TestMessage>('new-message', (m) => m.id === after.body.data.id);
      await barrier(nodeB, owner, room.id, [other]);
      expect(removed.payloads<TestMessage>('new-message', (m) => m.room === room.id)).toHaveLength(
        1,
      );
    });

    it('a removed member whose socket still follows the room cannot send, type or sync in it', async () => {
      const room = await createRoom(nodeA, owner, { type: 'private', members: [member] });
      const s = await sockets.connect(nodeA.url, member.accessToken);
      // The membership goes in the database only: the socket's subscription is left as it was,
      // as after a lost unsubscribe.
      await nodeA.ctx.db
        .delete(roomMembers)
        .where(and(eq(roomMembers.roomId, room.id), eq(roomMembers.userId, member.id)));
      expect(await followers(nodeA, room.id, member)).toBe(1);

      const send = await s.ack('send-message', { room: room.id, content: 'sneaky' });
      expect(send.success).toBe(false);
      expect(send.error?.code).toBe('NOT_FOUND');
      const typing = await s.ack('typing-start', { room: room.id });
      expect(typing.error?.code).toBe('NOT_FOUND');
      const sync = await s.ack<{ error?: { code: string } }[]>('sync', {
        rooms: [{ room: room.id, rev: 0 }],
      });
      expect(sync.data?.[0]?.error?.code).toBe('NOT_FOUND');
      const history = await nodeA.http.get(`/api/messages?room=${room.id}&after=0`).set(owner.auth);
      expect(history.body.data.map((m: TestMessage) => m.content)).not.toContain('sneaky');
    });

    it('join-room by a member whose subscription was lost subscribes their sockets again', async () => {
      const room = await createRoom(nodeA, owner, { type: 'public', members: [member] });
      const s = await sockets.connect(nodeB.url, member.accessToken);
      nodeB.io.local.in(`user:${member.id}`).socketsLeave(roomChannel(room.id));
      expect(await followers(nodeB, room.id, member)).toBe(0);
      const joined = await s.ack('join-room', { room: room.id });
      expect(joined.success).toBe(true);
      await until('the socket follows the room again', async () => {
        return (await followers(nodeB, room.id, member)) === 1;
      });
      await barrier(nodeA, owner, room.id, [s]);
    });

    it('a member added through node A while node B was cut off from Redis receives the room on B', async () => {
      const room = await createRoom(nodeA, owner, { type: 'private' });
      const s = await sockets.connect(nodeB.url, member.accessToken);
      await killSubscribers();
      await addMember(nodeA, owner, room.id, member);
      await until('node B subscribed the new member', async () => {
        return (await followers(nodeB, room.id, member)) === 1;
      });
      await barrier(nodeA, owner, room.id, [s]);
    });
  },
);
