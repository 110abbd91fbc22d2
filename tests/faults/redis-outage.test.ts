import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privatePostgresAvailable, privateRedisAvailable } from '../helpers/private-services.js';
import { onlyIn, requireOrSkip, skipUnless } from '../helpers/skips.js';
import type { ServerProcess } from '../helpers/processes.js';
import { connectRecorded, sleep, type RecordedSocket } from '../helpers/sockets.js';
import { expectNoLossNoDuplicate } from './audit.js';
import {
  ChatClient,
  registerMany,
  roomId,
  startFaultCluster,
  type FaultCluster,
  type Msg,
} from './support.js';

async function rest(node: ServerProcess, token: string, path: string, body?: unknown) {
  const started = Date.now();
  const res = await fetch(`${node.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const json = (await res.json()) as { data?: unknown; error?: { code: string } };
  return {
    status: res.status,
    code: json.error?.code,
    data: json.data,
    /** The limiter counted this request (its store answered). */
    limited: res.headers.has('ratelimit'),
    ms: Date.now() - started,
  };
}

const alive = (node: ServerProcess) =>
  node.child.exitCode === null && node.child.signalCode === null;

// Redis (adapter, presence, rate limits) dies under traffic and comes back empty.
const skip = skipUnless(
  requireOrSkip(privatePostgresAvailable, 'initdb'),
  requireOrSkip(privateRedisAvailable, 'redis-server'),
  onlyIn('pg'),
);

describe.skipIf(skip.skip)(skip.title('fault: Redis outage'), () => {
  let cluster: FaultCluster | undefined;
  const clients: ChatClient[] = [];
  const extra: RecordedSocket[] = [];

  beforeAll(async () => {
    cluster = await startFaultCluster({ prefix: 'redis', env: { PRESENCE_TTL_MS: '3000' } });
  });

  afterAll(async () => {
    await cluster?.stop(clients, extra);
  });

  it('each node keeps serving its own clients; cross-node fan-out resumes when Redis returns', async ({
    annotate,
  }) => {
    const { nodeA: a, nodeB: b, postgres, redis } = cluster!;
    const [alice, bob, carol] = await registerMany([a.url], 3);
    const general = await roomId(a.url, alice!.accessToken, 'general');
    const sender = new ChatClient(alice!, [a.url], general);
    const sameNode = new ChatClient(bob!, [a.url], general);
    const otherNode = new ChatClient(carol!, [b.url], general);
    clients.push(sender, sameNode, otherNode);
    await Promise.all(clients.map((c) => c.open()));
    const seen = (c: ChatClient, m: Msg | undefined) =>
      (c.live.get(general) ?? []).some((x) => x.id === m?.id);
    const waitSeen = async (c: ChatClient, m: Msg | undefined, ms: number) => {
      const until = Date.now() + ms;
      while (!seen(c, m) && Date.now() < until) await sleep(20);
      return seen(c, m);
    };

    // Before: a message sent on A reaches B's client.
    await sender.sendOne('before the outage');
    expect(await waitSeen(otherNode, [...sender.acked.values()].at(-1), 5000)).toBe(true);

    // Redis dies while the sender keeps sending.
    let stopped = false;
    const loop = sender.sendLoop(() => stopped, 50, 100);
    await sleep(500);
    const killedAt = Date.now();
    await redis.kill();
    await sleep(1500);
    const token = alice!.accessToken;
    const down = {
      rooms: await rest(a, token, '/api/rooms'),
      send: await rest(a, token, '/api/messages', { room: 'general', content: 'REST, no Redis' }),
      online: await rest(a, token, '/api/users/online'),
      health: await fetch(`${a.url}/health`).then((r) => r.status),
      typing: await sender.ack('typing-start', { room: general }),
      handshake: await connectRecorded(a.url, bob!.accessToken).then(
        (s) => (extra.push(s), 'connected'),
        (err: Error & { data?: { code?: string } }) => `refused ${err.data?.code}`,
      ),
    };
    await sleep(500);
    const aliveDuringOutage = [alive(a), alive(b)];

    // Redis comes back (empty): measure until a message sent on A reaches B's client again.
    const upAt = Date.now();
    await redis.start();
    let fanOutMs = -1;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && alive(a)) {
      const m = [...sender.acked.values()].at(-1);
      if (m && Date.parse(m.createdAt ?? '') > upAt && (await waitSeen(otherNode, m, 300))) {
        fanOutMs = Date.now() - upAt;
        break;
      }
      await sleep(50);
    }
    // Presence is rebuilt by the heartbeat (PRESENCE_TTL_MS / 3), the rate limiter counts again.
    let presenceMs = -1;
    while (Date.now() < deadline) {
      const online = await rest(a, token, '/api/users/online');
      const ids = Array.isArray(online.data) ? online.data.map((u: { id: string }) => u.id) : [];
      if (online.status === 200 && ids.includes(carol!.id)) {
        presenceMs = Date.now() - upAt;
        break;
      }
      await sleep(200);
    }
    const restAfter = await rest(a, token, '/api/rooms');
    stopped = true;
    await loop;
    await sender.flush();

    const during = sender.attempts.filter((t) => t.startedAt >= killedAt && t.startedAt < upAt);
    const duringOk = during
      .filter((t) => t.outcome === 'OK')
      .map((t) => sender.acked.get(t.clientId));
    const sameNodeGot = duringOk.filter((m) => seen(sameNode, m)).length;
    const otherNodeGot = duringOk.filter((m) => seen(otherNode, m)).length;
    const result = await expectNoLossNoDuplicate(clients, general, postgres.url);
    const show = (r: { status: number; code?: string; limited: boolean; ms: number }) =>
      `${r.status}${r.code ? ` ${r.code}` : ''}${r.limited ? '' : ' unlimited'} in ${r.ms} ms`;
    await annotate(
      `Redis down ${upAt - killedAt} ms: ${during.length} socket sends on A, ${duringOk.length} ok ` +
        `(${[...new Set(during.map((t) => t.outcome))].join('/')}); client on A got ` +
        `${sameNodeGot}/${duringOk.length} live, client on B ${otherNodeGot}/${duringOk.length}; ` +
        `GET /api/rooms ${show(down.rooms)}; POST /api/messages ${show(down.send)}; ` +
        `GET /api/users/online ${show(down.online)}; /health ${down.health}; typing-start ` +
        `${down.typing.success ? 'ok' : down.typing.error?.code}; new socket ${down.handshake}; ` +
        `nodes alive ${aliveDuringOutage.join('/')}. Redis back: cross-node delivery after ` +
        `${fanOutMs} ms, presence after ${presenceMs} ms, GET /api/rooms ${show(restAfter)}; ` +
        `after sync: ${result.acked} acked, seq 1..${result.lastSeq}, no loss`,
    );

    // Documented behaviour: no crash, the node serves its own clients, REST fails open.
    expect(aliveDuringOutage, `${a.output()}\n${b.output()}`).toEqual([true, true]);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((t) => t.outcome === 'OK')).toBe(true);
    expect(sameNodeGot).toBe(duringOk.length);
    expect(down.rooms).toMatchObject({ status: 200, limited: false });
    expect(down.send).toMatchObject({ status: 201 });
    expect(down.health).toBe(200);
    expect(down.handshake).toBe('connected');
    // Presence and typing live in Redis: they tell the client to retry, they do not fail as bugs.
    expect(down.online).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(down.typing).toMatchObject({ success: false, error: { code: 'SERVICE_UNAVAILABLE' } });
    // Recovery without a restart (within the 20 s the loops above wait), and the client of B
    // catches up through sync: no loss, no gap. How long it took is reported, not asserted.
    expect(fanOutMs).toBeGreaterThan(0);
    expect(presenceMs).toBeGreaterThan(0);
    expect(restAfter).toMatchObject({ status: 200, limited: true });
    expect(result.problems).toEqual([]);
  }, 60_000);
});
