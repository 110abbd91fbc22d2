import { Histogram, type LatencySummary } from './histogram.js';
import { postgresCpuMeter, resourceMeter, sleep, type NodeProcess } from './proc.js';
import {
  addCounts,
  type ClientSpec,
  type FromSocketWorker,
  type ToSocketWorker,
} from './protocol.js';
import { partition, WorkerHandle } from './workers.js';

export type SocketWorker = WorkerHandle<ToSocketWorker, FromSocketWorker>;

export interface StepResult {
  rate: number;
  sendSeconds: number;
  sent: number;
  acked: number;
  failed: number;
  errors: Record<string, number>;
  ack: LatencySummary;
  expected: number;
  delivered: number;
  late: number;
  deliveriesPerSec: number;
  latency: LatencySummary;
  serverCpuPct: number;
  /** Server process CPU over the step (sending and draining). */
  serverCpuSeconds: number;
  /** CPU of PostgreSQL over the same interval: its processes but other databases' backends. */
  dbCpuSeconds: number;
  serverRssMiB: number;
  generatorCpuPct: number;
  saturated: string | null;
}

export interface FanoutRun {
  label: string;
  clients: number;
  connected: number;
  connectFailed: number;
  connectErrors: Record<string, number>;
  rooms: number;
  steps: StepResult[];
  /** The first offered load at which the system saturated, with why; null if it never did. */
  saturatedAt: { rate: number; reason: string } | null;
  /** The highest offered load that did not saturate. */
  maxSustainedRate: number;
  peakDeliveriesPerSec: number;
}

const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;

/** Load-generator scripts speaking the socket worker protocol: Socket.io, or XMPP (ejabberd). */
export type FanoutWorkerScript = 'socket-worker.ts' | 'xmpp-worker.ts';

export async function spawnSocketWorkers(
  n: number,
  script: FanoutWorkerScript = 'socket-worker.ts',
): Promise<SocketWorker[]> {
  return Array.from({ length: n }, () => new WorkerHandle(script));
}

export async function closeWorkers(workers: SocketWorker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.close({ type: 'close' }, 'closed')));
}

function saturation(s: Omit<StepResult, 'saturated'>): string | null {
  if (s.failed > Math.max(1, s.sent * 0.01)) return `acks failing (${s.failed}/${s.sent})`;
  if (s.latency.p99 > 1000) return `p99 ${Math.round(s.latency.p99)} ms > 1 s`;
  if (s.delivered < s.expected * 0.99) return `delivered ${s.delivered}/${s.expected}`;
  return null;
}

/**
 * Connects the clients (all members of one room in the same worker), then runs the offered-load steps,
 * stopping after the first step that saturates (acks failing, p99 > 1 s, or deliveries missing).
 */
export async function runFanout(opts: {
  label: string;
  nodes: NodeProcess[];
  clients: ClientSpec[];
  rates: number[];
  durationS: number;
  clientId: boolean;
  print: (line: string) => void;
  /** The generator script (default: Socket.io clients). */
  worker?: FanoutWorkerScript;
  /** The bench database: PostgreSQL's CPU leaves out backends of other databases. */
  database?: string;
}): Promise<FanoutRun> {
  const { label, nodes, clients, print } = opts;
  const nWorkers = Math.min(4, Math.max(1, Math.ceil(clients.length / 500)));
  const workers = await spawnSocketWorkers(nWorkers, opts.worker);
  try {
    const shares = partition(clients, nWorkers, (c) => c.room);
    const connected = await Promise.all(
      workers.map((w, i) =>
        w.request(
          { type: 'connect', clients: shares[i]!, concurrency: 50, timeoutMs: 20_000 },
          'connected',
        ),
      ),
    );
    const members: Record<string, number> = {};
    const connectErrors: Record<string, number> = {};
    for (const c of connected) {
      addCounts(members, c.roomMembers);
      addCounts(connectErrors, c.errors);
    }
    const nConnected = connected.reduce((s, c) => s + c.connected, 0);
    const run: FanoutRun = {
      label,
      clients: clients.length,
      connected: nConnected,
      connectFailed: clients.length - nConnected,
      connectErrors,
      rooms: Object.keys(members).length,
      steps: [],
      saturatedAt: null,
      maxSustainedRate: 0,
      peakDeliveriesPerSec: 0,
    };
    print(`[${label}] ${nConnected}/${clients.length} clients connected in ${run.rooms} rooms`);
    if (nConnected === 0)
      throw new Error(`${label}: no client connected: ${JSON.stringify(connectErrors)}`);
    for (const [i, rate] of opts.rates.entries()) {
      const id = i + 1;
      const meter = resourceMeter(() => nodes.map((n) => n.pid));
      const dbMeter = postgresCpuMeter(opts.database);
      const gen0 = workers.reduce((s, w) => s + w.cpuSeconds(), 0);
      const t0 = performance.now();
      meter.start();
      dbMeter.start();
      const done = await Promise.all(
        workers.map((w, wi) =>
          w.request(
            {
              type: 'step',
              id,
              rate: (rate * connected[wi]!.connected) / nConnected,
              durationMs: opts.durationS * 1000,
              ackTimeoutMs: 10_000,
              clientId: opts.clientId,
            },
            'stepDone',
          ),
        ),
      );
      const ackedByRoom: Record<string, number> = {};
      for (const d of done) addCounts(ackedByRoom, d.ackedByRoom);
      const expected = Object.entries(ackedByRoom).reduce(
        (s, [room, n]) => s + n * (members[room] ?? 0),
        0,
      );
      // Drain: wait until every expected delivery arrived, or the count stops moving.
      let last = -1;
      let stableSince = performance.now();
      const drainUntil = performance.now() + 15_000;
      while (performance.now() < drainUntil) {
        const counts = await Promise.all(
          workers.map((w) => w.request({ type: 'count', id }, 'count')),
        );
        const received = counts.reduce((s, c) => s + c.received, 0);
        if (received >= expected) break;
        if (received !== last) [last, stableSince] = [received, performance.now()];
        else if (performance.now() - stableSince > 1500) break;
        await sleep(100);
      }
      const collected = await Promise.all(
        workers.map((w) => w.request({ type: 'collect', id }, 'collected')),
      );
      const usage = meter.stop();
      const dbCpuSeconds = dbMeter.stop();
      const genSeconds = workers.reduce((s, w) => s + w.cpuSeconds(), 0) - gen0;
      const sendSeconds = Math.max(...done.map((d) => d.sendMs)) / 1000;
      const delivered = collected.reduce((s, c) => s + c.received, 0);
      const step: Omit<StepResult, 'saturated'> = {
        rate,
        sendSeconds: round(sendSeconds, 2),
        sent: done.reduce((s, d) => s + d.sent, 0),
        acked: done.reduce((s, d) => s + d.acked, 0),
        failed: done.reduce((s, d) => s + d.failed, 0),
        errors: done.reduce((m, d) => addCounts(m, d.errors), {} as Record<string, number>),
        ack: Histogram.from(done.map((d) => d.ackHist)).summary(),
        expected,
        delivered,
        late: collected.reduce((s, c) => s + c.late, 0),
        deliveriesPerSec: Math.round(delivered / sendSeconds),
        latency: Histogram.from(collected.map((c) => c.hist)).summary(),
        serverCpuPct: usage.cpuPct,
        serverCpuSeconds: usage.cpuSeconds,
        dbCpuSeconds,
        serverRssMiB: usage.peakRssMiB,
        generatorCpuPct: round((genSeconds / ((performance.now() - t0) / 1000)) * 100),
      };
      const result: StepResult = { ...step, saturated: saturation(step) };
      run.steps.push(result);
      const l = result.latency;
      print(
        `[${label}] ${rate} msg/s: acked ${result.acked}/${result.sent}, delivered ${delivered}/${expected}, ` +
          `latency p50 ${l.p50} p95 ${l.p95} p99 ${l.p99} max ${l.max} ms, ack p99 ${result.ack.p99} ms, ` +
          `server cpu ${usage.cpuPct}% rss ${usage.peakRssMiB} MiB, generator cpu ${result.generatorCpuPct}%` +
          (result.saturated ? ` — SATURATED: ${result.saturated}` : ''),
      );
      if (result.saturated) {
        run.saturatedAt = { rate, reason: result.saturated };
        break;
      }
      run.maxSustainedRate = rate;
      run.peakDeliveriesPerSec = Math.max(run.peakDeliveriesPerSec, result.deliveriesPerSec);
    }
    return run;
  } finally {
    await closeWorkers(workers);
  }
}
