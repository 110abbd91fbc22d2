import { createECDH, randomBytes } from 'node:crypto';
import { createRoom, registerUsers, runTag } from '../lib/api.js';
import type { BenchContext } from '../lib/context.js';
import { Histogram, type LatencySummary } from '../lib/histogram.js';
import { closedLoad } from '../lib/http-load.js';
import { WorkerHandle } from '../lib/workers.js';
import type { CannonRequest, FromHttpWorker, ToHttpWorker } from '../workers/http-worker.js';

export interface PushRun {
  reqPerSec: number;
  latency: LatencySummary;
  non2xx: number;
  errors: number;
  serverCpuPct: number;
  /** Jobs the sends queued (push.message, one per message with someone to notify). */
  jobsQueued: number;
}

export interface PushResult {
  members: number;
  rooms: number;
  senders: number;
  connections: number;
  /** The same sends into rooms where nobody has a push subscription: no job is queued. */
  plain: PushRun;
  /** Rooms whose every member is offline, subscribed and at level `all`: each send queues its push. */
  push: PushRun;
}

/**
 * The send path with the push outbox on (issue 14): REST sends at saturation into rooms of `members`
 * offline members who all want a push for every message, against the same sends into rooms of as many
 * members with no subscription, in the same run. The server under test queues the jobs in the send
 * statement and runs none (JOBS_WORKER=false): what is measured is what the outbox costs the send
 * path; the pushes themselves are any node's work, later.
 */
export async function pushScenario(
  ctx: BenchContext,
  print: (l: string) => void,
): Promise<PushResult> {
  const { duration, httpConnections, quick } = ctx.opts;
  const members = quick ? 200 : 1000;
  const roomsPerMode = 10;
  const server = await ctx.startServer('push-server', {
    JOBS_WORKER: 'false',
    PUSH_ALLOW_PRIVATE_ENDPOINTS: 'true',
  });
  const worker = new WorkerHandle<ToHttpWorker, FromHttpWorker>('http-worker.ts');
  const pool = ctx.db.pool;
  try {
    const senders = await registerUsers(server.url, 'pushs', 10);
    // The offline members never sign in: written straight into the tables, as many as asked.
    const { rows: memberRows } = await pool.query<{ id: string }>(
      `insert into users (username, email, password_hash)
       select 'pm_' || $1 || '_' || i, 'pm_' || $1 || '_' || i || '@bench.invalid', 'not-a-hash'
       from generate_series(1, $2::int) i returning id`,
      [runTag, members],
    );
    const memberIds = memberRows.map((r) => r.id);
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    await pool.query(
      `insert into push_subscriptions (user_id, endpoint, p256dh, auth)
       select u, 'http://127.0.0.1:9/push/' || u, $2, $3 from unnest($1::uuid[]) u`,
      [memberIds, ecdh.getPublicKey().toString('base64url'), randomBytes(16).toString('base64url')],
    );
    const rooms: Record<'plain' | 'push', string[]> = { plain: [], push: [] };
    for (const mode of ['plain', 'push'] as const) {
      for (let i = 0; i < roomsPerMode; i += 1) {
        const id = await createRoom(server.url, senders[0]!.token, `Push ${mode} ${runTag} ${i}`);
        // The senders, and the members: subscribed ones in push rooms (level `all`), others elsewhere.
        await pool.query(
          `insert into room_members (room_id, user_id, role) select $1, u, 'member'
           from unnest($2::uuid[]) u on conflict do nothing`,
          [id, senders.slice(1).map((s) => s.id)],
        );
        await pool.query(
          `insert into room_members (room_id, user_id, role, notify_level)
           select $1, u, 'member', $3 from unnest($2::uuid[]) u`,
          [id, mode === 'push' ? memberIds : [], 'all'],
        );
        await pool.query(
          `update rooms set member_count = (select count(*) from room_members where room_id = $1)
           where id = $1`,
          [id],
        );
        rooms[mode].push(id);
      }
    }
    // Plain rooms get members too, with no subscription: the same membership size.
    const { rows: plainMembers } = await pool.query<{ id: string }>(
      `insert into users (username, email, password_hash)
       select 'pq_' || $1 || '_' || i, 'pq_' || $1 || '_' || i || '@bench.invalid', 'not-a-hash'
       from generate_series(1, $2::int) i returning id`,
      [runTag, members],
    );
    for (const id of rooms.plain) {
      await pool.query(
        `insert into room_members (room_id, user_id, role) select $1, u, 'member' from unnest($2::uuid[]) u`,
        [id, plainMembers.map((r) => r.id)],
      );
      await pool.query(
        `update rooms set member_count = (select count(*) from room_members where room_id = $1)
         where id = $1`,
        [id],
      );
    }
    await pool.query('vacuum analyze room_members, push_subscriptions, users');
    print(
      `[push] ${roomsPerMode} rooms each of ${members} offline members subscribed at level all, and ${roomsPerMode} of ${members} without subscriptions`,
    );

    const requestsFor = (ids: string[]): CannonRequest[] =>
      senders.flatMap((s, i) =>
        ids.map((room, j) => ({
          token: s.token,
          method: 'POST',
          path: '/api/messages',
          body: JSON.stringify({ room, content: `push bench ${i}-${j}` }),
        })),
      );
    const jobs = async () =>
      Number((await pool.query<{ n: string }>('select count(*) as n from jobs')).rows[0]!.n);
    const run = async (mode: 'plain' | 'push'): Promise<PushRun> => {
      const before = await jobs();
      const { report, cpuPct } = await closedLoad(worker, server, {
        connections: httpConnections,
        durationS: duration,
        requests: requestsFor(rooms[mode]),
      });
      const result: PushRun = {
        reqPerSec: report.reqPerSec,
        latency: Histogram.from([report.hist]).summary(),
        non2xx: report.non2xx,
        errors: report.errors + report.timeouts,
        serverCpuPct: cpuPct,
        jobsQueued: (await jobs()) - before,
      };
      print(
        `[push] ${mode}: ${result.reqPerSec} sends/s, p50 ${result.latency.p50} p99 ${result.latency.p99} ms, ` +
          `cpu ${result.serverCpuPct}%, ${result.jobsQueued} jobs queued, non-2xx ${result.non2xx}`,
      );
      return result;
    };
    // Warm up both paths, then measure each.
    await closedLoad(worker, server, {
      connections: httpConnections,
      durationS: Math.min(3, duration),
      requests: [...requestsFor(rooms.plain), ...requestsFor(rooms.push)],
    });
    const plain = await run('plain');
    const push = await run('push');
    return {
      members,
      rooms: roomsPerMode,
      senders: senders.length,
      connections: httpConnections,
      plain,
      push,
    };
  } finally {
    await worker.close();
    await ctx.stop(server);
  }
}
