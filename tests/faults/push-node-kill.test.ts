import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_VAPID } from '../helpers/app.js';
import { privatePostgresAvailable, privateRedisAvailable } from '../helpers/private-services.js';
import { onlyIn, requireOrSkip, skipUnless } from '../helpers/skips.js';
import { startServerProcess, type ServerProcess } from '../helpers/processes.js';
import { sleep } from '../helpers/sockets.js';
import { startPushStandIn, type Browser, type PushStandIn } from '../push/push-standin.js';
import { register, startFaultCluster, type FaultCluster, type Registered } from './support.js';

// SPEC "Web Push": no push is lost when a node is killed. Node A claims the queued pushes and is
// SIGKILLed while the push service still fails them; node B, started after, takes the jobs over once
// A's claims expire, and every message reaches the browser exactly once.

const skip = skipUnless(
  requireOrSkip(privatePostgresAvailable, 'initdb'),
  requireOrSkip(privateRedisAvailable, 'redis-server'),
  onlyIn('pg'),
);

let cluster: FaultCluster<true, 1> | undefined;
let ps: PushStandIn | undefined;
let nodeB: ServerProcess | undefined;

beforeAll(async () => {
  if (skip.skip) return;
  ps = await startPushStandIn(() => TEST_VAPID.publicKey);
  cluster = await startFaultCluster({
    prefix: 'pushkill',
    nodes: 1,
    env: {
      PUSH_ALLOW_PRIVATE_ENDPOINTS: 'true',
      JOBS_WORKER: 'true',
      JOBS_POLL_MS: '50',
      JOBS_LOCK_MS: '1500',
      JOBS_RETRY_BASE_MS: '100',
    },
  });
}, 120_000);
afterAll(async () => {
  await nodeB?.stop(2000);
  await cluster?.stop();
  await ps?.close();
});

async function post(url: string, token: string, path: string, body: unknown) {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { data: { id: string } } };
}

describe.skipIf(skip.skip)(skip.title('fault: push with a node killed mid-queue'), () => {
  it('every message is pushed exactly once, by the node that is left', async () => {
    const { nodeA } = cluster!;
    const alice: Registered = await register(nodeA.url);
    const bob: Registered = await register(nodeA.url);
    const browser: Browser = ps!.browser();
    expect(
      (await post(nodeA.url, bob.accessToken, '/api/push/subscriptions', browser.subscription))
        .status,
    ).toBe(201);
    const dm = await post(nodeA.url, alice.accessToken, '/api/rooms/direct', { userId: bob.id });
    expect([200, 201]).toContain(dm.status);
    // The push service fails everything until told otherwise: node A keeps retrying.
    browser.answers.push(...Array.from({ length: 1000 }, () => ({ status: 500 })));
    const sent: string[] = [];
    for (let i = 0; i < 8; i += 1) {
      const m = await post(nodeA.url, alice.accessToken, '/api/messages', {
        room: dm.body.data.id,
        content: `message ${i}`,
      });
      expect(m.status).toBe(201);
      sent.push(m.body.data.id);
    }
    const deadline = Date.now() + 15_000;
    while (browser.requests < 16 && Date.now() < deadline) await sleep(50);
    expect(browser.requests).toBeGreaterThanOrEqual(16);
    await nodeA.crash();
    expect(browser.received).toEqual([]);

    browser.answers.length = 0; // 201 from now on
    nodeB = await startServerProcess(cluster!.env);
    const until = Date.now() + 30_000;
    while (browser.received.length < sent.length && Date.now() < until) await sleep(100);
    await sleep(1500); // a duplicate would come now
    const got = (browser.received as { messageId: string }[]).map((p) => p.messageId);
    expect(got.sort()).toEqual([...sent].sort());
    expect(browser.rejected).toEqual([]);
  }, 90_000);
});
