import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDbKind } from '../helpers/db.js';
import { processEnv, startServerProcess, type ServerProcess } from '../helpers/processes.js';
import { png } from '../files/support.js';

/**
 * `npm start` with nothing configured keeps its data readable by the server's user only (issue 16,
 * item 6): the embedded database in DATA_DIR, the uploads in UPLOAD_DIR and the generated JWT secret
 * are directories 0700 and files 0600. And the secret survives a restart (item 3).
 */

/** Every path under `root` (itself included) that group or others may read, write or enter. */
function looseUnder(root: string): string[] {
  const loose: string[] = [];
  const walk = (path: string) => {
    const stat = lstatSync(path);
    if ((stat.mode & 0o077) !== 0) loose.push(`${(stat.mode & 0o777).toString(8)} ${path}`);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
  };
  walk(root);
  return loose;
}

function countUnder(root: string): number {
  return (readdirSync(root, { recursive: true }) as string[]).length;
}

// One spawned server with its own embedded database: the same in both projects, so it runs once.
describe.skipIf(testDbKind !== 'pglite')(
  'a server started without DATABASE_URL or JWT_SECRET (in the pglite project only: it runs its own embedded database)',
  () => {
    const root = mkdtempSync(join(tmpdir(), 'chat-modes-'));
    const dataDir = join(root, 'data');
    const uploadDir = join(root, 'uploads');
    const env = processEnv({ JWT_SECRET: '', DATA_DIR: dataDir, UPLOAD_DIR: uploadDir });
    let server: ServerProcess | undefined;
    let token = '';

    beforeAll(async () => {
      server = await startServerProcess(env, { timeoutMs: 60_000 });
      const registered = await fetch(`${server.url}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          username: 'modes',
          email: 'modes@example.com',
          password: 'pw-modes-123',
        }),
      });
      expect(registered.status).toBe(201);
      token = ((await registered.json()) as { data: { accessToken: string } }).data.accessToken;
      const form = new FormData();
      form.set('room', 'general');
      form.set('file', new Blob([new Uint8Array(await png())]), 'photo.png');
      const uploaded = await fetch(`${server.url}/api/v1/files/upload`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
        body: form,
      });
      expect(uploaded.status).toBe(201);
    }, 90_000);
    afterAll(async () => {
      await server?.stop();
    });

    it('while it runs, nothing in DATA_DIR or UPLOAD_DIR is open to others', () => {
      for (const dir of [dataDir, uploadDir]) {
        expect((lstatSync(dir).mode & 0o777).toString(8)).toBe('700');
        expect(looseUnder(dir)).toEqual([]);
      }
    });

    it('the upload and the generated secret are 0600', () => {
      expect(countUnder(uploadDir)).toBeGreaterThan(0);
      expect(looseUnder(uploadDir)).toEqual([]);
      expect((lstatSync(join(dataDir, 'jwt-secret')).mode & 0o777).toString(8)).toBe('600');
    });

    it('after it stops, no file or folder of the database or the uploads is open to others', async () => {
      await server?.stop();
      expect(countUnder(dataDir)).toBeGreaterThan(100);
      expect(looseUnder(dataDir)).toEqual([]);
      expect(looseUnder(uploadDir)).toEqual([]);
    });

    it('a restart tightens what an earlier version left open and keeps the same secret', async () => {
      const secret = readFileSync(join(dataDir, 'jwt-secret'), 'utf8');
      // As earlier versions left them: folders 0755, PGlite's files 0666, uploads 0644.
      chmodSync(dataDir, 0o755);
      chmodSync(join(dataDir, 'PG_VERSION'), 0o666);
      chmodSync(uploadDir, 0o755);
      server = await startServerProcess(env, { timeoutMs: 60_000 });
      expect(looseUnder(dataDir)).toEqual([]);
      expect((lstatSync(uploadDir).mode & 0o777).toString(8)).toBe('700');
      expect(readFileSync(join(dataDir, 'jwt-secret'), 'utf8')).toBe(secret);
      // The token signed before the restart is still good: the secret was read back, not replaced.
      const me = await fetch(`${server.url}/api/v1/auth/me`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(me.status).toBe(200);
    }, 90_000);
  },
);
