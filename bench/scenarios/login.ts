import { PASSWORD, registerUsers } from '../lib/api.js';
import type { BenchContext } from '../lib/context.js';
import { Histogram, type LatencySummary } from '../lib/histogram.js';
import { startProbe, type ProbeResult } from '../lib/probe.js';
import { resourceMeter, sleep } from '../lib/proc.js';
import { WorkerHandle } from '../lib/workers.js';
import type { FromHttpWorker, ToHttpWorker } from '../workers/http-worker.js';

export interface LoginResult {
  offeredRate: number;
  durationS: number;
  sent: number;
  skipped: number;
  ok: number;
  errors: number;
  statusCodes: Record<string, number>;
  completedPerSec: number;
  latency: LatencySummary;
  serverCpuPct: number;
  lag: Record<string, ProbeResult>;
}

/**
 * A login burst (open loop, `loginRate`/s for `loginDuration` s) while /health is probed 20 times a
 * second: argon2 runs on libuv's pool, so the question is whether the event loop stays responsive.
 */
export async function loginScenario(
  ctx: BenchContext,
  print: (l: string) => void,
): Promise<LoginResult> {
  const { loginRate, loginDuration, loginUsers } = ctx.opts;
  const server = await ctx.startServer('login-server');
  const worker = new WorkerHandle<ToHttpWorker, FromHttpWorker>('http-worker.ts');
  try {
    const users = await registerUsers(server.url, 'l', loginUsers);
    const bodies = users.map((u) => JSON.stringify({ username: u.username, password: PASSWORD }));
    await sleep(1000);
    const probe = startProbe(server.url, 20);
    probe.setPhase('before');
    await sleep(2000);
    probe.setPhase('burst');
    const meter = resourceMeter(() => [server.pid]);
    meter.start();
    print(`[login] ${loginRate} logins/s for ${loginDuration} s (${users.length} users)`);
    const report = await worker.request(
      {
        type: 'open',
        url: server.url,
        path: '/api/auth/login',
        bodies,
        rate: loginRate,
        durationS: loginDuration,
        maxInFlight: 1000,
        timeoutMs: 30_000,
      },
      'openDone',
    );
    const usage = meter.stop();
    probe.setPhase('after');
    await sleep(1000);
    const lag = await probe.stop();
    if (report.type !== 'openDone') throw new Error('unexpected reply');
    const result: LoginResult = {
      offeredRate: loginRate,
      durationS: loginDuration,
      sent: report.sent,
      skipped: report.skipped,
      ok: report.ok,
      errors: report.errors,
      statusCodes: report.statusCodes,
      completedPerSec: Math.round(report.ok / report.totalSeconds),
      latency: Histogram.from([report.hist]).summary(),
      serverCpuPct: usage.cpuPct,
      lag,
    };
    print(
      `[login] ${result.ok}/${result.sent} ok (${result.skipped} not sent: too many in flight), ` +
        `${result.completedPerSec}/s completed, latency p50 ${result.latency.p50} p99 ${result.latency.p99} ms, ` +
        `/health p99 during burst ${lag.burst?.health.p99} ms (404 path ${lag.burst?.noDb.p99} ms)`,
    );
    return result;
  } finally {
    await worker.close();
    await ctx.stop(server);
  }
}
