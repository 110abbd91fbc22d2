import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows } from '../../src/db/client.js';
import { testEnv, type TestApp } from '../helpers/app.js';
import { testDbKind } from '../helpers/db.js';
import { createRoom, createUser, login, sendMessage, type TestUser } from '../helpers/factories.js';
import { sleep, socketPool } from '../helpers/sockets.js';
import { startTwoNodes, type TwoNodes } from '../realtime/support.js';

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

let nodes: TwoNodes;
let nodeA: TestApp;
let nodeB: TestApp;
let boss: TestUser;
const sockets = socketPool();

beforeAll(async () => {
  nodes = await startTwoNodes();
  ({ nodeA, nodeB } = nodes);
  boss = await createUser(nodeA);
  // The first admin, made the only way there is (on PostgreSQL through the shell command itself).
  await queryRows(nodeA.ctx.db, sql`update users set role = 'admin' where id = ${boss.id}`);
});
afterAll(async () => {
  sockets.closeAll();
  await nodes?.stop();
});

describe('npm run admin', () => {
  it.skipIf(testDbKind !== 'pg')(
    'grant and revoke on PostgreSQL: says what it did, or why not',
    async () => {
      const env = { DATABASE_URL: nodes.db.url! };
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
      // While another process holds the embedded database (here, this test; usually the running
      // server), the command refuses and says why: PGlite is one process's database.
      const held = await admin(env, 'grant', 'alice_embedded');
      expect(held.code).toBe(1);
      expect(held.out).toContain(`in use by process ${process.pid}`);
      await database.close();
      // A lock left by a process that is gone is taken over.
      writeFileSync(join(dataDir, 'server.lock'), '999999999');
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

  it('an admin deletes any message, also in a private room they are not in; audited; others 403', async () => {
    const owner = await createUser(nodeA);
    const member = await createUser(nodeA);
    const room = await createRoom(nodeA, owner, { members: [member] });
    const m = await sendMessage(nodeA, owner, room.id, 'against the rules');
    const watching = await sockets.connect(nodeB.url, member.accessToken);
    const refused = await nodeA.http.delete(`/api/admin/messages/${m.id}`).set(member.auth);
    expect(refused.status).toBe(403);
    const res = await nodeA.http.delete(`/api/admin/messages/${m.id}`).set(boss.auth);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: m.id, room: room.id, seq: m.seq });
    await watching.waitFor<{ id: string }>('message-deleted', (e) => e.id === m.id);
    const again = await nodeA.http.delete(`/api/admin/messages/${m.id}`).set(boss.auth);
    expect(again.status).toBe(404);

    const log = await nodeA.http
      .get(`/api/admin/audit?action=message.delete&actor=${boss.id}`)
      .set(boss.auth);
    expect(log.status).toBe(200);
    expect(log.body.data[0]).toMatchObject({
      actor: { id: boss.id, username: boss.username },
      action: 'message.delete',
      target: { type: 'message', id: m.id },
      details: { room: room.id, sender: owner.id },
    });
    expect(
      log.body.data.filter((e: { target: { id: string } }) => e.target.id === m.id),
    ).toHaveLength(1);
    expect((await nodeA.http.get('/api/admin/audit').set(member.auth)).status).toBe(403);
  });

  it('pages through the audit log newest first without repeats', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res: {
        status: number;
        body: { data: { id: number }[]; page: { nextCursor: string | null } };
      } = await nodeA.http
        .get(`/api/admin/audit?limit=2${cursor ? `&before=${cursor}` : ''}`)
        .set(boss.auth);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((e) => e.id));
      cursor = res.body.page.nextCursor;
    } while (cursor);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('reports flow to resolution with each action, each resolution audited once', async () => {
    const owner = await createUser(nodeA);
    const reader = await createUser(nodeA);
    const other = await createUser(nodeA);
    const stranger = await createUser(nodeA);
    const sender = await createUser(nodeA);
    const room = await createRoom(nodeA, owner, { members: [reader, other, sender] });
    const report = (who: TestUser, id: string, reason = 'rude') =>
      nodeA.http.post(`/api/messages/${id}/report`).set(who.auth).send({ reason });
    const resolve = (id: string, action: string) =>
      nodeA.http
        .post(`/api/admin/reports/${id}/resolve`)
        .set(boss.auth)
        .send({ action, note: 'checked' });

    const rude = await sendMessage(nodeA, sender, room.id, 'a rude message');
    const first = await report(reader, rude.id);
    expect(first.status).toBe(201);
    expect((await report(reader, rude.id)).status).toBe(409);
    expect((await report(other, rude.id, 'spam')).status).toBe(201);
    expect((await report(stranger, rude.id)).status).toBe(404);
    expect(
      (await nodeA.http.post(`/api/messages/${rude.id}/report`).set(reader.auth).send({})).status,
    ).toBe(400);

    expect((await nodeA.http.get('/api/admin/reports').set(reader.auth)).status).toBe(403);
    const open = await nodeA.http.get('/api/admin/reports?status=open').set(boss.auth);
    expect(open.status).toBe(200);
    const mine = open.body.data.find((r: { id: string }) => r.id === first.body.data.id);
    expect(mine).toMatchObject({
      status: 'open',
      reason: 'rude',
      reporter: { id: reader.id, username: reader.username },
      message: {
        id: rude.id,
        content: 'a rude message',
        deleted: false,
        sender: { id: sender.id },
      },
      room: { id: room.id },
      reports: 2,
      resolution: null,
    });

    // dismiss
    const dismissed = await resolve(first.body.data.id, 'dismiss');
    expect(dismissed.status).toBe(200);
    expect(dismissed.body.data).toMatchObject({
      status: 'resolved',
      resolution: { action: 'dismiss', note: 'checked' },
    });
    expect((await resolve(first.body.data.id, 'dismiss')).status).toBe(409);

    // delete-message: the message goes, as an admin deletion
    const second = open.body.data.find(
      (r: { message: { id: string }; reporter: { id: string } }) =>
        r.message.id === rude.id && r.reporter.id === other.id,
    );
    const deleted = await resolve(second.id, 'delete-message');
    expect(deleted.status).toBe(200);
    expect(deleted.body.data.message).toMatchObject({ deleted: true, content: '' });

    // deactivate-sender: the sender is deactivated
    const worse = await sendMessage(nodeA, sender, room.id, 'worse');
    const third = await report(reader, worse.id, 'abuse');
    const deactivated = await resolve(third.body.data.id, 'deactivate-sender');
    expect(deactivated.status).toBe(200);
    const list = await nodeA.http.get(`/api/admin/users?q=${sender.username}`).set(boss.auth);
    expect(list.body.data[0].deactivatedAt).not.toBeNull();

    const audit = await queryRows<{ action: string; n: number }>(
      nodeA.ctx.db,
      sql`select action, count(*)::int as n from audit_log
          where target_id in (${first.body.data.id}, ${second.id}, ${third.body.data.id}, ${rude.id}, ${sender.id})
          group by action order by action`,
    );
    expect(audit).toEqual([
      { action: 'message.delete', n: 1 },
      { action: 'report.resolve', n: 3 },
      { action: 'user.deactivate', n: 1 },
    ]);
  });

  it('lists every room with metadata only, and deletes any room but general; audited', async () => {
    const owner = await createUser(nodeA);
    const member = await createUser(nodeA);
    const hidden = await createRoom(nodeA, owner, {
      members: [member],
      name: `Secret ${owner.username}`,
    });
    await sendMessage(nodeA, owner, hidden.id, 'nothing for admins to read');
    expect((await nodeA.http.get('/api/admin/rooms').set(member.auth)).status).toBe(403);
    const list = await nodeA.http.get(`/api/admin/rooms?q=Secret ${owner.username}`).set(boss.auth);
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([
      expect.objectContaining({ id: hidden.id, type: 'private', memberCount: 2, lastSeq: 1 }),
    ]);
    expect(JSON.stringify(list.body)).not.toContain('nothing for admins to read');

    const watching = await sockets.connect(nodeB.url, member.accessToken);
    const gone = await nodeA.http.delete(`/api/admin/rooms/${hidden.id}`).set(boss.auth);
    expect(gone.status).toBe(200);
    await watching.waitFor<{ room: string }>('room-deleted', (e) => e.room === hidden.id);
    expect((await nodeA.http.get(`/api/rooms/${hidden.id}`).set(owner.auth)).status).toBe(404);
    expect((await nodeA.http.delete(`/api/admin/rooms/${hidden.id}`).set(boss.auth)).status).toBe(
      404,
    );
    expect((await nodeA.http.delete('/api/admin/rooms/general').set(boss.auth)).status).toBe(404);
    const general = await nodeA.http.get('/api/rooms/general').set(boss.auth);
    expect(
      (await nodeA.http.delete(`/api/admin/rooms/${general.body.data.id}`).set(boss.auth)).status,
    ).toBe(403);
    const audit = await queryRows<{ action: string; n: number }>(
      nodeA.ctx.db,
      sql`select action, count(*)::int as n from audit_log where target_id = ${hidden.id} group by action`,
    );
    expect(audit).toEqual([{ action: 'room.delete', n: 1 }]);
  });
});
