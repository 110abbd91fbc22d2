import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Options } from './args.js';
import type { BenchDb } from './db.js';
import { summarizeProfiles, type ProfileSummary } from './profile.js';
import { startNode, TMP, type NodeProcess } from './proc.js';

/** What every scenario gets: options, the bench database, and how to start servers. */
export interface BenchContext {
  opts: Options;
  db: BenchDb;
  jwtSecret: string;
  redisUrl: string;
  redisPrefix: string;
  profiles: Record<string, ProfileSummary[]>;
  /** Memoized setups shared between scenarios of one run (users, rooms). */
  cache: Map<string, unknown>;
  /** Starts the server pinned to the server cores, or to `cores` (a taskset list). */
  startServer(
    name: string,
    extraEnv?: Record<string, string>,
    cores?: string,
  ): Promise<NodeProcess>;
  startRelay(name: string): Promise<NodeProcess>;
  /** Stops a node; with --profile, summarizes the CPU profile it wrote on exit. */
  stop(node: NodeProcess): Promise<void>;
}

const HUGE = '1000000000';

export function createContext(opts: Options, db: BenchDb): BenchContext {
  const profileDirs = new Map<NodeProcess, string>();
  const ctx: BenchContext = {
    opts,
    db,
    jwtSecret: randomBytes(32).toString('hex'),
    redisUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    redisPrefix: process.env.REDIS_PREFIX
      ? `${process.env.REDIS_PREFIX}${db.name}:`
      : `${db.name}:`,
    profiles: {},
    cache: new Map(),
    async startServer(name, extraEnv = {}, cores) {
      const profileDir = opts.profile ? join(TMP, 'prof', name) : undefined;
      const node = await startNode({
        name,
        script: 'src/server.ts',
        profileDir,
        cores,
        env: {
          NODE_ENV: 'production',
          LOG_LEVEL: 'warn',
          DATABASE_URL: db.url,
          DATABASE_POOL_MAX: process.env.DATABASE_POOL_MAX || '20',
          REDIS_URL: '',
          JWT_SECRET: ctx.jwtSecret,
          JWT_EXPIRES_IN: '12h',
          RATE_LIMIT_MAX: HUGE,
          AUTH_RATE_LIMIT_MAX: HUGE,
          SOCKET_MESSAGE_LIMIT: HUGE,
          SOCKET_EVENT_LIMIT: HUGE,
          SOCKET_MAX_PER_USER: HUGE,
          SOCKET_MAX_PER_IP: HUGE,
          SOCKET_HANDSHAKE_LIMIT: HUGE,
          FRONTEND_URL: 'http://localhost',
          UPLOAD_DIR: join(TMP, 'uploads'),
          DATA_DIR: join(TMP, 'data'),
          ...extraEnv,
        },
      });
      if (profileDir) profileDirs.set(node, profileDir);
      return node;
    },
    startRelay(name) {
      const profileDir = opts.profile ? join(TMP, 'prof', name) : undefined;
      return startNode({ name, script: 'bench/relay-server.ts', env: {}, profileDir }).then(
        (node) => {
          if (profileDir) profileDirs.set(node, profileDir);
          return node;
        },
      );
    },
    async stop(node) {
      await node.stop();
      const dir = profileDirs.get(node);
      // The busiest profile is the main thread's; the others are loader (tsx) threads.
      if (dir)
        ctx.profiles[node.name] = summarizeProfiles(dir)
          .sort((a, b) => b.busyMs - a.busyMs)
          .slice(0, 1);
    },
  };
  return ctx;
}
