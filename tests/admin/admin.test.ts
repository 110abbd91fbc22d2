import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows } from '../../src/db/client.js';
import { startTestApp, testEnv, type TestApp } from '../helpers/app.js';
import { createTestDatabase, testDbKind, type TestDatabase } from '../helpers/db.js';
import { createUser, login, type TestUser } from '../helpers/factories.js';
import { sleep, socketPool } from '../helpers/sockets.js';
import { clearRedisPrefix, redisEnv } from '../realtime/support.js';

// SPEC "Instance admins" and "Users" (admin): the shell command on both databases, the admin API's
// access, and deactivation taking effect at once on every node.

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/admin-cli.ts'];

/** Runs `npm run admin -- <args>` as the server would be configured, with `env`. */
async function admin(env: Record<string, string>, ...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [...CLI, ...args], {
      env: { ...process.env, ...testEnv(), LOG_LEVEL: 'silent', ...env },
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

const redis = redisEnv();
let db: TestDatabase;
let nodeA: TestApp;
let nodeB: TestApp;
let boss: TestUser;
const sockets = socketPool();

beforeAll(async () => {
  db = await createTestDatabase();
  nodeA = await startTestApp({ env: redis, testDb: db });
  nodeB = await startTestApp({ env: redis, testDb: db });
  boss = await createUser(nodeA);
  // The first admin, made the only way there is (on PostgreSQL through the shell command itself).
  await queryRows(nodeA.ctx.db, sql`update users set role = 'admin' where id = ${boss.id}`);
});
afterAll(async () => {
  sockets.closeAll();
  await nodeA?.stop();
  await nodeB?.stop();
  await db?.drop();
  await clearRedisPrefix(redis.REDIS_PREFIX);
});

describe('npm run admin', () => {
  it.skipIf(testDbKind !== 'pg')(
    'grant and revoke on PostgreSQL: says what it did, or why not',
    async () => {
      const env = { DATABASE_URL: db.url! };
      const user = await createUser(nodeA);
      const granted = await admin(env, 'grant', user.username.toUpperCase());
      expect(granted).toEqual({
        code: 0,
        out: expect.stringContaining('is now an instance admin'),
      });
      const me = await nodeA.http.get('/api/auth/me').set(user.auth);
      expect(me.body.data.role).toBe('admin');
      expect((await admin(env, 'grant', user.username)).out).toContain('already an admin');
      expect((await admin(env, 'revoke', user.username)).out).toContain('no longer');
      expect((await nodeA.http.get('/api/auth/me').set(user.auth)).body.data.role).toBe('user');
      const unknown = await admin(env, 'grant', 'nobody_here');
      expect(unknown.code).toBe(1);
      expect(unknown.out).toContain('No user named "nobody_here"');
      expect((await admin(env, 'promote', 'x')).code).toBe(2);
      const audit = await queryRows<{ action: string; actor_id: string | null }>(
        nodeA.ctx.db,
        sql`select action, actor_id from audit_log where target_id = ${user.id} order by id`,
      );
      expect(audit).toEqual([
        { action: 'admin.grant', actor_id: null },
        { action: 'admin.revoke', actor_id: null },
      ]);
    },
    60_000,
  );

  it('grant on the embedded database in DATA_DIR', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chat-admin-cli-'));
    try {
      const env = { DATA_DIR: dataDir, DATABASE_URL: '' };
      const none = await admin(env, 'grant', 'alice_embedded');
      expect(none.code).toBe(1);
      expect(none.out).toContain('the embedded database');
      const database = await openDatabase({ dataDir });
      await database.migrate();
      await queryRows(
        database.db,
        sql`insert into users (username, email, password_hash) values ('alice_embedded', 'a@e.x', 'x')`,
      );
      await database.close();
      const ok = await admin(env, 'grant', 'alice_embedded');
      expect(ok).toEqual({ code: 0, out: expect.stringContaining('is now an instance admin') });
      const again = await openDatabase({ dataDir });
      const [row] = await queryRows<{ role: string }>(
        again.db,
        sql`select role from users where username = 'alice_embedded'`,
      );
      await again.close();
      expect(row?.role).toBe('admin');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('admin API', () => {
  it('answers 403 to a plain user and lists users for an admin', async () => {
    const plain = await createUser(nodeA);
    const refused = await nodeA.http.get('/api/admin/users').set(plain.auth);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('FORBIDDEN');
    const list = await nodeA.http.get(`/api/admin/users?q=${plain.username}`).set(boss.auth);
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([
      expect.objectContaining({
        id: plain.id,
        email: `${plain.username.toLowerCase()}@example.com`,
        role: 'user',
        deactivatedAt: null,
        lastSeenAt: expect.any(String),
      }),
    ]);
  });

  it('deactivation drops the sockets on both nodes, refuses the refresh token and the login; reactivation lets them back', async () => {
    const victim = await createUser(nodeA);
    const onA = await sockets.connect(nodeA.url, victim.accessToken);
    const onB = await sockets.connect(nodeB.url, victim.accessToken);
    const res = await nodeB.http
      .post(`/api/admin/users/${victim.id}/deactivate`)
      .set(boss.auth)
      .send({ reason: 'spam' });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: victim.id, deactivationReason: 'spam' });
    const deadline = Date.now() + 1000;
    while ((onA.socket.connected || onB.socket.connected) && Date.now() < deadline) await sleep(10);
    expect([onA.socket.connected, onB.socket.connected]).toEqual([false, false]);
    expect((await nodeA.http.get('/api/auth/me').set(victim.auth)).status).toBe(401);
    const refresh = await nodeA.http
      .post('/api/auth/refresh')
      .send({ refreshToken: victim.refreshToken });
    expect(refresh.status).toBe(401);
    const again = await nodeA.http
      .post('/api/auth/login')
      .send({ login: victim.username, password: 'correct horse battery' });
    expect(again.status).toBe(403);
    expect(again.body.error.message).toMatch(/deactivated/);

    const back = await nodeA.http.post(`/api/admin/users/${victim.id}/reactivate`).set(boss.auth);
    expect(back.status).toBe(200);
    expect(back.body.data.deactivatedAt).toBeNull();
    const session = await login(nodeA, victim);
    expect(session.accessToken).toBeTruthy();

    const audit = await queryRows<{ action: string; actor_id: string }>(
      nodeA.ctx.db,
      sql`select action, actor_id from audit_log where target_id = ${victim.id} order by id`,
    );
    expect(audit).toEqual([
      { action: 'user.deactivate', actor_id: boss.id },
      { action: 'user.reactivate', actor_id: boss.id },
    ]);
  });

  it('an admin cannot deactivate themself; an unknown user is 404; a revoked admin is refused at once', async () => {
    const self = await nodeA.http
      .post(`/api/admin/users/${boss.id}/deactivate`)
      .set(boss.auth)
      .send({});
    expect(self.status).toBe(400);
    const unknown = await nodeA.http
      .post('/api/admin/users/00000000-0000-4000-8000-000000000000/deactivate')
      .set(boss.auth)
      .send({});
    expect(unknown.status).toBe(404);
    const other = await createUser(nodeA);
    await queryRows(nodeA.ctx.db, sql`update users set role = 'admin' where id = ${other.id}`);
    expect((await nodeA.http.get('/api/admin/users').set(other.auth)).status).toBe(200);
    await queryRows(nodeA.ctx.db, sql`update users set role = 'user' where id = ${other.id}`);
    expect((await nodeA.http.get('/api/admin/users').set(other.auth)).status).toBe(403);
  });
});
