import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logger.js';
import { createRedisLimitStore } from '../../src/realtime/socket-limit-store.js';
import { createSocketLimits, type SocketLimits } from '../../src/realtime/socket-limits.js';
import { startTestApp, testEnv, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import {
  createRoom,
  createUser,
  listMessages,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';
import {
  connectErrorWith,
  sleep,
  socketPool,
  type AckResult,
  type RecordedSocket,
} from '../helpers/sockets.js';
import { clearRedisPrefix, REDIS_URL, redisEnv } from './support.js';

/**
 * Issue 16, item 2: open sockets are capped per user and per client address, handshakes per address
 * per minute, and `send-message` is counted per user across all their sockets and nodes. Every test
 * socket comes from 127.0.0.1.
 */
const sockets = socketPool();

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

/** Closes every test socket and waits until the servers have seen them go (and freed their slots). */
async function closeAll(...apps: TestApp[]): Promise<void> {
  sockets.closeAll();
  await until('the servers closed every socket', () =>
    apps.every((t) => t.io.of('/').sockets.size === 0),
  );
}

async function openMany(url: string, user: TestUser, n: number): Promise<RecordedSocket[]> {
  return Promise.all(Array.from({ length: n }, () => sockets.connect(url, user.accessToken)));
}

async function expectRefused(url: string, user: TestUser, message: RegExp): Promise<void> {
  const err = await connectErrorWith(url, user.accessToken);
  expect(err.data?.code).toBe('RATE_LIMITED');
  expect(err.message).toMatch(message);
}

/** Sends `perSocket` messages from each socket at once; returns every ack. */
async function sendFromAll(sockets: RecordedSocket[], room: TestRoom, perSocket: number) {
  const acks: Promise<AckResult>[] = [];
  sockets.forEach((s, i) => {
    for (let k = 0; k < perSocket; k += 1)
      acks.push(s.ack('send-message', { room: room.id, content: `burst ${i}.${k}` }));
  });
  return Promise.all(acks);
}

describe('open sockets (SOCKET_MAX_PER_USER 20, SOCKET_MAX_PER_IP 30) and send-message per user (10 a minute)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: {
        SOCKET_MAX_PER_USER: '20',
        SOCKET_MAX_PER_IP: '30',
        SOCKET_MESSAGE_LIMIT: '10',
        SOCKET_MESSAGE_WINDOW_MS: '60000',
      },
    });
  });
  afterEach(() => closeAll(t));
  afterAll(async () => {
    await t?.stop();
  });

  it("a user's 21st socket is refused RATE_LIMITED; closing one frees its slot", async () => {
    const alice = await createUser(t);
    const open = await openMany(t.url, alice, 20);
    await expectRefused(t.url, alice, /user/);
    open[0]!.close();
    await until('a slot is free again', async () => {
      const err = await connectErrorWith(t.url, alice.accessToken).catch(() => undefined);
      if (err) expect(err.data?.code).toBe('RATE_LIMITED');
      return err === undefined;
    });
  });

  it('past 30 sockets from one address, a handshake is refused RATE_LIMITED whoever the user', async () => {
    const [carol, dave, erin] = [await createUser(t), await createUser(t), await createUser(t)];
    await openMany(t.url, carol, 20);
    await openMany(t.url, dave, 10);
    await expectRefused(t.url, dave, /address/);
    await expectRefused(t.url, erin, /address/);
    // X-Forwarded-For is not trusted (TRUST_PROXY off): it does not make a new address.
    const spoofed = await connectErrorWith(t.url, erin.accessToken, {
      extraHeaders: { 'X-Forwarded-For': '203.0.113.7' },
    });
    expect(spoofed.data?.code).toBe('RATE_LIMITED');
  });

  it('20 sockets of one user together get only SOCKET_MESSAGE_LIMIT (10) sends in the window', async () => {
    const frank = await createUser(t);
    const room = await createRoom(t, frank, { type: 'private' });
    const acks = await sendFromAll(await openMany(t.url, frank, 20), room, 2);
    expect(acks.filter((a) => a.success)).toHaveLength(10);
    expect(acks.filter((a) => !a.success).map((a) => a.error?.code)).toEqual(
      Array(30).fill('RATE_LIMITED'),
    );
    const { data } = await listMessages(t, frank, room.id, 'limit=100');
    expect(data.filter((m) => 'content' in m && m.content.startsWith('burst '))).toHaveLength(10);
  });
});

describe('handshakes per address (SOCKET_HANDSHAKE_LIMIT 5 a minute)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { SOCKET_HANDSHAKE_LIMIT: '5' } });
  });
  afterAll(async () => {
    sockets.closeAll();
    await t?.stop();
  });

  it('the 6th handshake within a minute is refused RATE_LIMITED, failed ones counting too', async () => {
    const user = await createUser(t);
    for (let i = 0; i < 3; i += 1) {
      const err = await connectErrorWith(t.url, 'not-a-token');
      expect(err.data?.code).toBe('UNAUTHORIZED');
    }
    await sockets.connect(t.url, user.accessToken);
    await sockets.connect(t.url, user.accessToken);
    const refused = await connectErrorWith(t.url, user.accessToken);
    expect(refused.data).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    const data = refused.data as { retryAfter: number };
    expect(data.retryAfter).toBeGreaterThan(0);
    expect(data.retryAfter).toBeLessThanOrEqual(60);
  });
});

describe('two nodes sharing one Redis (SOCKET_MAX_PER_USER 4, SOCKET_MAX_PER_IP 6, 5 sends a minute)', () => {
  let testDb: TestDatabase;
  let nodeA: TestApp;
  let nodeB: TestApp;
  let prefix: string;
  beforeAll(async () => {
    const redis = redisEnv();
    prefix = redis.REDIS_PREFIX;
    const env = {
      ...redis,
      SOCKET_MAX_PER_USER: '4',
      SOCKET_MAX_PER_IP: '6',
      SOCKET_MESSAGE_LIMIT: '5',
      SOCKET_MESSAGE_WINDOW_MS: '60000',
    };
    testDb = await createTestDatabase();
    nodeA = await startTestApp({ env, testDb });
    nodeB = await startTestApp({ env, testDb });
  });
  afterEach(() => closeAll(nodeA, nodeB));
  afterAll(async () => {
    await nodeA?.stop();
    await nodeB?.stop();
    await testDb?.drop();
    if (prefix) await clearRedisPrefix(prefix);
  });

  it("a user's sockets count on both nodes; closing one on B frees a slot on A", async () => {
    const user = await createUser(nodeA);
    await openMany(nodeA.url, user, 2);
    const onB = await openMany(nodeB.url, user, 2);
    await expectRefused(nodeA.url, user, /user/);
    await expectRefused(nodeB.url, user, /user/);
    onB[0]!.close();
    await until('node A accepts the user again', async () => {
      const err = await connectErrorWith(nodeA.url, user.accessToken).catch(() => undefined);
      return err === undefined;
    });
  });

  it("an address's sockets count on both nodes", async () => {
    const [one, two] = [await createUser(nodeA), await createUser(nodeA)];
    await openMany(nodeA.url, one, 2);
    await openMany(nodeB.url, one, 2);
    await openMany(nodeA.url, two, 1);
    await openMany(nodeB.url, two, 1);
    await expectRefused(nodeA.url, two, /address/);
    await expectRefused(nodeB.url, two, /address/);
  });

  it("a user's sends on both nodes share one budget of SOCKET_MESSAGE_LIMIT (5)", async () => {
    const user = await createUser(nodeA);
    const room = await createRoom(nodeA, user, { type: 'private' });
    const all = [...(await openMany(nodeA.url, user, 2)), ...(await openMany(nodeB.url, user, 2))];
    const acks = await sendFromAll(all, room, 3);
    expect(acks.filter((a) => a.success)).toHaveLength(5);
    expect(acks.filter((a) => !a.success).every((a) => a.error?.code === 'RATE_LIMITED')).toBe(
      true,
    );
  });
});

describe('the shared counters (one limits object per node, on one Redis)', () => {
  const log = createLogger(loadConfig(testEnv({ LOG_LEVEL: 'silent' })));
  const clients: Redis[] = [];
  const prefix = redisEnv().REDIS_PREFIX;
  function node(ttlMs: number, overrides: Record<string, string> = {}): SocketLimits {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    clients.push(redis);
    const config = loadConfig(testEnv({ PRESENCE_TTL_MS: '1000', ...overrides }));
    return createSocketLimits(config, log, createRedisLimitStore(redis, prefix, ttlMs));
  }
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await clearRedisPrefix(prefix);
  });

  it('handshakes from one address are counted across nodes', async () => {
    const env = { SOCKET_HANDSHAKE_LIMIT: '3' };
    const [a, b] = [node(1000, env), node(1000, env)];
    await a.handshake('198.51.100.1');
    await b.handshake('198.51.100.1');
    await a.handshake('198.51.100.1');
    await expect(b.handshake('198.51.100.1')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await expect(a.handshake('198.51.100.2')).resolves.toBeUndefined();
  });

  it('the sockets of a node that died (no close, no heartbeat) stop counting once they expire', async () => {
    const env = { SOCKET_MAX_PER_USER: '2' };
    const [dead, alive] = [node(300, env), node(300, env)];
    const slot = (socketId: string) => ({ socketId, userId: 'u-dead-node', ip: '198.51.100.9' });
    await dead.open(slot('s1'));
    await dead.open(slot('s2'));
    await expect(alive.open(slot('s3'))).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await until('the dead node’s sockets expired', () =>
      alive.open(slot('s3')).then(
        () => true,
        () => false,
      ),
    );
  });

  it('while Redis fails, a node still limits on its own', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    clients.push(down);
    const config = loadConfig(testEnv({ SOCKET_MESSAGE_LIMIT: '2' }));
    const limits = createSocketLimits(config, log, createRedisLimitStore(down, prefix, 1000));
    await limits.takeMessage('u-offline');
    await limits.takeMessage('u-offline');
    await expect(limits.takeMessage('u-offline')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });
});
