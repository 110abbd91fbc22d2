import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
export const TMP = join(ROOT, 'bench/results/tmp');

/** Every process we started, so that a failure or Ctrl-C can end exactly those. */
const children = new Set<ChildProcess>();

function hasCommand(cmd: string): boolean {
  try {
    execFileSync('which', [cmd], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const platform = {
  taskset: hasCommand('taskset'),
  prlimit: hasCommand('prlimit'),
  cpus: (() => {
    try {
      return Number(execFileSync('nproc').toString().trim());
    } catch {
      return 1;
    }
  })(),
  nofile: 0,
  /** Cores the servers run on, and the core of this process and the load generators. */
  serverCores: '',
  generatorCores: '',
};

/**
 * With taskset and at least two cores: this process (and every worker it forks, which inherits the
 * affinity) runs on the last core, servers on the others. Raises the open-file limit for the socket
 * scenarios (inherited by children too).
 */
export function setupPlatform(): void {
  mkdirSync(TMP, { recursive: true });
  if (platform.prlimit) {
    try {
      execFileSync('prlimit', ['--pid', String(process.pid), '--nofile=65535:65535'], {
        stdio: 'ignore',
      });
    } catch {
      /* not permitted: keep the current limit */
    }
  }
  platform.nofile = Number(
    /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 0,
  );
  if (platform.taskset && platform.cpus >= 2) {
    const last = platform.cpus - 1;
    platform.generatorCores = String(last);
    platform.serverCores = last === 1 ? '0' : `0-${last - 1}`;
    execFileSync('taskset', ['-a', '-p', '-c', platform.generatorCores, String(process.pid)], {
      stdio: 'ignore',
    });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface NodeProcess {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Spawns a server process pinned to the server cores (through `taskset`, which execs it, so the pid is
 * the server's own), logging to bench/results/tmp/<name>.log, and tracks it for `killAll`.
 */
export function spawnServer(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string>,
  cores = platform.serverCores,
): ChildProcess {
  const [cmd, argv] = cores ? ['taskset', ['-c', cores, command, ...args]] : [command, args];
  const log = createWriteStream(join(TMP, `${name}.log`));
  const child = spawn(cmd, argv, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  child.on('exit', () => children.delete(child));
  return child;
}

/**
 * Starts `node [--cpu-prof] --import tsx <script>` pinned to the server cores (or `cores`); resolves
 * once /health answers.
 */
export async function startNode(opts: {
  name: string;
  script: string;
  env: Record<string, string>;
  profileDir?: string;
  cores?: string;
}): Promise<NodeProcess> {
  const port = await freePort();
  const nodeArgs = ['--import', 'tsx'];
  if (opts.profileDir) {
    mkdirSync(opts.profileDir, { recursive: true });
    nodeArgs.unshift('--cpu-prof', '--cpu-prof-dir', opts.profileDir);
  }
  const child = spawnServer(
    opts.name,
    process.execPath,
    [...nodeArgs, opts.script],
    { ...opts.env, PORT: String(port), HOST: '127.0.0.1' },
    opts.cores,
  );
  let exited = false;
  child.on('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited)
      throw new Error(`${opts.name} exited during start: see ${join(TMP, opts.name)}.log`);
    if (Date.now() > deadline) throw new Error(`${opts.name} did not answer /health within 60 s`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    await sleep(200);
  }
  return {
    name: opts.name,
    port,
    url,
    child,
    pid: child.pid!,
    stop: () => stopChild(child),
  };
}

/** SIGTERM, then SIGKILL after a grace period. */
export function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Forks a load-generator worker (a separate process, inheriting this process's core). */
export function forkWorker(script: string): ChildProcess {
  const child = fork(join(ROOT, 'bench/workers', script), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

export async function killAll(): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c, 5000)));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const TICKS = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

/** User + system CPU seconds of a process so far (0 once it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

/** Resident set size in MiB. */
export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** A backend's process title: `postgres: [cluster: ]<user> <database> <host>(<port>)|[local] <state>`. */
const BACKEND_TITLE = /^postgres: (?:\S+: )?\S+ (\S+) (?:\S+\(\d+\)|\[local\])/;

/**
 * CPU seconds of the PostgreSQL processes on the machine, by pid: each /proc/<pid>/stat whose command
 * name is `postgres` (postmaster, backends, WAL writer, checkpointer, autovacuum...). With `database`,
 * backends connected to other databases (by their process title) are left out; the shared background
 * processes stay in.
 */
export function postgresCpuByPid(database?: string): Map<number, number> {
  const out = new Map<number, number>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      if (stat.slice(open + 1, close) !== 'postgres') continue;
      if (database) {
        const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
        const db = BACKEND_TITLE.exec(title)?.[1];
        if (db && db !== database) continue;
      }
      const fields = stat.slice(close + 2).split(' ');
      out.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / TICKS);
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/**
 * CPU seconds PostgreSQL spent between start() and stop() (see postgresCpuByPid): the growth of every
 * process seen at stop (a backend forked meanwhile counts from zero; one that exited meanwhile is lost).
 */
export function postgresCpuMeter(database?: string) {
  let before = new Map<number, number>();
  return {
    start() {
      before = postgresCpuByPid(database);
    },
    stop(): number {
      let total = 0;
      for (const [pid, cpu] of postgresCpuByPid(database)) total += cpu - (before.get(pid) ?? 0);
      return Math.round(total * 100) / 100;
    },
  };
}

/** The cores a process may run on (`Cpus_allowed_list` in /proc/<pid>/status), e.g. `0` or `0-1`. */
export function allowedCores(pid: number): string {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return /Cpus_allowed_list:\s+(\S+)/.exec(status)?.[1] ?? '?';
  } catch {
    return '?';
  }
}

/** CPU % (100 = one core) and peak RSS of some processes between start() and stop(). */
export function resourceMeter(pids: () => number[]) {
  let cpu0 = 0;
  let t0 = 0;
  let peak = 0;
  let timer: NodeJS.Timeout | undefined;
  const total = () => pids().reduce((s, p) => s + cpuSeconds(p), 0);
  const rss = () => pids().reduce((s, p) => s + rssMiB(p), 0);
  return {
    start() {
      cpu0 = total();
      t0 = performance.now();
      peak = rss();
      timer = setInterval(() => (peak = Math.max(peak, rss())), 250);
    },
    stop(): { cpuPct: number; cpuSeconds: number; peakRssMiB: number; rssMiB: number } {
      clearInterval(timer);
      const seconds = (performance.now() - t0) / 1000;
      const now = rss();
      const used = total() - cpu0;
      return {
        cpuPct: Math.round((used / seconds) * 1000) / 10,
        cpuSeconds: Math.round(used * 100) / 100,
        peakRssMiB: Math.round(Math.max(peak, now)),
        rssMiB: Math.round(now),
      };
    },
  };
}

export function exists(path: string): boolean {
  return existsSync(path);
}
