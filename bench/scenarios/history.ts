import { registerUsers, runTag } from '../lib/api.js';
import type { BenchContext } from '../lib/context.js';
import { Histogram, type LatencySummary } from '../lib/histogram.js';
import { closedLoad } from '../lib/http-load.js';
import { WorkerHandle } from '../lib/workers.js';
import { searchTerm } from '../lib/words.js';
import type { CannonRequest, FromHttpWorker, ToHttpWorker } from '../workers/http-worker.js';
import { explainQueries, seedHistory } from './history-seed.js';

export interface EndpointResult {
  name: string;
  example: string;
  reqPerSec: number;
  total: number;
  non2xx: number;
  errors: number;
  latency: LatencySummary;
  serverCpuPct: number;
}

export interface HistoryResult {
  messages: number;
  rooms: number;
  memberRooms: number;
  users: number;
  seedSeconds: number;
  connections: number;
  endpoints: EndpointResult[];
  plans: Record<string, { sql: string; plan: string }>;
}

const shuffle = <T>(a: T[]) => {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
};

/**
 * Reads over a large history: a history page, a catch-up page, a search and the room list (unread
 * counts), each measured with autocannon (keep-alive, closed loop) from a worker process.
 */
export async function historyScenario(
  ctx: BenchContext,
  print: (l: string) => void,
): Promise<HistoryResult> {
  const { messages, historyRooms, memberRooms, duration, httpConnections, quick } = ctx.opts;
  const server = await ctx.startServer('history-server');
  const worker = new WorkerHandle<ToHttpWorker, FromHttpWorker>('http-worker.ts');
  try {
    const users = await registerUsers(server.url, 'h', quick ? 5 : 20);
    const seeded = await seedHistory(
      ctx.db.pool,
      users,
      { messages, rooms: historyRooms, memberRooms, tag: runTag },
      print,
    );
    const pairs = shuffle(
      users.flatMap((u) => seeded.userRooms.get(u.id)!.map((room) => ({ token: u.token, room }))),
    );
    const n = seeded.perRoom;
    const endpoints: Record<string, CannonRequest[]> = {
      'history page': pairs.map((p) => ({
        token: p.token,
        path: `/api/messages?room=${p.room}&limit=50`,
      })),
      'catch-up (after)': pairs.map((p, i) => ({
        token: p.token,
        path: `/api/messages?room=${p.room}&after=${Math.max(0, n - 1 - ((i * 37) % Math.min(n, 500)))}&limit=50`,
      })),
      search: pairs.map((p, i) => ({
        token: p.token,
        path: `/api/messages/search?q=${searchTerm(i)}`,
      })),
      'rooms (unread)': users.map((u) => ({ token: u.token, path: '/api/rooms' })),
    };
    const results: EndpointResult[] = [];
    for (const [name, requests] of Object.entries(endpoints)) {
      const { report: r, cpuPct } = await closedLoad(worker, server, {
        connections: httpConnections,
        durationS: duration,
        requests,
      });
      const res: EndpointResult = {
        name,
        example: requests[0]!.path,
        reqPerSec: r.reqPerSec,
        total: r.total,
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
        latency: Histogram.from([r.hist]).summary(),
        serverCpuPct: cpuPct,
      };
      results.push(res);
      print(
        `[history] ${name}: ${res.reqPerSec} req/s, p50 ${res.latency.p50} p99 ${res.latency.p99} ms, ` +
          `non-2xx ${res.non2xx}, errors ${res.errors}, server cpu ${cpuPct}%`,
      );
    }
    const sampleUser = users[0]!;
    const sampleRoom = seeded.userRooms.get(sampleUser.id)![0]!;
    const plans = await explainQueries(ctx.db.pool, {
      userId: sampleUser.id,
      roomId: sampleRoom,
      afterSeq: Math.max(0, n - 50),
      term: searchTerm(1),
    });
    print(`[history] EXPLAIN (ANALYZE, BUFFERS) captured for ${Object.keys(plans).join(', ')}`);
    return {
      messages: n * seeded.roomIds.length,
      rooms: seeded.roomIds.length,
      memberRooms,
      users: users.length,
      seedSeconds: Math.round(seeded.seconds * 10) / 10,
      connections: httpConnections,
      endpoints: results,
      plans,
    };
  } finally {
    await worker.close();
    await ctx.stop(server);
  }
}
