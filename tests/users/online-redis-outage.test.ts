import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createRoom, createUser, expectError, type TestUser } from '../helpers/factories.js';
import { socketPool } from '../helpers/sockets.js';
import { clearRedisPrefix, redisEnv } from '../realtime/support.js';

/**
 * Presence lives in Redis. While the node's Redis connection is down, `GET /users/online` answers
 * 503 SERVICE_UNAVAILABLE (a client retries), never a 500; when it is back, the list is there again.
 * The outage is the node's command connection closed under it (a real Redis kill, with two nodes, is
 * in tests/faults/redis-outage).
 */
const env = redisEnv();
let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let room: string;
const sockets = socketPool();

beforeAll(async () => {
  t = await startTestApp({ env });
  [alice, bob] = [await createUser(t), await createUser(t)];
  room = (await createRoom(t, alice, { members: [bob] })).id;
});
afterAll(async () => {
  sockets.closeAll();
  await t?.stop();
  await clearRedisPrefix(env.REDIS_PREFIX);
});

const online = () => t.http.get('/api/users/online').set(alice.auth);

describe('GET /api/users/online while Redis is unreachable', () => {
  it('answers 503 SERVICE_UNAVAILABLE, typing is refused the same way, and both work again after', async () => {
    const typist = await sockets.connect(t.url, bob.accessToken);
    const before = await online();
    expect(before.status).toBe(200);
    expect(before.body.data.map((u: { id: string }) => u.id)).toContain(bob.id);

    t.redis!.cmd.disconnect();
    try {
      expectError(await online(), 503, 'SERVICE_UNAVAILABLE');
      expect(await typist.ack('typing-start', { room })).toMatchObject({
        success: false,
        error: { code: 'SERVICE_UNAVAILABLE' },
      });
    } finally {
      await t.redis!.cmd.connect();
    }

    const after = await online();
    expect(after.status).toBe(200);
    expect(after.body.data.map((u: { id: string }) => u.id)).toContain(bob.id);
    expect((await typist.ack('typing-start', { room })).success).toBe(true);
  });
});
