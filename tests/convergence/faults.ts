import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { killRedisClients } from '../helpers/private-services.js';
import type { ServerProcess } from '../helpers/processes.js';
import { sleep } from '../helpers/sockets.js';
import type { Rng } from './random.js';

/**
 * The faults of the convergence test: Redis connections cut (on the test's PRIVATE Redis only) and a
 * node killed with SIGKILL, then started again on the same port so its clients find it where it was.
 */

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const exited = (child: ServerProcess['child']) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

/**
 * Starts `src/server.ts` on the port of `url` (tests/helpers/processes.ts always picks a new port,
 * so this is the same spawn with a fixed PORT). Resolves once /health answers 200.
 */
export async function startNodeOnPort(
  env: Record<string, string>,
  url: string,
  timeoutMs = 30_000,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...env,
      PORT: new URL(url).port,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited(child);
    clearTimeout(killer);
  };
  const crash = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited(child);
  };
  const node: ServerProcess = { url, child, output: () => log, stop, crash };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`restarted node exited (${child.exitCode ?? child.signalCode}):\n${log}`);
    const status = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return node;
    await sleep(100);
  }
  await stop(2000);
  throw new Error(`restarted node at ${url} not healthy after ${timeoutMs} ms:\n${log}`);
}

export type FaultKind = 'redis-pubsub' | 'redis-normal' | 'kill-node';

export interface PlannedFault {
  kind: FaultKind;
  /** Injected once this many actions are done. */
  at: number;
}

/**
 * Where the faults fall, from the seed: Redis cuts about every 80 actions (at least 3), one node kill
 * per 1,500 actions (at least 1), all within 10–80 % of the run so the end is quiet.
 */
export function planFaults(rng: Rng, actions: number): PlannedFault[] {
  const at = () => Math.floor(actions * (0.1 + 0.7 * rng.float()));
  const plan: PlannedFault[] = [];
  const blips = Math.max(3, Math.round(actions / 80));
  for (let i = 0; i < blips; i += 1)
    plan.push({ kind: rng.chance(0.7) ? 'redis-pubsub' : 'redis-normal', at: at() });
  const kills = Math.max(1, Math.floor(actions / 1500));
  for (let i = 0; i < kills; i += 1) plan.push({ kind: 'kill-node', at: at() });
  return plan.sort((a, b) => a.at - b.at);
}

/** The two nodes; `nodes[i]` is replaced when node i is restarted. Clients only know the URLs. */
export interface NodeSet {
  env: Record<string, string>;
  nodes: ServerProcess[];
}

export interface FaultLog {
  injected: string[];
  /** The run's clock (Recorder.elapsed), stamped on each fault. */
  clock: () => string;
  /** A restart still starting (awaited before the end checks). */
  restarting?: Promise<void>;
}

/** Injects `fault` now; a node kill returns at once and restarts the node in the background. */
export async function inject(
  fault: PlannedFault,
  rng: Rng,
  set: NodeSet,
  redisUrl: string,
  log: FaultLog,
): Promise<void> {
  if (fault.kind !== 'kill-node') {
    const type = fault.kind === 'redis-pubsub' ? 'pubsub' : 'normal';
    const killed = await killRedisClients(redisUrl, type);
    log.injected.push(`${fault.kind}(${killed})@${fault.at},${log.clock()}`);
    return;
  }
  // One node down at a time: a second kill waits for the first restart.
  await log.restarting;
  const index = rng.int(0, set.nodes.length - 1);
  const victim = set.nodes[index]!;
  const downMs = rng.int(200, 1500);
  await victim.crash();
  log.injected.push(`kill-node${index === 0 ? 'A' : 'B'}(${downMs}ms)@${fault.at},${log.clock()}`);
  const restart = (async () => {
    await sleep(downMs);
    set.nodes[index] = await startNodeOnPort(set.env, victim.url);
    log.injected.push(`node${index === 0 ? 'A' : 'B'}-up,${log.clock()}`);
  })();
  // Awaited (and so reported) at the end; not an unhandled rejection meanwhile.
  restart.catch(() => {});
  log.restarting = restart;
}
