import type { ConnectionsResult } from '../scenarios/connections.js';
import type { EjabberdResult } from '../scenarios/ejabberd.js';
import type { FanoutResult } from '../scenarios/fanout.js';
import type { HistoryResult } from '../scenarios/history.js';
import type { LoginResult } from '../scenarios/login.js';
import type { PushResult } from '../scenarios/push.js';
import type { RestResult } from '../scenarios/rest.js';
import type { FanoutRun, StepResult } from './fanout-engine.js';

export interface Results {
  fanout?: FanoutResult;
  connections?: ConnectionsResult;
  history?: HistoryResult;
  login?: LoginResult;
  rest?: RestResult;
  cluster?: FanoutRun;
  ejabberd?: EjabberdResult;
  push?: PushResult;
}

export interface Target {
  name: string;
  target: string;
  value: string;
  met: boolean | null;
  note?: string;
}

const f = (v: number, d = 1) =>
  Number.isFinite(v) ? String(Math.round(v * 10 ** d) / 10 ** d) : 'n/a';
const sat = (name: string, run: FanoutRun) =>
  run.saturatedAt
    ? `${name} saturated at ${run.saturatedAt.rate} msg/s`
    : `${name} did not saturate`;
const stepAt = (run: FanoutRun, rate: number): StepResult | undefined =>
  run.steps.find((s) => s.rate === rate);

/** The largest offered load ≤ `rate` that both runs measured. */
function commonStepAtMost(a: FanoutRun, b: FanoutRun, rate: number): number | undefined {
  const rates = a.steps.map((s) => s.rate).filter((r) => r <= rate && stepAt(b, r));
  return rates.length ? Math.max(...rates) : undefined;
}

export function evaluateTargets(r: Results, opts: { clients: number }): Target[] {
  const out: Target[] = [];
  const missing = (name: string, target: string, why: string) =>
    out.push({ name, target, value: 'not run', met: null, note: why });

  if (r.fanout) {
    const { server, relay } = r.fanout;
    const ratio = server.peakDeliveriesPerSec / relay.peakDeliveriesPerSec;
    out.push({
      name: 'Persisted fan-out deliveries/s vs relay',
      target: '≥ 0.7 × relay',
      value: `${server.peakDeliveriesPerSec}/s vs ${relay.peakDeliveriesPerSec}/s = ${f(ratio, 3)}×`,
      met: ratio >= 0.7,
      note:
        relay.saturatedAt || server.saturatedAt
          ? `peak of unsaturated steps; ${sat('server', server)}, ${sat('relay', relay)}`
          : 'neither saturated: both capped by the offered load',
    });
    // Efficiency: CPU per delivery at the highest load both carried unsaturated.
    const top = commonStepAtMost(
      { ...server, steps: server.steps.filter((s) => !s.saturated) },
      { ...relay, steps: relay.steps.filter((s) => !s.saturated) },
      Infinity,
    );
    if (top) {
      const cpd = (s: StepResult) => (s.serverCpuSeconds * 1000) / Math.max(1, s.delivered);
      const [sv, rl] = [cpd(stepAt(server, top)!), cpd(stepAt(relay, top)!)];
      out.push({
        name: 'Fan-out CPU per delivery vs relay (efficiency)',
        target: '≥ 0.7 × relay efficiency',
        value: `${f(sv, 4)} ms vs relay ${f(rl, 4)} ms at ${top} msg/s = ${f(rl / sv, 3)}×`,
        met: rl / sv >= 0.7,
        note: `server process CPU ÷ deliveries, every message persisted (PostgreSQL not counted); highest load both carried unsaturated${relay.saturatedAt || server.saturatedAt ? '' : ' (neither saturated)'}`,
      });
    } else
      missing(
        'Fan-out CPU per delivery vs relay',
        '≥ 0.7 × relay efficiency',
        'no common unsaturated step',
      );
    const relaySat = relay.saturatedAt?.rate ?? Math.max(...relay.steps.map((s) => s.rate));
    const half = commonStepAtMost(server, relay, relaySat / 2);
    if (half) {
      const s = stepAt(server, half)!.latency.p99;
      const b = stepAt(relay, half)!.latency.p99;
      out.push({
        name: 'p99 send→receive at half the relay saturation load',
        target: '≤ 1.5 × relay p99',
        value: `${f(s)} ms vs relay ${f(b)} ms at ${half} msg/s (${f(s / b, 3)}×)`,
        met: s <= 1.5 * b,
        note: relay.saturatedAt
          ? `relay saturated at ${relaySat} msg/s`
          : `relay never saturated (≤ ${relaySat} msg/s): half of the highest load`,
      });
    } else missing('p99 at half relay saturation', '≤ 1.5 × relay p99', 'no common step');
    const at2k = stepAt(server, 2000);
    out.push({
      name: `p99 send→receive at 2,000 msg/s, ${server.connected} clients`,
      target: '< 25 ms',
      value: at2k ? `${f(at2k.latency.p99)} ms` : 'not reached',
      met: at2k ? at2k.latency.p99 < 25 && !at2k.saturated : false,
      note:
        opts.clients !== 1000
          ? `target is for 1,000 clients; this run had ${opts.clients}`
          : undefined,
    });
    const ackStep = at2k ?? server.steps.filter((s) => !s.saturated).at(-1);
    out.push({
      name: 'send ack p99 (send-message → ack)',
      target: '< 10 ms',
      value: ackStep ? `${f(ackStep.ack.p99)} ms at ${ackStep.rate} msg/s` : 'n/a',
      met: ackStep ? ackStep.ack.p99 < 10 : null,
    });
  } else missing('Fan-out targets', 'see fanout', 'fanout not in this run');

  if (r.connections) {
    const { server, relay } = r.connections;
    const mem = server.rssPerSocketKiB / relay.rssPerSocketKiB;
    out.push({
      name: 'Memory per idle authenticated socket vs relay',
      target: '≤ 1.5 × relay',
      value: `${f(server.rssPerSocketKiB)} KiB vs ${f(relay.rssPerSocketKiB)} KiB = ${f(mem, 3)}×`,
      met: mem <= 1.5,
    });
    const rate = server.connectRate / relay.connectRate;
    out.push({
      name: 'Authenticated connect rate vs relay',
      target: '≥ 0.7 × relay',
      value: `${server.connectRate}/s vs ${relay.connectRate}/s = ${f(rate, 3)}×`,
      met: rate >= 0.7,
    });
    const exact = server.connected >= 20_000;
    const projected = exact
      ? server.rssIdleMiB
      : server.rssBeforeMiB + (server.rssPerSocketKiB * 20_000) / 1024;
    out.push({
      name: '20,000 idle sockets RSS',
      target: '< 2 GiB',
      value: `${f(projected / 1024, 2)} GiB${exact ? '' : ' (projected)'}`,
      met: projected < 2048,
      note: exact ? undefined : `extrapolated from ${server.connected} sockets`,
    });
  } else missing('Connection targets', 'see connections', 'connections not in this run');

  if (r.history) {
    const page = r.history.endpoints.find((e) => e.name === 'history page');
    const search = r.history.endpoints.find((e) => e.name === 'search');
    const note =
      r.history.messages < 1_000_000 ? `at ${r.history.messages} messages, not 1 M` : undefined;
    out.push({
      name: 'History page p99',
      target: '< 5 ms at 1 M messages',
      value: `${f(page?.latency.p99 ?? NaN)} ms`,
      met: (page?.latency.p99 ?? Infinity) < 5,
      note,
    });
    out.push({
      name: 'Search p99',
      target: '< 50 ms',
      value: `${f(search?.latency.p99 ?? NaN)} ms`,
      met: (search?.latency.p99 ?? Infinity) < 50,
      note,
    });
  } else missing('History targets', 'see history', 'history not in this run');

  if (r.rest) {
    for (const e of r.rest.endpoints) {
      const ratio = e.project.reqPerSec / Math.max(1, e.baseline.reqPerSec);
      out.push({
        name: `REST ${e.name} throughput vs minimal baseline`,
        target: '≥ 0.5 × baseline',
        value: `${e.project.reqPerSec}/s vs ${e.baseline.reqPerSec}/s = ${f(ratio, 2)}×`,
        met: ratio >= 0.5,
        note: `server CPU ${e.project.serverCpuPct}% vs ${e.baseline.serverCpuPct}%`,
      });
      const p99 = e.project.halfLoad.latency.p99;
      out.push({
        name: `REST ${e.name} p99 at half the project's saturation`,
        target: '< 10 ms',
        value: `${f(p99)} ms at ${e.project.halfLoad.rate} req/s (baseline ${f(e.baseline.halfLoad.latency.p99)} ms)`,
        met: p99 < 10,
        note:
          e.project.halfLoad.ok < e.project.halfLoad.sent
            ? `${e.project.halfLoad.sent - e.project.halfLoad.ok} of ${e.project.halfLoad.sent} not 2xx`
            : undefined,
      });
    }
  } else missing('REST vs baseline targets', 'see rest', 'rest not in this run');

  if (r.login) {
    const lag = r.login.lag.burst?.health.p99 ?? NaN;
    out.push({
      name: 'Login burst event-loop lag p99 (indirect: /health RTT)',
      target: '< 50 ms',
      value: `${f(lag)} ms (404 path ${f(r.login.lag.burst?.noDb.p99 ?? NaN)} ms)`,
      met: lag < 50,
      note: `${r.login.offeredRate}/s offered, ${r.login.completedPerSec}/s completed`,
    });
  } else missing('Login target', 'event-loop lag < 50 ms', 'login not in this run');

  if (r.cluster && r.fanout) {
    const one = r.fanout.server;
    const two = r.cluster;
    const ratio = two.maxSustainedRate / Math.max(1, one.maxSustainedRate);
    const capped = !one.saturatedAt;
    out.push({
      name: 'Two nodes vs one node: sustained send rate',
      target: '≥ 1.6 × one node',
      value: `${two.maxSustainedRate} vs ${one.maxSustainedRate} msg/s = ${f(ratio, 2)}×`,
      met: capped && !two.saturatedAt ? null : ratio >= 1.6,
      note:
        `${sat('one node', one)}, ${sat('two nodes', two)}; peak deliveries ${two.peakDeliveriesPerSec} vs ${one.peakDeliveriesPerSec}/s` +
        (capped && !two.saturatedAt
          ? '; both capped by the offered load: raise --rates/--cluster-rates'
          : ''),
    });
  } else
    missing('Two nodes vs one node', '≥ 1.6 × one node', 'needs fanout and cluster in the run');

  if (r.push) {
    const { plain, push, members } = r.push;
    const ratio = push.reqPerSec / Math.max(1, plain.reqPerSec);
    out.push({
      name: `Send with the push outbox on (${members} offline subscribed members) vs off`,
      target: '≥ 0.85 × (costs ≤ 15 %)',
      value: `${push.reqPerSec} vs ${plain.reqPerSec} sends/s = ${f(ratio, 3)}×; p99 ${f(push.latency.p99)} vs ${f(plain.latency.p99)} ms`,
      met: ratio >= 0.85,
      note: `${push.jobsQueued} push jobs queued (one per message), ${plain.jobsQueued} without; jobs not run on the measured node`,
    });
  } else missing('Push outbox on the send path', '≥ 0.85 ×', 'push not in this run');

  const cpuName = 'CPU per delivery vs ejabberd';
  const cpuGoal = '≤ ejabberd ÷ 1.5 (1.5 × its efficiency)';
  const p99Name = 'p99 send→receive vs ejabberd';
  const p99Goal = '< ejabberd p99';
  if (r.ejabberd?.skipped) {
    missing(cpuName, cpuGoal, `skipped: ${r.ejabberd.skipped}`);
    missing(p99Name, p99Goal, `skipped: ${r.ejabberd.skipped}`);
  } else if (r.ejabberd?.ejabberd && r.ejabberd.server) {
    const { ejabberd: ej, server, clients, roomSize, rate } = r.ejabberd;
    const shape = `${clients} clients, rooms of ${roomSize}, ${rate} msg/s`;
    const short = [ej, server]
      .filter((p) => p.step.saturated)
      .map((p) => `${p.label}: ${p.step.saturated}`);
    const caveat = short.length ? `; saturated: ${short.join(', ')}` : '';
    out.push({
      name: `${cpuName} (${shape})`,
      target: cpuGoal,
      value:
        `${f(server.cpuMsPerDelivery, 4)} ms vs ${f(ej.cpuMsPerDelivery, 4)} ms = ` +
        `${f(ej.cpuMsPerDelivery / server.cpuMsPerDelivery, 2)} × its efficiency; with PostgreSQL ` +
        `${f(server.cpuMsPerDeliveryWithDb, 4)} vs ${f(ej.cpuMsPerDeliveryWithDb, 4)} ms`,
      met: server.cpuMsPerDelivery <= ej.cpuMsPerDelivery / 1.5 && !server.step.saturated,
      note: `server process CPU ÷ deliveries decides; PostgreSQL = its processes but other databases' backends${caveat}`,
    });
    out.push({
      name: `${p99Name} (${shape})`,
      target: p99Goal,
      value: `${f(server.step.latency.p99)} ms vs ${f(ej.step.latency.p99)} ms (p50 ${f(server.step.latency.p50)} vs ${f(ej.step.latency.p50)} ms)`,
      met: server.step.latency.p99 < ej.step.latency.p99 && !server.step.saturated,
      note: caveat ? caveat.slice(2) : undefined,
    });
  } else missing('ejabberd targets', 'see ejabberd', 'ejabberd not in this run');
  return out;
}
