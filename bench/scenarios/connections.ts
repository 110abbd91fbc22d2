import { registerUsers, type BenchUser } from '../lib/api.js';
import type { BenchContext } from '../lib/context.js';
import { closeWorkers, spawnSocketWorkers } from '../lib/fanout-engine.js';
import { Histogram, type LatencySummary } from '../lib/histogram.js';
import { startProbe, type ProbeResult } from '../lib/probe.js';
import { cpuSeconds, rssMiB, sleep, type NodeProcess } from '../lib/proc.js';
import { addCounts, type ClientSpec } from '../lib/protocol.js';
import { partition } from '../lib/workers.js';

export interface ConnectionsRun {
  label: string;
  target: number;
  connected: number;
  failed: number;
  errors: Record<string, number>;
  rampSeconds: number;
  connectRate: number;
  connectLatency: LatencySummary;
  rssBeforeMiB: number;
  rssIdleMiB: number;
  rssPerSocketKiB: number;
  serverCpuPctRamp: number;
  lag: Record<string, ProbeResult>;
}

const SOCKETS_PER_WORKER = 4000;

/** Opens `sockets` sockets as fast as the workers can (bounded concurrency), then holds them idle. */
async function ramp(
  label: string,
  node: NodeProcess,
  specs: ClientSpec[],
  holdS: number,
  print: (l: string) => void,
): Promise<ConnectionsRun> {
  await sleep(1500);
  const rssBefore = rssMiB(node.pid);
  const probe = startProbe(node.url, 10);
  await sleep(1000);
  probe.setPhase('ramp');
  const nWorkers = Math.max(1, Math.ceil(specs.length / SOCKETS_PER_WORKER));
  const workers = await spawnSocketWorkers(nWorkers);
  const progress = new Map<number, { connected: number; failed: number }>();
  let aborted = false;
  workers.forEach((w, i) =>
    w.on('progress', (p) => {
      progress.set(i, p);
      const failed = [...progress.values()].reduce((s, x) => s + x.failed, 0);
      if (!aborted && failed > Math.max(100, specs.length * 0.05)) {
        aborted = true;
        print(`[${label}] ${failed} connections failed: stopping the ramp`);
        for (const x of workers) x.post({ type: 'abort' });
      }
    }),
  );
  try {
    const cpu0 = cpuSeconds(node.pid);
    const t0 = performance.now();
    const ticker = setInterval(() => {
      const c = [...progress.values()].reduce((s, x) => s + x.connected, 0);
      const s = (performance.now() - t0) / 1000;
      print(
        `[${label}] ${c}/${specs.length} sockets after ${s.toFixed(1)} s (${Math.round(c / s)}/s), rss ${Math.round(rssMiB(node.pid))} MiB`,
      );
    }, 2000);
    const shares = partition(specs, nWorkers);
    const reports = await Promise.all(
      workers.map((w, i) =>
        w.request(
          { type: 'connect', clients: shares[i]!, concurrency: 32, timeoutMs: 30_000 },
          'connected',
        ),
      ),
    ).finally(() => clearInterval(ticker));
    const rampSeconds = (performance.now() - t0) / 1000;
    const cpuRamp = cpuSeconds(node.pid) - cpu0;
    probe.setPhase('idle');
    await sleep(holdS * 1000);
    const rssIdle = rssMiB(node.pid);
    const connected = reports.reduce((s, r) => s + r.connected, 0);
    const result: ConnectionsRun = {
      label,
      target: specs.length,
      connected,
      failed: reports.reduce((s, r) => s + r.failed, 0),
      errors: reports.reduce((m, r) => addCounts(m, r.errors), {} as Record<string, number>),
      rampSeconds: Math.round(rampSeconds * 100) / 100,
      connectRate: Math.round(connected / rampSeconds),
      connectLatency: Histogram.from(reports.map((r) => r.connectHist)).summary(),
      rssBeforeMiB: Math.round(rssBefore),
      rssIdleMiB: Math.round(rssIdle),
      rssPerSocketKiB: connected
        ? Math.round((((rssIdle - rssBefore) * 1024) / connected) * 10) / 10
        : NaN,
      serverCpuPctRamp: Math.round((cpuRamp / rampSeconds) * 100),
      lag: await probe.stop(),
    };
    const idle = result.lag.idle?.health;
    print(
      `[${label}] ${connected}/${specs.length} connected in ${result.rampSeconds} s (${result.connectRate}/s, ` +
        `connect p99 ${result.connectLatency.p99} ms), rss ${result.rssBeforeMiB} → ${result.rssIdleMiB} MiB ` +
        `(${result.rssPerSocketKiB} KiB/socket), /health p99 ramp ${result.lag.ramp?.health.p99} ms idle ${idle?.p99} ms`,
    );
    return result;
  } finally {
    await probe.stop().catch(() => {});
    await closeWorkers(workers);
  }
}

export interface ConnectionsResult {
  server: ConnectionsRun;
  relay: ConnectionsRun;
}

export async function connectionsScenario(
  ctx: BenchContext,
  print: (l: string) => void,
): Promise<ConnectionsResult> {
  const { sockets, tokenUsers, quick } = ctx.opts;
  const holdS = quick ? 2 : 5;
  const server = await ctx.startServer('connections-server');
  let serverRun: ConnectionsRun;
  try {
    let users = ctx.cache.get('connections:users') as BenchUser[] | undefined;
    if (!users) {
      users = await registerUsers(server.url, 'c', Math.min(tokenUsers, sockets));
      ctx.cache.set('connections:users', users);
      print(`[setup] registered ${users.length} users whose tokens the ${sockets} sockets share`);
    }
    const specs = Array.from({ length: sockets }, (_, i) => ({
      url: server.url,
      token: users![i % users!.length]!.token,
      room: 'general',
    }));
    serverRun = await ramp('connections/server', server, specs, holdS, print);
  } finally {
    await ctx.stop(server);
  }
  const relay = await ctx.startRelay('connections-relay');
  try {
    const specs = Array.from({ length: sockets }, (_, i) => ({
      url: relay.url,
      room: `r${i % 100}`,
    }));
    return {
      server: serverRun,
      relay: await ramp('connections/relay', relay, specs, holdS, print),
    };
  } finally {
    await ctx.stop(relay);
  }
}
