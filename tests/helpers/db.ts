import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/client.js';

export type TestDbKind = 'pg' | 'pglite';

export const testDbKind: TestDbKind = process.env.TEST_DB === 'pglite' ? 'pglite' : 'pg';

/** The server tests create their throwaway databases on; override with TEST_DATABASE_URL. */
export const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  database: Database;
  /** Connection URL for the real PostgreSQL database (undefined on PGlite). */
  url?: string;
  drop(): Promise<void>;
}

function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates an empty PostgreSQL database of its own (so test files run in parallel) and returns its URL. */
export async function createScratchPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `chat_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabaseName(adminUrl, name),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * A migrated, empty PGlite database, made once per worker (test files share a worker's module cache):
 * each test database starts as a copy of it, which takes a fraction of a new cluster's `initdb`.
 */
let template: Promise<Blob> | undefined;
function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const database = await openDatabase({ inMemory: true });
    try {
      await database.migrate();
      return await database.snapshot!();
    } finally {
      await database.close();
    }
  })().catch((err: unknown) => {
    template = undefined;
    throw err;
  });
  return template;
}

/** A migrated database for one test file: a fresh PostgreSQL database, or an in-memory PGlite. */
export async function createTestDatabase(kind: TestDbKind = testDbKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const database = await openDatabase({ inMemory: true, template: await pgliteTemplate() });
    // Up to date already (the template is migrated): this checks it, as a start does.
    await database.migrate();
    return { database, drop: () => database.close() };
  }
  const scratch = await createScratchPostgres();
  const database = await openDatabase({ url: scratch.url, poolMax: 10 });
  await database.migrate();
  return {
    database,
    url: scratch.url,
    async drop() {
      await database.close();
      await scratch.drop();
    },
  };
}
