import { registerUsers, runTag } from '../lib/api.js';
import type { BenchContext } from '../lib/context.js';
import { Histogram, type LatencySummary } from '../lib/histogram.js';
import { closedLoad, openLoad } from '../lib/http-load.js';
import { startNode, type NodeProcess } from '../lib/proc.js';
import { WorkerHandle } from '../lib/workers.js';
import type { CannonRequest, FromHttpWorker, ToHttpWorker } from '../workers/http-worker.js';
import { seedHistory } from './history-seed.js';

export interface RestRun {
  /** Closed loop (autocannon, keep-alive): the saturation throughput. */
  reqPerSec: number;
  latency: LatencySummary;
  non2xx: number;
  errors: number;
  serverCpuPct: number;
  /** Open loop at half of the PROJECT's saturation throughput (the same rate for both servers). */
  halfLoad: {
    rate: number;
    ok: number;
    sent: number;
    latency: LatencySummary;
    serverCpuPct: number;
  };
}

export interface RestEndpoint {
  name: string;
  example: string;
  project: RestRun;
  baseline: RestRun;
}

export interface RestResult {
  messages: number;
  rooms: number;
  users: number;
  connections: number;
  endpoints: RestEndpoint[];
}

/**
 * The project's REST path against a minimal server doing the same work (bench/baseline-rest-server.ts:
 * node:http + pg, the same database, the same core): the history page and the idempotent send, each
 * first at saturation (closed loop), then at half the project's saturation rate (open loop) for p99.
 */
export async function restScenario(
  ctx: BenchContext,
  print: (l: string) => void,
): Promise<RestResult> {
  const { duration, httpConnections, quick } = ctx.opts;
  const project = await ctx.startServer('rest-server');
  let baseline: NodeProcess | undefined;
  const worker = new WorkerHandle<ToHttpWorker, FromHttpWorker>('http-worker.ts');
  try {
    baseline = await startNode({
      name: 'rest-baseline',
      script: 'bench/baseline-rest-server.ts',
      env: {
        DATABASE_URL: ctx.db.url,
        DATABASE_POOL_MAX: process.env.DATABASE_POOL_MAX || '20',
        JWT_SECRET: ctx.jwtSecret,
      },
    });
    const users = await registerUsers(project.url, 'rest', quick ? 10 : 20);
    const rooms = quick ? 10 : 20;
    const seeded = await seedHistory(
      ctx.db.pool,
      users,
      { messages: rooms * (quick ? 2_000 : 10_000), rooms, memberRooms: 5, tag: `r${runTag}` },
      print,
    );
    // Reactions on every fifth message, one to three people each: pages carry grouped reactions.
    await ctx.db.pool.query(
      `insert into message_reactions (message_id, user_id, emoji)
       select m.id, u.id, (array['👍','🎉','❤️'])[1 + (m.seq + k) % 3]
       from messages m
       cross join generate_series(0, 2) k
       join lateral (select id from unnest($2::uuid[]) with ordinality x(id, n)
                     where n = 1 + (m.seq + k) % array_length($2::uuid[], 1)) u on true
       where m.room_id = any($1::uuid[]) and m.seq % 5 = 0 and k <= m.seq % 3
       on conflict do nothing`,
      [seeded.roomIds, users.map((u) => u.id)],
    );
    const pairs = users.flatMap((u) =>
      seeded.userRooms.get(u.id)!.map((room) => ({ token: u.token, room })),
    );
    const endpoints: Record<string, CannonRequest[]> = {
      'history page': pairs.map((p) => ({
        token: p.token,
        path: `/api/messages?room=${p.room}&limit=50`,
      })),
      'send (idempotent)': pairs.map((p, i) => ({
        token: p.token,
        method: 'POST',
        path: '/api/messages',
        body: JSON.stringify({
          room: p.room,
          content: `bench message ${i}`,
          clientId: `rest-${runTag}-${i}-__N__`,
        }),
      })),
    };

    const results: RestEndpoint[] = [];
    for (const [name, requests] of Object.entries(endpoints)) {
      const closed = (server: NodeProcess) =>
        closedLoad(worker, server, { connections: httpConnections, durationS: duration, requests });
      const open = (server: NodeProcess, rate: number) =>
        openLoad(worker, server, { rate, durationS: duration, requests });
      const p = await closed(project);
      const b = await closed(baseline);
      const half = Math.max(1, Math.round(p.report.reqPerSec / 2));
      const ph = await open(project, half);
      const bh = await open(baseline, half);
      const run = (
        { report: c, cpuPct }: Awaited<ReturnType<typeof closed>>,
        { report: h, cpuPct: halfCpuPct }: Awaited<ReturnType<typeof open>>,
      ): RestRun => ({
        reqPerSec: c.reqPerSec,
        latency: Histogram.from([c.hist]).summary(),
        non2xx: c.non2xx,
        errors: c.errors + c.timeouts,
        serverCpuPct: cpuPct,
        halfLoad: {
          rate: half,
          ok: h.ok,
          sent: h.sent,
          latency: Histogram.from([h.hist]).summary(),
          serverCpuPct: halfCpuPct,
        },
      });
      const result: RestEndpoint = {
        name,
        example: `${requests[0]!.method ?? 'GET'} ${requests[0]!.path}`,
        project: run(p, ph),
        baseline: run(b, bh),
      };
      results.push(result);
      print(
        `[rest] ${name}: project ${result.project.reqPerSec} req/s (p99 ${result.project.latency.p99} ms, ` +
          `cpu ${result.project.serverCpuPct}%), baseline ${result.baseline.reqPerSec} req/s ` +
          `(p99 ${result.baseline.latency.p99} ms) = ${(result.project.reqPerSec / Math.max(1, result.baseline.reqPerSec)).toFixed(2)}×; ` +
          `at ${half} req/s p99 project ${result.project.halfLoad.latency.p99} ms, baseline ${result.baseline.halfLoad.latency.p99} ms`,
      );
    }
    return {
      messages: seeded.perRoom * seeded.roomIds.length,
      rooms: seeded.roomIds.length,
      users: users.length,
      connections: httpConnections,
      endpoints: results,
    };
  } finally {
    await worker.close();
    if (baseline) await ctx.stop(baseline);
    await ctx.stop(project);
  }
}
