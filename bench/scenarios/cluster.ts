import { Redis } from 'ioredis';
import type { BenchContext } from '../lib/context.js';
import { runFanout, type FanoutRun } from '../lib/fanout-engine.js';
import { platform, type NodeProcess } from '../lib/proc.js';
import { fanoutClients, fanoutSetup } from './fanout.js';

/** Deletes the run's keys (presence, typing, rate limits) from the shared Redis. */
export async function cleanRedis(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    let removed = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) removed += await redis.del(...keys);
    } while (cursor !== '0');
    return removed;
  } finally {
    redis.disconnect();
  }
}

/**
 * The cores of the two nodes: apart where the machine allows. On two cores, node A has the server core
 * and node B shares the generators' core (PostgreSQL and Redis float); with more, the server cores are
 * split in two halves.
 */
export function clusterCores(): [string, string] {
  const { serverCores, generatorCores, cpus } = platform;
  if (!serverCores) return ['', ''];
  if (cpus === 2) return [serverCores, generatorCores];
  const last = cpus - 2;
  const mid = Math.floor(last / 2);
  const range = (a: number, b: number) => (a === b ? String(a) : `${a}-${b}`);
  return [range(0, mid), range(mid + 1, last)];
}

/**
 * Two server nodes sharing Redis (the Socket.io Redis adapter): the members of every room are split
 * across both nodes, so every message crosses Redis to reach half of its receivers.
 */
export async function clusterScenario(
  ctx: BenchContext,
  print: (l: string) => void,
): Promise<FanoutRun> {
  const env = { REDIS_URL: ctx.redisUrl, REDIS_PREFIX: ctx.redisPrefix };
  const nodes: NodeProcess[] = [];
  try {
    const [coresA, coresB] = clusterCores();
    print(`[cluster] node A on core(s) ${coresA || 'any'}, node B on core(s) ${coresB || 'any'}`);
    nodes.push(await ctx.startServer('cluster-a', env, coresA));
    nodes.push(await ctx.startServer('cluster-b', env, coresB));
    const setup = await fanoutSetup(ctx, nodes[0]!.url, print);
    return await runFanout({
      label: 'cluster',
      nodes,
      clients: fanoutClients(
        setup,
        nodes.map((n) => n.url),
        true,
      ),
      rates: ctx.opts.clusterRates,
      durationS: ctx.opts.duration,
      clientId: ctx.opts.clientId,
      print,
      database: ctx.db.name,
    });
  } finally {
    await Promise.all(nodes.map((n) => ctx.stop(n)));
    await cleanRedis(ctx.redisUrl, ctx.redisPrefix).catch(() => 0);
  }
}
