import { createECDH, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  addMember,
  createRoom,
  createUser,
  expectError,
  listMessages,
  login,
  openDirect,
  sendMessage,
  setRole,
  type TestUser,
} from '../helpers/factories.js';
import { socketPool } from '../helpers/sockets.js';
import { fetchFile, keyOf, png, text, uploadOk } from '../files/support.js';

// SPEC "My data": `GET /api/users/me/export` (everything I put in, nothing of anyone else's) and
// `DELETE /api/users/me` (erasure: tombstones left for everyone, my username and email free again).

let t: TestApp;
const sockets = socketPool();

beforeAll(async () => {
  t = await startTestApp({ env: { EXPORT_RATE_LIMIT_MAX: '3' } });
});
afterAll(async () => {
  sockets.closeAll();
  await t?.stop();
});

interface ExportDoc {
  exportedAt: string;
  user: { id: string; username: string; email: string };
  rooms: {
    id: string;
    slug: string;
    name: string;
    type: string;
    myRole: string;
    joinedAt: string;
  }[];
  messages: {
    id: string;
    room: string;
    seq: number;
    type: string;
    content: string | null;
    replyTo: string | null;
    createdAt: string;
    editedAt: string | null;
    deletedAt: string | null;
  }[];
  files: { id: string; name: string; url: string; messageId: string; room: string }[];
}

async function exportOf(user: Pick<TestUser, 'auth'>) {
  const res = await t.http.get('/api/users/me/export').set(user.auth);
  return { res, doc: res.body.data as ExportDoc };
}

const onDisk = (url: string) => existsSync(join(t.ctx.config.UPLOAD_DIR, keyOf(url)));
const word = () => `w${randomBytes(5).toString('hex')}`;

/** Adds `count` messages of `sender` to a room in one statement, taking seq and rev as sends would. */
async function seed(roomId: string, senderId: string, count: number): Promise<void> {
  await t.ctx.db.transaction(async (tx) => {
    await queryRows(tx, sql`select id from rooms where id = ${roomId} for update`);
    await queryRows(
      tx,
      sql`insert into messages (room_id, seq, rev, sender_id, type, content)
          select r.id, r.last_seq + g, r.rev + g, ${senderId}, 'text', 'seeded ' || g
          from rooms r, generate_series(1, ${count}) g where r.id = ${roomId}`,
    );
    await queryRows(
      tx,
      sql`update rooms set last_seq = last_seq + ${count}, rev = rev + ${count} where id = ${roomId}`,
    );
  });
}

describe('GET /api/users/me/export', () => {
  it('holds my profile, my rooms, every message I sent (in a room I left too) and my files, and nothing of anyone else', async () => {
    const alice = await createUser(t);
    const bob = await createUser(t);
    const carol = await createUser(t);
    const secret = word();
    const shared = await createRoom(t, alice, { type: 'private', members: [bob] });
    const bobs = await sendMessage(t, bob, shared.id, `bob says ${secret}`);
    const mine = await sendMessage(t, alice, shared.id, 'hello bob');
    const reply = await sendMessage(t, alice, shared.id, 'a reply', { replyTo: bobs.id });
    const doomed = await sendMessage(t, alice, shared.id, 'regretted');
    expect((await t.http.delete(`/api/messages/${doomed.id}`).set(alice.auth)).status).toBe(200);
    const { file, message: fileMessage } = await uploadOk(t, alice, text(), 'notes.txt', {
      room: shared.id,
    });
    // A private room of others, and a public room alice wrote in and then left.
    const hidden = await createRoom(t, bob, { type: 'private', members: [carol] });
    await sendMessage(t, carol, hidden.id, `carol whispers ${secret}`);
    const left = await createRoom(t, carol, { type: 'public' });
    expect((await t.http.post(`/api/rooms/${left.id}/join`).set(alice.auth)).status).toBe(200);
    const inLeft = await sendMessage(t, alice, left.id, 'said before leaving');
    await sendMessage(t, carol, left.id, `carol in public ${secret}`);
    expect((await t.http.post(`/api/rooms/${left.id}/leave`).set(alice.auth)).status).toBe(200);

    const { res, doc } = await exportOf(alice);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="export-${alice.username}.json"`,
    );
    expect(res.body.success).toBe(true);
    expect(doc.user).toMatchObject({ id: alice.id, username: alice.username, email: alice.email });
    expect(Date.parse(doc.exportedAt)).not.toBeNaN();

    // My rooms now: the shared one (mine) and general; not the hidden one, nor the one I left.
    const rooms = new Map(doc.rooms.map((r) => [r.id, r]));
    expect(rooms.get(shared.id)).toMatchObject({
      slug: shared.slug,
      type: 'private',
      myRole: 'owner',
    });
    expect([...rooms.values()].map((r) => r.slug)).toContain('general');
    expect(rooms.has(hidden.id)).toBe(false);
    expect(rooms.has(left.id)).toBe(false);

    // Every message I sent, and only those: a deleted one without its content.
    const messages = new Map(doc.messages.map((m) => [m.id, m]));
    expect([...messages.keys()].sort()).toEqual(
      [mine.id, reply.id, doomed.id, fileMessage.id, inLeft.id].sort(),
    );
    expect(messages.get(mine.id)).toMatchObject({
      room: shared.id,
      seq: mine.seq,
      type: 'text',
      content: 'hello bob',
      replyTo: null,
      editedAt: null,
      deletedAt: null,
    });
    expect(messages.get(reply.id)!.replyTo).toBe(bobs.id);
    expect(messages.get(doomed.id)).toMatchObject({ content: null, deletedAt: expect.any(String) });
    expect(messages.get(inLeft.id)).toMatchObject({
      room: left.id,
      content: 'said before leaving',
    });
    expect(messages.get(fileMessage.id)!.type).toBe('file');
    expect(res.text).not.toContain(secret);

    // My file, with a URL that loads now.
    expect(doc.files).toHaveLength(1);
    expect(doc.files[0]).toMatchObject({
      id: file.id,
      name: 'notes.txt',
      messageId: fileMessage.id,
    });
    expect((await fetchFile(t, doc.files[0]!.url)).status).toBe(200);
  });

  it('a long history comes whole, in order, page after page', async () => {
    const writer = await createUser(t);
    const room = await createRoom(t, writer, { type: 'private' });
    await seed(room.id, writer.id, 1234);
    const last = await sendMessage(t, writer, room.id, 'the newest');
    const { res, doc } = await exportOf(writer);
    expect(res.status).toBe(200);
    const inRoom = doc.messages.filter((m) => m.room === room.id);
    expect(inRoom).toHaveLength(1235);
    expect(inRoom.map((m) => m.seq)).toEqual(Array.from({ length: 1235 }, (_, i) => i + 1));
    expect(inRoom.at(-1)!.id).toBe(last.id);
  });

  it('is limited per user (429 with Retry-After), not per address', async () => {
    const greedy = await createUser(t);
    for (let i = 0; i < 3; i += 1) expect((await exportOf(greedy)).res.status).toBe(200);
    const refused = (await exportOf(greedy)).res;
    expectError(refused, 429, 'RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    const other = await createUser(t);
    expect((await exportOf(other)).res.status).toBe(200);
  });

  it('needs a token', async () => {
    expectError(await t.http.get('/api/users/me/export'), 401, 'UNAUTHORIZED');
  });
});

function pushSubscription() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    endpoint: `https://push.example.com/erase/${randomBytes(8).toString('hex')}`,
    keys: {
      p256dh: ecdh.getPublicKey().toString('base64url'),
      auth: randomBytes(16).toString('base64url'),
    },
  };
}

const erase = (user: Pick<TestUser, 'auth'>, body: unknown) =>
  t.http
    .delete('/api/users/me')
    .set(user.auth)
    .send(body as object);

async function userRow(id: string) {
  const [row] = await queryRows<{
    username: string;
    email: string | null;
    display_name: string | null;
    bio: string | null;
    avatar_url: string | null;
    erased_at: string | null;
    deactivated_at: string | null;
  }>(t.ctx.db, sql`select * from users where id = ${id}`);
  return row!;
}

describe('DELETE /api/users/me', () => {
  it('refuses a wrong password (403) and a missing one (400), and changes nothing', async () => {
    const user = await createUser(t);
    const message = await sendMessage(t, user, 'general', 'still here');
    expectError(await erase(user, { password: 'not my password' }), 403, 'FORBIDDEN');
    expectError(await erase(user, {}), 400, 'VALIDATION_ERROR');
    expectError(await erase(user, { password: '' }), 400, 'VALIDATION_ERROR');
    expect((await t.http.get('/api/users/profile').set(user.auth)).status).toBe(200);
    const history = await listMessages(t, user, 'general', 'limit=100');
    expect(history.data.map((m) => m.id)).toContain(message.id);
    expect((await userRow(user.id)).erased_at).toBeNull();
  });

  it('erases the account: sessions and sockets gone, tombstones for everyone, files gone, rooms handed over, name and email free', async () => {
    const dave = await createUser(t);
    const erin = await createUser(t);
    const frank = await createUser(t);
    const room = await createRoom(t, dave, { type: 'private', admins: [erin], members: [frank] });
    const d1 = await sendMessage(t, dave, room.id, 'first from dave');
    const kept = await sendMessage(t, erin, room.id, 'erin stays', { replyTo: d1.id });
    const d2 = await sendMessage(t, dave, room.id, 'second from dave');
    const { file, message: fileMessage } = await uploadOk(t, dave, await png(), 'me.png', {
      room: room.id,
    });
    const alone = await createRoom(t, dave, { type: 'private' });
    const dm = await openDirect(t, dave, erin);
    const inDm = await sendMessage(t, dave, dm.id, 'just between us');
    const avatar = await t.http
      .post('/api/users/avatar')
      .set(dave.auth)
      .attach('avatar', await png(), 'me.png');
    expect(avatar.status).toBe(200);
    const avatarKey = keyOf(avatar.body.data.avatarUrl as string);
    expect(
      (await t.http.post('/api/push/subscriptions').set(dave.auth).send(pushSubscription())).status,
    ).toBe(201);
    expect((await t.http.post(`/api/users/${frank.id}/block`).set(dave.auth)).status).toBe(200);
    expect((await t.http.post(`/api/users/${dave.id}/block`).set(frank.auth)).status).toBe(200);
    const other = await login(t, dave);
    const [revBefore] = await queryRows<{ rev: string | number }>(
      t.ctx.db,
      sql`select rev from rooms where id = ${room.id}`,
    );

    const erinSocket = await sockets.connect(t.url, erin.accessToken);
    const daveSocket = await sockets.connect(t.url, dave.accessToken);
    await erinSocket.waitFor('online-users');
    await daveSocket.waitFor('online-users');

    const res = await erase(dave, { password: dave.password });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      erased: true,
      messagesDeleted: 4,
      filesDeleted: 0,
      roomsLeft: 4,
    });

    // Every session and socket of mine is gone; nothing signs in again.
    expect(await daveSocket.disconnected()).toBeTruthy();
    expectError(await t.http.get('/api/users/profile').set(dave.auth), 401, 'UNAUTHORIZED');
    expectError(await t.http.get('/api/users/profile').set(other.auth), 401, 'UNAUTHORIZED');
    for (const refreshToken of [dave.refreshToken, other.refreshToken])
      expectError(
        await t.http.post('/api/auth/refresh').send({ refreshToken }),
        401,
        'UNAUTHORIZED',
      );
    for (const identifier of [dave.username, dave.email])
      expectError(
        await t.http
          .post('/api/auth/login')
          .send({ username: identifier, password: dave.password }),
        401,
        'UNAUTHORIZED',
      );

    // The account is anonymised; its name signs nobody in either.
    const row = await userRow(dave.id);
    expect(row).toMatchObject({
      username: expect.stringMatching(/^deleted-user-\d+$/),
      email: null,
      display_name: null,
      bio: null,
      avatar_url: null,
    });
    expect(row.erased_at).not.toBeNull();
    expect(row.deactivated_at).not.toBeNull();
    expect(
      (
        await t.http
          .post('/api/auth/login')
          .send({ username: row.username, password: dave.password })
      ).status,
    ).toBeGreaterThanOrEqual(401);
    const seen = await t.http.get(`/api/users/${dave.id}`).set(erin.auth);
    expect(seen.body.data).toMatchObject({ username: row.username, avatarUrl: null });

    // My username and email are free at once.
    const again = await t.http
      .post('/api/auth/register')
      .send({ username: dave.username, email: dave.email, password: 'a brand new password' });
    expect(again.status).toBe(201);
    expect(again.body.data.user.id).not.toBe(dave.id);

    // Tombstones in history, for the other members: as events, and by `sync`.
    const deleted = [d1.id, d2.id, fileMessage.id];
    for (const id of [...deleted, inDm.id])
      await erinSocket.waitFor<{ id: string }>('message-deleted', (e) => e.id === id);
    const history = (await listMessages(t, erin, room.id, 'limit=100')).data.map((m) => m.id);
    expect(history).toContain(kept.id);
    for (const id of deleted) expect(history).not.toContain(id);
    const synced = await erinSocket.ack<
      { messages: { id: string; deleted?: boolean; rev: number }[]; rev: number }[]
    >('sync', { rooms: [{ room: room.id, rev: Number(revBefore!.rev) }] });
    expect(synced.success).toBe(true);
    const tombstones = synced.data![0]!.messages.filter((m) => m.deleted);
    expect(tombstones.map((m) => m.id).sort()).toEqual([...deleted].sort());
    expect(synced.data![0]!.rev).toBe(Number(revBefore!.rev) + 3);

    // My file and my avatar are gone from the storage.
    expect(onDisk(file.url)).toBe(false);
    expect(existsSync(join(t.ctx.config.UPLOAD_DIR, avatarKey))).toBe(false);

    // The room went to its admin; my empty room is gone; erin hears I left.
    await erinSocket.waitFor<{ room: string; userId: string }>(
      'member-left',
      (e) => e.room === room.id && e.userId === dave.id,
    );
    const members = await t.http.get(`/api/rooms/${room.id}/members`).set(erin.auth);
    expect(
      (members.body.data as { user: { id: string }; role: string }[]).map((m) => [
        m.user.id,
        m.role,
      ]),
    ).toEqual(
      expect.arrayContaining([
        [erin.id, 'owner'],
        [frank.id, 'member'],
      ]),
    );
    expect(members.body.data).toHaveLength(2);
    const [gone] = await queryRows<{ n: number }>(
      t.ctx.db,
      sql`select count(*)::int as n from rooms where id = ${alone.id}`,
    );
    expect(gone!.n).toBe(0);

    // No subscription, block or membership of mine is left; the erasure is in the audit log.
    const [left] = await queryRows<{ subs: number; blocks: number; memberships: number }>(
      t.ctx.db,
      sql`select (select count(*) from push_subscriptions where user_id = ${dave.id})::int as subs,
                 (select count(*) from user_blocks
                   where blocker_id = ${dave.id} or blocked_id = ${dave.id})::int as blocks,
                 (select count(*) from room_members where user_id = ${dave.id})::int as memberships`,
    );
    expect(left).toEqual({ subs: 0, blocks: 0, memberships: 0 });
    const audit = await queryRows<{ action: string; actor_id: string }>(
      t.ctx.db,
      sql`select action, actor_id from audit_log where target_id = ${dave.id}`,
    );
    expect(audit).toEqual([{ action: 'user.erase', actor_id: dave.id }]);
  });

  it('an erasure that failed at its last step is finished by asking again', async () => {
    const user = await createUser(t);
    const member = await createUser(t);
    const room = await createRoom(t, user, { type: 'public', members: [member] });
    const sent = await sendMessage(t, user, room.id, 'will go');
    await queryRows(
      t.ctx.db,
      sql.raw(`create or replace function refuse_erasure() returns trigger as $$
               begin
                 if new.erased_at is not null then raise exception 'the disk is full'; end if;
                 return new;
               end $$ language plpgsql`),
    );
    await queryRows(
      t.ctx.db,
      sql.raw(`create trigger refuse_erasure before update on users
               for each row execute function refuse_erasure()`),
    );
    try {
      expect((await erase(user, { password: user.password })).status).toBe(500);
    } finally {
      await queryRows(t.ctx.db, sql.raw('drop trigger refuse_erasure on users'));
    }
    // Halfway: signed out, messages gone, rooms left, but the account not yet anonymised.
    expect((await userRow(user.id)).erased_at).toBeNull();
    const history = await listMessages(t, member, room.id);
    expect(history.data.map((m) => m.id)).not.toContain(sent.id);
    const session = await login(t, user);
    const res = await erase({ auth: session.auth }, { password: user.password });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ erased: true, messagesDeleted: 0, roomsLeft: 0 });
    expect((await userRow(user.id)).erased_at).not.toBeNull();
    expectError(await t.http.get('/api/users/profile').set(session.auth), 401, 'UNAUTHORIZED');
  });

  it('skips a deleted-user-<n> that someone registered as their name', async () => {
    const [seq] = await queryRows<{ last_value: string | number; is_called: boolean }>(
      t.ctx.db,
      sql`select last_value, is_called from erased_user_seq`,
    );
    const next = Number(seq!.last_value) + (seq!.is_called ? 1 : 0);
    await createUser(t, { username: `deleted-user-${next}` });
    await createUser(t, { username: `Deleted-User-${next + 1}` });
    const user = await createUser(t);
    expect((await erase(user, { password: user.password })).status).toBe(200);
    expect((await userRow(user.id)).username).toBe(`deleted-user-${next + 2}`);
  });

  it('a room I owned goes to its longest-standing admin before any member', async () => {
    const owner = await createUser(t);
    const early = await createUser(t);
    const late = await createUser(t);
    const room = await createRoom(t, owner, { type: 'public', members: [early] });
    await addMember(t, owner, room.id, late);
    await setRole(t, owner, room.id, late, 'admin');
    expect((await erase(owner, { password: owner.password })).status).toBe(200);
    const asLate = await t.http.get(`/api/rooms/${room.id}`).set(late.auth);
    expect(asLate.body.data).toMatchObject({ myRole: 'owner', memberCount: 2 });
    const asEarly = await t.http.get(`/api/rooms/${room.id}`).set(early.auth);
    expect(asEarly.body.data).toMatchObject({ myRole: 'member' });
  });
});
