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
  /** Sequential failed logins, alternating: an unknown user, and a known user's wrong password. */
  failed: FailedLogins;
}

export interface FailedLogins {
  pairs: number;
  unknownMs: number;
  wrongMs: number;
  /** unknownMs / wrongMs: near 1 when an unknown user costs a (dummy) Argon2 verification too. */
  ratio: number;
}

/**
 * How long login takes to fail for an unknown user and for a wrong password, one after the other on
 * an idle server (alternating, so drift hits both alike). The tests check that both answer the same
 * 401 and run one Argon2 verification each; the time it takes is measured here.
 */
async function failedLogins(url: string, username: string, pairs: number): Promise<FailedLogins> {
  const attempt = async (body: object) => {
    const started = performance.now();
    const res = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    if (res.status !== 401) throw new Error(`failed login answered ${res.status}`);
    return performance.now() - started;
  };
  const unknown = { username: `nobody_${Date.now().toString(36)}`, password: 'wrong-password-1' };
  const wrong = { username, password: 'wrong-password-1' };
  await attempt(unknown);
  await attempt(wrong);
  let unknownMs = 0;
  let wrongMs = 0;
  for (let i = 0; i < pairs; i += 1) {
    unknownMs += await attempt(unknown);
    wrongMs += await attempt(wrong);
  }
  const round = (ms: number) => Math.round((ms / pairs) * 10) / 10;
  return {
    pairs,
    unknownMs: round(unknownMs),
    wrongMs: round(wrongMs),
    ratio: Math.round((unknownMs / wrongMs) * 100) / 100,
  };
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
    const failed = await failedLogins(server.url, users[0]!.username, 20);
    print(
      `[login] failed logins: unknown user ${failed.unknownMs} ms, wrong password ` +
        `${failed.wrongMs} ms (ratio ${failed.ratio}, over ${failed.pairs} pairs)`,
    );
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
      failed,
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
