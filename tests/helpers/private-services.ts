import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './processes.js';

/**
 * PostgreSQL and Redis instances of a test file's own, for fault tests that stop and restart them.
 * The machine's shared servers (which other test files use in parallel) are never touched.
 */

const run = promisify(execFile);

/** Synchronous clean-ups for a worker that exits without running afterAll (a crash, a timeout). */
const onExit = new Set<() => void>();
process.once('exit', () => {
  for (const cleanup of onExit) {
    try {
      cleanup();
    } catch {
      // best effort
    }
  }
});

/** The directory of PostgreSQL's server binaries: PG_BIN, or the newest /usr/lib/postgresql/<v>/bin. */
function findPgBin(): string | undefined {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv) return existsSync(join(fromEnv, 'initdb')) ? fromEnv : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

const pgBin = findPgBin();
const isRoot = process.getuid?.() === 0;

/** True when initdb/pg_ctl exist and can run here (as root, through the `postgres` OS user). */
export const privatePostgresAvailable =
  pgBin !== undefined && (!isRoot || spawnSync('id', ['-u', 'postgres']).status === 0);

/** True when a `redis-server` binary is on the PATH. */
export const privateRedisAvailable = spawnSync('redis-server', ['--version']).status === 0;

/** util-linux's `runuser`, found where Debian puts it even when the PATH has no sbin directory. */
const runuser = ['/usr/sbin/runuser', '/sbin/runuser'].find((p) => existsSync(p)) ?? 'runuser';

/** PostgreSQL refuses to run as root: as root, its tools run as the `postgres` user. */
function pgCommand(tool: string, args: string[]): [string, string[]] {
  const path = join(pgBin ?? '', tool);
  return isRoot ? [runuser, ['-u', 'postgres', '--', path, ...args]] : [path, args];
}

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  url: string;
  port: number;
  /** `pg_ctl stop -m immediate`: every connection drops at once, as in a crash. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory; resolves when it accepts connections. */
  start(): Promise<void>;
  /** Stops it (if running) and removes its directory. */
  destroy(): Promise<void>;
}

/** initdb into a fresh temporary directory and start it on a free port, fsync off. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  if (!pgBin) throw new Error('PostgreSQL server binaries not found (set PG_BIN)');
  const dir = mkdtempSync(join(tmpdir(), 'chat-faults-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  const pgCtl = (args: string[]) => {
    const [cmd, argv] = pgCommand('pg_ctl', args);
    return run(cmd, argv, { timeout: 60_000 });
  };
  let running = false;
  const stopSync = () => {
    if (!running) return;
    const [cmd, argv] = pgCommand('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    spawnSync(cmd, argv, { timeout: 10_000 });
    running = false;
  };
  const cleanupSync = () => {
    stopSync();
    rmSync(dir, { recursive: true, force: true });
  };
  onExit.add(cleanupSync);

  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    // fsync off is safe here: an immediate stop kills PostgreSQL, not the OS and its page cache.
    // synchronous_commit stays on, or an immediate stop loses transactions already acknowledged.
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=100',
  ].join(' ');
  const start = async () => {
    await pgCtl(['-D', data, '-o', options, '-l', logFile, '-t', '30', '-w', 'start']);
    running = true;
  };

  try {
    const [cmd, argv] = pgCommand('initdb', [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    await run(cmd, argv, { timeout: 60_000 });
    await start();
  } catch (err) {
    cleanupSync();
    onExit.delete(cleanupSync);
    throw err;
  }

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      if (!running) return;
      await pgCtl(['-D', data, '-m', 'immediate', '-w', 'stop']);
      running = false;
    },
    start,
    async destroy() {
      onExit.delete(cleanupSync);
      if (running) await pgCtl(['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedis {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** SIGKILL: every connection drops, nothing is saved. */
  kill(): Promise<void>;
  /** Starts a fresh, empty redis-server on the same port; resolves when it accepts connections. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A `redis-server` child process on a free port, without persistence. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const killSync = () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  onExit.add(killSync);

  const start = async () => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server not ready after 10 s:\n${output}`)),
        10_000,
      );
      const onData = (chunk: Buffer) => {
        output = (output + chunk.toString('utf8')).slice(-5000);
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code ?? signal}):\n${output}`));
      });
    });
    // Keep draining its output so a full pipe never blocks it.
    proc.stdout?.resume();
    proc.stderr?.resume();
  };
  const kill = async () => {
    if (!child) return;
    killSync();
    await exited(child);
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    start,
    async destroy() {
      onExit.delete(killSync);
      await kill();
    },
  };
}

/** `CLIENT KILL TYPE <type>` on the private Redis: every such connection of the nodes drops. */
export async function killRedisClients(
  redisUrl: string,
  type: 'pubsub' | 'normal',
): Promise<number> {
  // SKIPME defaults to yes: this admin connection survives its own TYPE normal.
  const admin = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await admin.connect();
    return Number(await admin.call('CLIENT', 'KILL', 'TYPE', type));
  } finally {
    admin.disconnect();
  }
}
