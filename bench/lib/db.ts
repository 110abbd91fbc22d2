import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { ROOT } from './proc.js';

const run = promisify(execFile);

/** The bench database: created fresh for the run, dropped at the end. */
export interface BenchDb {
  name: string;
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function createBenchDb(baseUrl: string): Promise<BenchDb> {
  const name = `chat_bench_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${process.pid}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(baseUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => {});
  let dropped = false;
  return {
    name,
    url,
    pool,
    async drop() {
      if (dropped) return;
      dropped = true;
      await pool.end().catch(() => {});
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Applies the app's migrations with its own CLI, so the schema is exactly the server's. */
export async function migrate(url: string): Promise<void> {
  await run(process.execPath, ['--import', 'tsx', 'src/db/migrate-cli.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url, NODE_ENV: 'development', LOG_LEVEL: 'warn' },
  });
}

/** Plans as text, one line per row of EXPLAIN output. */
export async function explain(pool: pg.Pool, sql: string, params: unknown[]): Promise<string> {
  const res = await pool.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, BUFFERS) ${sql}`,
    params,
  );
  return res.rows.map((r) => r['QUERY PLAN']).join('\n');
}
