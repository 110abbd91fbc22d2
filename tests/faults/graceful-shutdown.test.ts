import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privatePostgresAvailable, privateRedisAvailable } from '../helpers/private-services.js';
import { onlyIn, requireOrSkip, skipUnless } from '../helpers/skips.js';
import { sleep } from '../helpers/sockets.js';
import { auditRoom, expectNoLossNoDuplicate } from './audit.js';
import {
  ChatClient,
  registerMany,
  roomId,
  startFaultCluster,
  type FaultCluster,
  type Registered,
} from './support.js';

const CLIENTS = 12;
const SHUTDOWN_TIMEOUT_MS = 10_000;

/** REST sends to one node, one after the other, until it stops answering; returns the acked clientIds. */
async function restSender(url: string, user: Registered, stop: () => boolean) {
  const acked: string[] = [];
  let refused = 0;
  while (!stop()) {
    const clientId = randomUUID();
    try {
      const res = await fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${user.accessToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ room: 'general', content: 'over REST', clientId }),
        signal: AbortSignal.timeout(5000),
      });
      if (res.status === 201) acked.push(clientId);
      else refused += 1;
    } catch {
      // The node closed: a REST client would go to another node (through the load balancer).
      break;
    }
  }
  return { acked, refused };
}

/**
 * A REST send whose body arrives in two halves, the second only when `release` resolves: a request
 * certainly in flight, on a keep-alive connection, while the node drains.
 */
async function slowRestSend(
  url: string,
  user: Registered,
  clientId: string,
  release: Promise<unknown>,
) {
  const body = new TextEncoder().encode(
    JSON.stringify({ room: 'general', content: 'in flight at SIGTERM', clientId }),
  );
  const half = Math.floor(body.length / 2);
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(body.slice(0, half));
      await release;
      controller.enqueue(body.slice(half));
      controller.close();
    },
  });
  const res = await fetch(`${url}/api/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
    body: stream,
    duplex: 'half',
    signal: AbortSignal.timeout(20_000),
  } as RequestInit);
  return res.status;
}

// SIGTERM under load: the node drains and exits 0; nothing it acknowledged is lost; its clients move
// to the other node and sync without a gap.
const skip = skipUnless(
  requireOrSkip(privatePostgresAvailable, 'initdb'),
  requireOrSkip(privateRedisAvailable, 'redis-server'),
  onlyIn('pg'),
);

describe.skipIf(skip.skip)(skip.title('fault: graceful shutdown under load'), () => {
  let cluster: FaultCluster | undefined;
  const clients: ChatClient[] = [];

  beforeAll(async () => {
    cluster = await startFaultCluster({
      prefix: 'drain',
      env: { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) },
    });
  });

  afterAll(async () => {
    await cluster?.stop(clients);
  });

  it('SIGTERM drains: exit 0 in time, every acknowledged message stored once, clients resync on B', async ({
    annotate,
  }) => {
    const { nodeA: a, nodeB: b, postgres } = cluster!;
    const users = await registerMany([a.url], CLIENTS + 1);
    const restUser = users.pop()!;
    const general = await roomId(a.url, restUser.accessToken, 'general');
    // Most clients on A (the node that stops), a few on B watching.
    for (const [i, user] of users.entries()) {
      const urls = i % 4 === 3 ? [b.url, a.url] : [a.url, b.url];
      clients.push(new ChatClient(user, urls, general));
    }
    await Promise.all(clients.map((c) => c.open()));
    const onA = clients.filter((c) => c.url === a.url);

    let stopped = false;
    let exitedAt = 0;
    const exitCode = new Promise<number | null>((resolve) =>
      a.child.once('exit', (code) => {
        exitedAt = Date.now();
        resolve(code);
      }),
    );
    const loops = clients.map((c) => c.sendLoop(() => stopped, 5));
    const rest = restSender(a.url, restUser, () => stopped);
    await sleep(1500);
    const slowClientId = randomUUID();
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const slow = slowRestSend(a.url, restUser, slowClientId, released);
    await sleep(300);

    const termAt = Date.now();
    a.child.kill('SIGTERM');
    setTimeout(release, 300);
    const code = await Promise.race([
      exitCode,
      sleep(SHUTDOWN_TIMEOUT_MS + 5000).then(() => 'hung'),
    ]);
    const exitMs = (exitedAt || Date.now()) - termAt;
    const ackedOnA = clients
      .flatMap((c) => c.attempts)
      .filter((t) => t.url === a.url && t.outcome === 'OK');
    const ackedBeforeExit = new Set(
      ackedOnA.filter((t) => t.startedAt + t.ms <= exitedAt).map((t) => t.clientId),
    );
    const { acked: restAcked, refused: restRefused } = await rest;
    const slowStatus = await slow.catch((err: Error) => err.message);
    if (slowStatus === 201) restAcked.push(slowClientId);

    // The clients of A are on B: wait until each has sent there, then stop.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (
        onA.every(
          (c) =>
            c.url === b.url && c.attempts.some((t) => t.startedAt > exitedAt && t.outcome === 'OK'),
        )
      )
        break;
      await sleep(100);
    }
    const movedMs = Date.now() - exitedAt;
    await sleep(500);
    stopped = true;
    await Promise.all(loops);
    await Promise.all(clients.map((c) => c.flush()));
    await sleep(500);

    const audit = await auditRoom(postgres.url, general, [...ackedBeforeExit, ...restAcked]);
    const lostOrDoubled = [...ackedBeforeExit, ...restAcked].filter(
      (id) => audit.stored.get(id) !== 1,
    );
    const attempts = clients.flatMap((c) => c.attempts);
    const failed = attempts.filter((t) => t.outcome !== 'OK');
    // The drained socket sends: in flight on A when SIGTERM closed its sockets, finished by A all
    // the same (stored, the ack lost with the socket); the resend on B returned A's message.
    const drained = [
      ...new Set(failed.filter((t) => t.url === a.url).map((t) => t.clientId)),
    ].filter((id) => {
      const m = clients.map((c) => c.acked.get(id)).find(Boolean);
      return m?.createdAt !== undefined && Date.parse(m.createdAt) <= exitedAt;
    });
    const result = await expectNoLossNoDuplicate(clients, general, postgres.url);
    await annotate(
      `SIGTERM → exit ${code} after ${exitMs} ms (limit ${SHUTDOWN_TIMEOUT_MS}); REST send in ` +
        `flight at SIGTERM answered ${slowStatus}; ` +
        `${ackedBeforeExit.size} socket acks + ${restAcked.length} REST 201s from A before it exited, ` +
        `all stored once; REST refused ${restRefused}; ${failed.length} socket sends ` +
        `unacknowledged at the disconnect (${[...new Set(failed.map((t) => t.outcome))].join('/')}; ` +
        `${drained.length} of them stored by A's drain), resent on B; clients of A sending on B ` +
        `${movedMs} ms after the exit; ` +
        `${result.acked} acked in all, seq 1..${result.lastSeq}`,
    );

    // Nothing acknowledged is lost or doubled, and what was in flight at SIGTERM was finished: the
    // slow REST send, and socket sends (each stored once: in the audit below).
    expect(slowStatus).toBe(201);
    expect(drained.length).toBeGreaterThan(0);
    expect(ackedBeforeExit.size).toBeGreaterThan(0);
    expect(lostOrDoubled).toEqual([]);
    expect(onA.every((c) => c.url === b.url)).toBe(true);
    expect(result.problems).toEqual([]);
    expect(result.acked).toBe(new Set(attempts.map((t) => t.clientId)).size);
    // The drain ends by itself: the forced exit after SHUTDOWN_TIMEOUT_MS would be code 1.
    expect(code, a.output()).toBe(0);
  }, 60_000);
});
