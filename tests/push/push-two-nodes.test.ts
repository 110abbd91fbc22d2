import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_VAPID, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createUser, openDirect, sendMessage } from '../helpers/factories.js';
import { sleep, socketPool } from '../helpers/sockets.js';
import { clearRedisPrefix, redisEnv } from '../realtime/support.js';
import { jobsDrained } from './support.js';
import { startPushStandIn, type PushStandIn } from './push-standin.js';

// SPEC "Web Push": no push to a member connected on ANY node (presence across nodes), and the two
// nodes' workers share the queue without sending a push twice.

const env = {
  ...redisEnv(),
  PUSH_ALLOW_PRIVATE_ENDPOINTS: 'true',
  JOBS_WORKER: 'true',
  JOBS_POLL_MS: '20',
  PRESENCE_GRACE_MS: '0',
};
let db: TestDatabase;
let nodeA: TestApp;
let nodeB: TestApp;
let ps: PushStandIn;
const sockets = socketPool();

beforeAll(async () => {
  ps = await startPushStandIn(() => TEST_VAPID.publicKey);
  db = await createTestDatabase();
  nodeA = await startTestApp({ env, testDb: db });
  nodeB = await startTestApp({ env, testDb: db });
});
afterAll(async () => {
  sockets.closeAll();
  await nodeA?.stop();
  await nodeB?.stop();
  await db?.drop();
  await ps?.close();
  await clearRedisPrefix(env.REDIS_PREFIX);
});

const drained = () => jobsDrained(nodeA.ctx.db);

describe('push across two nodes', () => {
  it('none while the member is connected on the other node; one each after; never twice', async () => {
    const alice = await createUser(nodeA);
    const bob = await createUser(nodeA);
    const browser = ps.browser();
    const res = await nodeB.http
      .post('/api/push/subscriptions')
      .set(bob.auth)
      .send(browser.subscription);
    expect(res.status).toBe(201);
    const dm = await openDirect(nodeA, alice, bob);
    const s = await sockets.connect(nodeB.url, bob.accessToken);
    await s.waitFor('online-users');
    await sendMessage(nodeA, alice, dm.id, 'bob is on node B');
    await drained();
    expect(browser.requests).toBe(0);

    s.close();
    await sleep(150);
    const sent: string[] = [];
    for (let i = 0; i < 10; i += 1)
      sent.push((await sendMessage(i % 2 ? nodeA : nodeB, alice, dm.id, `away ${i}`)).id);
    await drained();
    const got = (browser.received as { messageId: string }[]).map((p) => p.messageId);
    expect(got.sort()).toEqual(sent.sort());
    expect(browser.requests).toBe(10);
  });
});
