import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import type { TestMessage, TestUser } from '../helpers/factories.js';
import type { RecordedSocket } from '../helpers/sockets.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Redis settings with a prefix of this file's own, so test files running in parallel never meet. */
export function redisEnv(): { REDIS_URL: string; REDIS_PREFIX: string } {
  return { REDIS_URL, REDIS_PREFIX: `t${randomBytes(6).toString('hex')}:` };
}

/** Deletes every key a test run left under its prefix. */
export async function clearRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

let markers = 0;

/**
 * Sends a marker message into a room over REST and waits until each socket has it. Events reach a
 * socket in the order the server emitted them, so whatever was emitted before (by this node) has
 * arrived by then: a test can count events or assert one never came without sleeping.
 */
export async function barrier(
  t: Pick<TestApp, 'http'>,
  user: Pick<TestUser, 'auth'>,
  room: string,
  sockets: RecordedSocket[],
): Promise<void> {
  markers += 1;
  const content = `barrier ${markers} ${randomBytes(4).toString('hex')}`;
  const res = await t.http.post('/api/messages').set(user.auth).send({ room, content });
  if (res.status !== 201) throw new Error(`barrier send failed: ${res.status}`);
  await Promise.all(
    sockets.map((s) => s.waitFor<TestMessage>('new-message', (m) => m.content === content)),
  );
}

/** True for the marker messages `barrier` sends, to leave them out of counts. */
export const isBarrier = (m: { content?: string }) => m.content?.startsWith('barrier ') ?? false;

/**
 * One acknowledged round trip on a socket: on a single node, every event emitted to this socket
 * before the round trip started has arrived when it returns.
 */
export async function roundTrip(s: RecordedSocket): Promise<void> {
  const reply = await s.ack('sync', {});
  if (reply.success) throw new Error('expected the empty sync to be refused');
}

/** Takes a user out of `general`, which everyone joins, so they share no room by default. */
export async function leaveGeneral(t: Pick<TestApp, 'http'>, user: Pick<TestUser, 'auth'>) {
  const res = await t.http.post('/api/rooms/general/leave').set(user.auth);
  if (res.status !== 200) throw new Error(`leave general failed: ${res.status}`);
}

/** The id of the `general` room. */
export async function generalRoomId(t: Pick<TestApp, 'http'>, user: Pick<TestUser, 'auth'>) {
  const res = await t.http.get('/api/rooms/general').set(user.auth);
  if (res.status !== 200) throw new Error(`get general failed: ${res.status}`);
  return (res.body.data as { id: string }).id;
}

export interface TwoNodes {
  /** The Redis settings both nodes use (a prefix of their own): start a third node with them. */
  env: { REDIS_URL: string; REDIS_PREFIX: string };
  db: TestDatabase;
  nodeA: TestApp;
  nodeB: TestApp;
  /** Stops both nodes, drops the database and deletes the prefix's keys. */
  stop(): Promise<void>;
}

/** Two app instances (nodes) on one fresh database and the machine's Redis, as behind a balancer. */
export async function startTwoNodes(): Promise<TwoNodes> {
  const env = redisEnv();
  const db = await createTestDatabase();
  const nodeA = await startTestApp({ env, testDb: db });
  const nodeB = await startTestApp({ env, testDb: db });
  return {
    env,
    db,
    nodeA,
    nodeB,
    async stop() {
      await nodeA.stop();
      await nodeB.stop();
      await db.drop();
      await clearRedisPrefix(env.REDIS_PREFIX);
    },
  };
}
