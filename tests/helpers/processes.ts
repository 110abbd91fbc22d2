import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { TEST_JWT_SECRET, TEST_VAPID } from './app.js';

/** The repository root, where `src/server.ts` lives. */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface ServerProcess {
  /** `http://127.0.0.1:<port>` */
  url: string;
  child: ChildProcess;
  /** What the process printed so far (for failure messages). */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once, like a crashed machine: no shutdown code runs. */
  crash(): Promise<void>;
}

/** A port that was free a moment ago (the OS picks it; the caller binds it soon after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Environment of a server process in tests: quiet, generous HTTP limits, the tests' JWT secret. */
export function processEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    VAPID_PUBLIC_KEY: TEST_VAPID.publicKey,
    VAPID_PRIVATE_KEY: TEST_VAPID.privateKey,
    // As in-process apps: jobs (push) run only in the tests about them.
    JOBS_WORKER: 'false',
    RETENTION_INTERVAL_MS: '0',
    RATE_LIMIT_MAX: '1000000',
    AUTH_RATE_LIMIT_MAX: '1000000',
    SOCKET_MESSAGE_LIMIT: '1000000',
    SOCKET_MAX_PER_USER: '1000000',
    SOCKET_MAX_PER_IP: '1000000',
    SOCKET_HANDSHAKE_LIMIT: '1000000',
    HOST: '127.0.0.1',
    ...overrides,
  };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function waitForHealth(
  url: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`server exited with ${child.exitCode ?? child.signalCode}:\n${output()}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server at ${url} not healthy after ${timeoutMs} ms:\n${output()}`);
}

/**
 * Spawns `node --import tsx src/server.ts` (the `start` script) on a free port with `env` (see
 * processEnv) and resolves once `/health` answers 200. Only PATH and HOME are inherited, so the
 * test runner's own variables do not leak into the server.
 */
export async function startServerProcess(
  env: Record<string, string>,
  options: { timeoutMs?: number } = {},
): Promise<ServerProcess> {
  // The port is free when picked but bound later by the child: retry if another process took it.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await spawnServer(env, options.timeoutMs ?? 30_000);
    } catch (err) {
      if (attempt >= 3 || !String(err).includes('EADDRINUSE')) throw err;
    }
  }
}

async function spawnServer(env: Record<string, string>, timeoutMs: number): Promise<ServerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const output = () => log;

  const stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited(child);
    clearTimeout(killer);
  };

  try {
    await waitForHealth(url, child, output, timeoutMs);
  } catch (err) {
    await stop(2000);
    throw err;
  }
  const crash = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited(child);
  };
  return { url, child, output, stop, crash };
}
