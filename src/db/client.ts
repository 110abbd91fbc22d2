import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import { sql, type SQL } from 'drizzle-orm';
import { ensurePrivateDir, tightenTree } from '../private-files.js';
import { lockDataDir } from './data-dir-lock.js';
import * as schema from './schema/index.js';

const MIGRATION_LOCK_ID = 724_190_331;

/** ./drizzle at the repository root, from src/db (tsx) or dist/src/db (built). */
function migrationsFolder(): string {
  for (const rel of ['../../drizzle', '../../../drizzle']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'meta', '_journal.json'))) return dir;
  }
  throw new Error('migrations folder ./drizzle not found');
}

export type Schema = typeof schema;
/** The drizzle database, whichever driver is behind it: repositories are written against this. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Anything a repository function can run a query on: the database or an open transaction. */
export type Executor = Db | Tx;

export interface Database {
  db: Db;
  driver: 'postgres' | 'pglite';
  /** Answers true when a trivial query returns within the timeout. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
  /** Applies pending migrations; concurrent starts of several nodes take turns. */
  migrate(): Promise<void>;
  /** Registers an observer of query durations in seconds (metrics). */
  onQuery(observer: (seconds: number) => void): void;
  /** Pool counters for metrics; PGlite has one connection. */
  poolStats(): { total: number; idle: number; waiting: number };
  /** PGlite only: its whole data directory, to open copies of it with `template` (tests). */
  snapshot?(): Promise<Blob>;
}

export interface DatabaseOptions {
  url?: string;
  dataDir?: string;
  poolMax?: number;
  /** PGlite only: keep everything in memory (tests). */
  inMemory?: boolean;
  /**
   * PGlite in memory only: start as a copy of this `snapshot()` instead of an empty cluster (tests:
   * one migrated database per worker is copied in a fraction of `initdb`'s time).
   */
  template?: Blob;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

async function connectPostgres(url: string, poolMax: number): Promise<Database> {
  const { default: pg } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    // Fail fast while PostgreSQL is down rather than queueing requests forever.
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
    query_timeout: 15_000,
  });
  // An idle client losing its connection (server restart) must not crash the process, nor one checked
  // out between two statements of a transaction (the pool listens to idle clients only): the error
  // reaches the caller through its next query, which fails, and the transaction is rolled back.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const observers: ((seconds: number) => void)[] = [];
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  // Times the queries drizzle runs outside transactions; transactions use their own client.
  (pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args) => {
    const started = performance.now();
    const result = query(...args);
    if (observers.length > 0 && result instanceof Promise) {
      void result.then(
        () => observers.forEach((o) => o((performance.now() - started) / 1000)),
        () => {},
      );
    }
    return result;
  };
  const db = drizzle(pool, { schema }) as unknown as Db;
  let closed = false;
  return {
    db,
    driver: 'postgres',
    async ping(timeoutMs = 2000) {
      try {
        await withTimeout(pool.query('select 1'), timeoutMs);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
    async migrate() {
      const { migrate } = await import('drizzle-orm/node-postgres/migrator');
      const client = await pool.connect();
      try {
        // Session-level lock on one dedicated connection: two nodes starting together must not both migrate.
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
        await migrate(drizzle(client, { schema }), { migrationsFolder: migrationsFolder() });
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => {});
        client.release();
      }
    },
    onQuery: (observer) => observers.push(observer),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
}

async function connectPglite(dataDir: string | undefined, template?: Blob): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  if (dataDir) ensurePrivateDir(dataDir);
  // One process at a time on the files (a second one would not see the first's writes).
  const unlock = dataDir ? lockDataDir(dataDir) : () => {};
  const client = template && !dataDir ? new PGlite({ loadDataDir: template }) : new PGlite(dataDir);
  try {
    await client.waitReady;
  } catch (err) {
    unlock();
    throw err;
  }
  // PGlite chmods the files it creates to 0666 whatever the umask: take group and other off them
  // after it opens (a new database, or one left loose by an earlier version), after the migrations
  // and after it closes. The 0700 directory already keeps them from other users in between.
  const tighten = () => {
    if (dataDir) tightenTree(dataDir);
  };
  tighten();
  const db = drizzle(client, { schema }) as unknown as Db;
  return {
    db,
    driver: 'pglite',
    async ping(timeoutMs = 2000) {
      if (client.closed) return false;
      try {
        await withTimeout(db.execute(sql`select 1`), timeoutMs);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (client.closed) return;
      await client.close();
      tighten();
      unlock();
    },
    async migrate() {
      const { migrate } = await import('drizzle-orm/pglite/migrator');
      await migrate(drizzle(client, { schema }), { migrationsFolder: migrationsFolder() });
      tighten();
    },
    onQuery() {
      // PGlite runs in-process: its query time is this process's CPU time, visible in the HTTP metrics.
    },
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    async snapshot() {
      return client.dumpDataDir('none');
    },
  };
}

/** Opens PostgreSQL when a URL is given, otherwise the embedded PGlite (on disk, or in memory for tests). */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return connectPostgres(options.url, options.poolMax ?? 20);
  if (options.inMemory) return connectPglite(undefined, options.template);
  return connectPglite(options.dataDir ?? './data');
}

/** Runs raw SQL and returns its rows; both drivers answer with `{ rows }`. */
export async function queryRows<T>(db: Executor, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
