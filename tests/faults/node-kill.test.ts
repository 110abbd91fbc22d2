import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privatePostgresAvailable, privateRedisAvailable } from '../helpers/private-services.js';
import { onlyIn, requireOrSkip, skipUnless } from '../helpers/skips.js';
import { sleep } from '../helpers/sockets.js';
import { expectNoLossNoDuplicate } from './audit.js';
import {
  ChatClient,
  registerMany,
  roomId,
  startFaultCluster,
  type FaultCluster,
} from './support.js';

const CLIENTS = 20;

// kill -9 of one of two nodes behind Redis while 20 clients send: nothing acknowledged is lost,
// nothing is stored twice, and every client ends with the room's whole history, gapless.
const skip = skipUnless(
  requireOrSkip(privatePostgresAvailable, 'initdb'),
  requireOrSkip(privateRedisAvailable, 'redis-server'),
  onlyIn('pg'),
);

describe.skipIf(skip.skip)(skip.title('fault: kill -9 of one node of two'), () => {
  let cluster: FaultCluster | undefined;
  const clients: ChatClient[] = [];
  /** The client whose ack A sends just before it dies, and which never gets it. */
  const witness: ChatClient[] = [];

  beforeAll(async () => {
    cluster = await startFaultCluster({ prefix: 'kill' });
  });

  afterAll(async () => {
    await cluster?.stop(clients, witness);
  });

  it('clients fail over to the surviving node; every acknowledged message exactly once, no gap', async ({
    annotate,
  }) => {
    const { nodeA: a, nodeB: b, postgres } = cluster!;
    const users = await registerMany([a.url, b.url], CLIENTS + 1);
    const general = await roomId(a.url, users[0]!.accessToken, 'general');
    const lost = new ChatClient(users.pop()!, [a.url, b.url], general);
    witness.push(lost);
    for (const [i, user] of users.entries()) {
      const urls = i % 2 === 0 ? [a.url, b.url] : [b.url, a.url];
      clients.push(new ChatClient(user, urls, general));
    }
    await Promise.all([...clients, lost].map((c) => c.open()));

    let stopped = false;
    const loops = clients.map((c) => c.sendLoop(() => stopped, 10));
    await sleep(1500);
    const ackedBeforeKill = clients.reduce((n, c) => n + c.acked.size, 0);
    // A stores a message whose ack never reaches its client: the resend must find it on B.
    const stored = await lost.sendAckLost();
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await new Promise((resolve) => a.child.once('exit', resolve));

    // Keep sending until every client of A is on B and has had messages acknowledged there.
    const onA = clients.filter((_, i) => i % 2 === 0);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const moved = onA.every((c) => c.url === b.url && c.connected);
      const ackedAfter = onA.every((c) =>
        c.attempts.some((t) => t.startedAt > killedAt && t.outcome === 'OK'),
      );
      if (moved && ackedAfter) break;
      await sleep(100);
    }
    const failedOverMs = Date.now() - killedAt;
    await sleep(1000);
    stopped = true;
    await Promise.all(loops);
    // A client resends what was never acknowledged (same clientId) before it syncs.
    await Promise.all([...clients, lost].map((c) => c.flush()));
    // Live delivery to B's sockets has settled before the audit compares it with sync.
    await sleep(500);

    const everyone = [...clients, lost];
    const attempts = everyone.flatMap((c) => c.attempts);
    const failed = attempts.filter((t) => t.outcome !== 'OK');
    const resentIds = new Set(failed.map((t) => t.clientId));
    // A resend that answers with a message created before the kill: A stored it, the ack was lost.
    const storedByA = [...resentIds].filter((id) => {
      const m = everyone.map((c) => c.acked.get(id)).find(Boolean);
      return m?.createdAt !== undefined && Date.parse(m.createdAt) < killedAt;
    }).length;
    const result = await expectNoLossNoDuplicate(everyone, general, postgres.url);
    await annotate(
      `sent ${attempts.length} attempts, acked ${result.acked} (${ackedBeforeKill} before the kill), ` +
        `failed ${failed.length} (${[...new Set(failed.map((t) => t.outcome))].join('/')}) ` +
        `for ${resentIds.size} clientIds (${storedByA} of them stored by A before it died), ` +
        `all resent and acked; room seq 1..${result.lastSeq}; ` +
        `clients of A moved to B and sending again within ${failedOverMs} ms`,
    );
    expect(result.problems).toEqual([]);
    expect(onA.every((c) => c.url === b.url && c.failovers >= 1)).toBe(true);
    expect(ackedBeforeKill).toBeGreaterThan(0);
    // What A stored but never acknowledged (at least the witness's message) came back from B as
    // that same message, once: no second copy, no CONFLICT.
    expect(lost.url).toBe(b.url);
    expect(lost.acked.get(stored.clientId)).toMatchObject({
      id: stored.message.id,
      seq: stored.message.seq,
    });
    expect(storedByA).toBeGreaterThanOrEqual(1);
    expect(result.acked).toBe(new Set(attempts.map((t) => t.clientId)).size);
    // B was not affected by A's death.
    expect(b.child.exitCode).toBeNull();
    const health = await fetch(`${b.url}/health`);
    expect(health.status).toBe(200);
  }, 60_000);
});
