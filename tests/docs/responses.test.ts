import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createUser, uniqueRoomName, type TestUser } from '../helpers/factories.js';
import { connectRecorded, type RecordedSocket } from '../helpers/sockets.js';
import { documentedClient } from './support.js';

/**
 * Drives every documented route with a realistic request and checks each answer against the
 * document: success bodies parse with the documented (strict) zod schema, and one error per route
 * parses with the error schema, with a documented status.
 */

const METRICS_TOKEN = 'docs-test-metrics-token';
const PASSWORD = 'correct horse battery';

let t: TestApp;
let api: ReturnType<typeof documentedClient>;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let bobSocket: RecordedSocket | undefined;
let png: Buffer;

beforeAll(async () => {
  t = await startTestApp({ env: { METRICS_TOKEN } });
  api = documentedClient(t);
  png = await sharp({ create: { width: 12, height: 8, channels: 3, background: '#c81e1e' } })
    .png()
    .toBuffer();
});

afterAll(async () => {
  bobSocket?.close();
  await t?.stop();
});

const unknownId = randomUUID();
const uid = () => randomUUID().slice(0, 8);

describe('documented responses', () => {
  it('auth', async () => {
    const username = `alice_${uid()}`;
    const registered = await api.ok(
      'post',
      '/api/v1/auth/register',
      { body: { username, email: `${username}@example.com`, password: PASSWORD } },
      201,
    );
    const data = registered.data as {
      user: { id: string };
      accessToken: string;
      refreshToken: string;
    };
    alice = {
      id: data.user.id,
      username,
      email: `${username}@example.com`,
      password: PASSWORD,
      accessToken: data.accessToken,
      refreshToken: data.refreshToken,
      auth: bearer(data.accessToken),
    };
    bob = await createUser(t);
    carol = await createUser(t);
    await api.fail('post', '/api/v1/auth/register', { body: { username: 'x' } }, 400);

    const login = await api.ok('post', '/api/v1/auth/login', {
      body: { username, password: PASSWORD },
    });
    const session = login.data as { accessToken: string; refreshToken: string };
    await api.fail('post', '/api/v1/auth/login', { body: { username, password: 'wrong!!!' } }, 401);

    const refreshed = await api.ok('post', '/api/v1/auth/refresh', {
      body: { refreshToken: session.refreshToken },
    });
    await api.fail('post', '/api/v1/auth/refresh', { body: { refreshToken: 'nope' } }, 401);

    await api.ok('get', '/api/v1/auth/me', { auth: alice.auth });
    await api.fail('get', '/api/v1/auth/me', {}, 401);

    const pair = refreshed.data as { accessToken: string; refreshToken: string };
    await api.ok('post', '/api/v1/auth/logout', {
      auth: bearer(pair.accessToken),
      body: { refreshToken: pair.refreshToken },
    });
    await api.fail('post', '/api/v1/auth/logout', { body: {} }, 401);

    const changer = await createUser(t);
    await api.fail(
      'post',
      '/api/v1/auth/password',
      {
        auth: changer.auth,
        body: { currentPassword: 'wrong-one-1', newPassword: 'new-password-1' },
      },
      403,
    );
    await api.ok('post', '/api/v1/auth/password', {
      auth: changer.auth,
      body: { currentPassword: changer.password, newPassword: 'new-password-1' },
    });
    await api.ok('post', '/api/v1/auth/logout-all', { auth: changer.auth });
    await api.fail('post', '/api/v1/auth/logout-all', {}, 401);
  });

  it('users', async () => {
    const withAvatar = await api.ok('post', '/api/v1/users/avatar', {
      auth: alice.auth,
      files: { avatar: { buffer: png, filename: 'me.png' } },
    });
    const avatarUrl = new URL((withAvatar.data as { avatarUrl: string }).avatarUrl);
    const avatarKey = avatarUrl.pathname.replace(/^\/files\/public\//, '');
    await api.ok('get', '/files/public/{key}', { params: { key: avatarKey } }, 200);
    await api.fail('get', '/files/public/{key}', { params: { key: 'avatars/none.webp' } }, 404);
    await api.fail(
      'post',
      '/api/v1/users/avatar',
      {
        auth: alice.auth,
        files: { avatar: { buffer: Buffer.from('%PDF-1.4\n%%EOF\n'), filename: 'a.pdf' } },
      },
      415,
    );

    bobSocket = await connectRecorded(t.url, bob.accessToken);
    const online = await api.ok('get', '/api/v1/users/online', { auth: alice.auth });
    expect((online.data as { id: string }[]).map((u) => u.id)).toContain(bob.id);
    await api.fail('get', '/api/v1/users/online', {}, 401);

    await api.ok('get', '/api/v1/users/profile', { auth: alice.auth });
    await api.fail('get', '/api/v1/users/profile', { auth: bearer('not-a-token') }, 401);

    await api.ok('put', '/api/v1/users/profile', {
      auth: alice.auth,
      body: { displayName: 'Alice', bio: 'Writes the docs' },
    });
    await api.fail('put', '/api/v1/users/profile', { auth: alice.auth, body: {} }, 400);

    await api.ok('post', '/api/v1/users/status', { auth: alice.auth, body: { status: 'away' } });
    await api.fail(
      'post',
      '/api/v1/users/status',
      { auth: alice.auth, body: { status: 'asleep' } },
      400,
    );

    const found = await api.ok('get', '/api/v1/users/search', {
      auth: alice.auth,
      query: { q: bob.username.slice(0, 6), limit: 100 },
    });
    expect((found.data as { id: string }[]).length).toBeGreaterThan(0);
    await api.fail('get', '/api/v1/users/search', { auth: alice.auth }, 400);

    const blocked = await api.ok('post', '/api/v1/users/{id}/block', {
      auth: alice.auth,
      params: { id: carol.id },
    });
    expect(blocked.data).toMatchObject({ userId: carol.id, blocked: true });
    await api.fail(
      'post',
      '/api/v1/users/{id}/block',
      { auth: alice.auth, params: { id: alice.id } },
      400,
    );
    const list = await api.ok('get', '/api/v1/users/blocked', { auth: alice.auth });
    expect((list.data as { user: { id: string } }[]).map((b) => b.user.id)).toEqual([carol.id]);
    await api.fail('get', '/api/v1/users/blocked', { auth: alice.auth, query: { limit: 0 } }, 400);
    await api.ok('delete', '/api/v1/users/{id}/block', {
      auth: alice.auth,
      params: { id: carol.id },
    });
    await api.fail(
      'delete',
      '/api/v1/users/{id}/block',
      { auth: alice.auth, params: { id: unknownId } },
      404,
    );

    await api.ok('get', '/api/v1/users/{id}', { auth: alice.auth, params: { id: bob.id } });
    await api.fail(
      'get',
      '/api/v1/users/{id}',
      { auth: alice.auth, params: { id: unknownId } },
      404,
    );
  });

  let pub: { id: string; slug: string };
  let priv: { id: string };
  let direct: { id: string };

  it('rooms', async () => {
    const a = { auth: alice.auth };
    pub = (
      await api.ok(
        'post',
        '/api/v1/rooms',
        { ...a, body: { name: uniqueRoomName('Docs'), type: 'public', description: 'About docs' } },
        201,
      )
    ).data;
    priv = (
      await api.ok(
        'post',
        '/api/v1/rooms',
        { ...a, body: { name: uniqueRoomName(), type: 'private' } },
        201,
      )
    ).data;
    await api.fail('post', '/api/v1/rooms', { ...a, body: { name: '', type: 'public' } }, 400);

    await api.ok('get', '/api/v1/rooms', { ...a, query: { limit: 100 } });
    await api.fail('get', '/api/v1/rooms', { ...a, query: { limit: 0 } }, 400);
    await api.ok('get', '/api/v1/rooms/public', { ...a, query: { q: 'Docs' } });
    await api.fail('get', '/api/v1/rooms/public', { ...a, query: { limit: 'many' } }, 400);

    direct = (await api.ok('post', '/api/v1/rooms/direct', { ...a, body: { userId: bob.id } }, 201))
      .data;
    await api.ok('post', '/api/v1/rooms/direct', { ...a, body: { userId: bob.id } }, 200);
    await api.fail('post', '/api/v1/rooms/direct', { ...a, body: { userId: alice.id } }, 400);

    const quiet = await api.ok('put', '/api/v1/rooms/{id}/notifications', {
      ...a,
      params: { id: pub.id },
      body: { level: 'none' },
    });
    expect(quiet.data).toMatchObject({ notifyLevel: 'none', mentionCount: 0 });
    await api.fail(
      'put',
      '/api/v1/rooms/{id}/notifications',
      { ...a, params: { id: pub.id }, body: { level: 'loud' } },
      400,
    );

    await api.ok('get', '/api/v1/rooms/{id}', { ...a, params: { id: pub.slug } });
    const dm = await api.ok('get', '/api/v1/rooms/{id}', { ...a, params: { id: direct.id } });
    expect(dm.data).toHaveProperty('peer.id', bob.id);
    await api.fail('get', '/api/v1/rooms/{id}', { auth: carol.auth, params: { id: priv.id } }, 404);

    await api.ok('patch', '/api/v1/rooms/{id}', {
      ...a,
      params: { id: pub.id },
      body: { description: 'Docs!' },
    });
    await api.fail(
      'patch',
      '/api/v1/rooms/{id}',
      { auth: bob.auth, params: { id: pub.id }, body: { description: 'mine now' } },
      403,
    );

    await api.ok('post', '/api/v1/rooms/{id}/join', { auth: bob.auth, params: { id: pub.id } });
    await api.fail(
      'post',
      '/api/v1/rooms/{id}/join',
      { auth: carol.auth, params: { id: priv.id } },
      404,
    );

    const members = { ...a, params: { id: priv.id } };
    await api.ok(
      'post',
      '/api/v1/rooms/{id}/members',
      { ...members, body: { userId: carol.id } },
      201,
    );
    await api.ok(
      'post',
      '/api/v1/rooms/{id}/members',
      { ...members, body: { userId: carol.id } },
      200,
    );
    await api.fail(
      'post',
      '/api/v1/rooms/{id}/members',
      { auth: bob.auth, params: { id: priv.id }, body: { userId: bob.id } },
      404,
    );
    await api.ok('get', '/api/v1/rooms/{id}/members', members);
    await api.fail(
      'get',
      '/api/v1/rooms/{id}/members',
      { auth: bob.auth, params: { id: priv.id } },
      404,
    );

    // Room moderation.
    const muted = { ...a, params: { id: priv.id, userId: carol.id } };
    const mutedView = await api.ok('post', '/api/v1/rooms/{id}/members/{userId}/mute', {
      ...muted,
      body: { minutes: 10 },
    });
    expect(mutedView.data).toMatchObject({ muted: true });
    await api.fail(
      'post',
      '/api/v1/rooms/{id}/members/{userId}/mute',
      { ...muted, body: { minutes: 0 } },
      400,
    );
    await api.ok('delete', '/api/v1/rooms/{id}/members/{userId}/mute', muted);
    await api.fail(
      'delete',
      '/api/v1/rooms/{id}/members/{userId}/mute',
      { auth: bob.auth, params: { id: priv.id, userId: carol.id } },
      404,
    );
    const bans = { ...a, params: { id: priv.id } };
    await api.ok('post', '/api/v1/rooms/{id}/bans', { ...bans, body: { userId: bob.id } }, 201);
    await api.fail('post', '/api/v1/rooms/{id}/bans', { ...bans, body: { userId: bob.id } }, 409);
    await api.ok('get', '/api/v1/rooms/{id}/bans', bans);
    await api.fail(
      'get',
      '/api/v1/rooms/{id}/bans',
      { auth: bob.auth, params: { id: priv.id } },
      404,
    );
    await api.ok('delete', '/api/v1/rooms/{id}/bans/{userId}', {
      ...a,
      params: { id: priv.id, userId: bob.id },
    });
    await api.fail(
      'delete',
      '/api/v1/rooms/{id}/bans/{userId}',
      { ...a, params: { id: priv.id, userId: bob.id } },
      404,
    );

    const member = { ...a, params: { id: priv.id, userId: carol.id } };
    await api.ok('patch', '/api/v1/rooms/{id}/members/{userId}', {
      ...member,
      body: { role: 'admin' },
    });
    await api.fail(
      'patch',
      '/api/v1/rooms/{id}/members/{userId}',
      { ...member, body: { role: 'king' } },
      400,
    );
    await api.ok('delete', '/api/v1/rooms/{id}/members/{userId}', member);
    await api.fail('delete', '/api/v1/rooms/{id}/members/{userId}', member, 404);

    await api.ok('post', '/api/v1/rooms/{id}/leave', { auth: bob.auth, params: { id: pub.id } });
    await api.fail('post', '/api/v1/rooms/{id}/leave', { ...a, params: { id: direct.id } }, 403);

    const doomed = (
      await api.ok(
        'post',
        '/api/v1/rooms',
        { ...a, body: { name: uniqueRoomName(), type: 'public' } },
        201,
      )
    ).data as { id: string };
    await api.fail(
      'delete',
      '/api/v1/rooms/{id}',
      { auth: bob.auth, params: { id: doomed.id } },
      403,
    );
    await api.ok('delete', '/api/v1/rooms/{id}', { ...a, params: { id: doomed.id } });
  });

  it('messages', async () => {
    const a = { auth: alice.auth };
    await api.ok('post', '/api/v1/rooms/{id}/join', { auth: bob.auth, params: { id: pub.id } });
    const first = (
      await api.ok(
        'post',
        '/api/v1/messages',
        { ...a, body: { room: pub.id, content: 'hello docs' } },
        201,
      )
    ).data as { id: string; seq: number };
    const clientId = `c-${uid()}`;
    const body = { room: pub.slug, content: 'a reply about docs', replyTo: first.id, clientId };
    const reply = (await api.ok('post', '/api/v1/messages', { auth: bob.auth, body }, 201))
      .data as {
      id: string;
      replyPreview: unknown;
    };
    expect(reply.replyPreview).toMatchObject({ id: first.id });
    await api.ok('post', '/api/v1/messages', { auth: bob.auth, body }, 200);
    await api.fail(
      'post',
      '/api/v1/messages',
      { ...a, body: { room: pub.id, content: '   ' } },
      400,
    );

    await api.ok('put', '/api/v1/messages/{id}', {
      ...a,
      params: { id: first.id },
      body: { content: 'hello docs!' },
    });
    await api.fail(
      'put',
      '/api/v1/messages/{id}',
      { auth: bob.auth, params: { id: first.id }, body: { content: 'not yours' } },
      403,
    );

    await api.ok('post', '/api/v1/messages/{id}/react', {
      auth: bob.auth,
      params: { id: first.id },
      body: { emoji: '👍' },
    });
    await api.fail(
      'post',
      '/api/v1/messages/{id}/react',
      { auth: bob.auth, params: { id: first.id }, body: { emoji: 'thumbs up' } },
      400,
    );

    await api.ok('post', '/api/v1/messages/{id}/read', {
      auth: bob.auth,
      params: { id: first.id },
    });
    await api.fail(
      'post',
      '/api/v1/messages/{id}/read',
      { auth: bob.auth, params: { id: unknownId } },
      404,
    );

    const found = await api.ok('get', '/api/v1/messages/search', {
      ...a,
      query: { q: 'docs', room: pub.id },
    });
    expect((found.data as unknown[]).length).toBeGreaterThan(0);
    await api.fail('get', '/api/v1/messages/search', a, 400);

    const key = await api.ok('get', '/api/v1/push/vapid-public-key', a);
    expect((key.data as { publicKey: string }).publicKey.length).toBeGreaterThan(80);
    await api.fail('get', '/api/v1/push/vapid-public-key', { auth: bearer('not-a-token') }, 401);
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const subscription = {
      endpoint: `https://push.example.com/docs/${uid()}`,
      keys: {
        p256dh: ecdh.getPublicKey().toString('base64url'),
        auth: randomBytes(16).toString('base64url'),
      },
    };
    await api.ok('post', '/api/v1/push/subscriptions', { ...a, body: subscription }, 201);
    await api.fail(
      'post',
      '/api/v1/push/subscriptions',
      { ...a, body: { ...subscription, endpoint: 'http://127.0.0.1/x' } },
      400,
    );
    await api.ok('delete', '/api/v1/push/subscriptions', {
      ...a,
      body: { endpoint: subscription.endpoint },
    });
    await api.fail(
      'delete',
      '/api/v1/push/subscriptions',
      { ...a, body: { endpoint: subscription.endpoint } },
      404,
    );

    // Instance administration, as an admin (made here as the shell command would).
    await queryRows(t.ctx.db, sql`update users set role = 'admin' where id = ${alice.id}`);
    const spammer = await createUser(t);
    const listed = await api.ok('get', '/api/v1/admin/users', {
      ...a,
      query: { q: spammer.username },
    });
    expect((listed.data as { id: string }[]).map((u) => u.id)).toEqual([spammer.id]);
    await api.fail('get', '/api/v1/admin/users', { auth: bob.auth }, 403);
    await api.ok('post', '/api/v1/admin/users/{id}/deactivate', {
      ...a,
      params: { id: spammer.id },
      body: { reason: 'documented' },
    });
    await api.fail(
      'post',
      '/api/v1/admin/users/{id}/deactivate',
      { auth: bob.auth, params: { id: spammer.id }, body: {} },
      403,
    );
    await api.ok('post', '/api/v1/admin/users/{id}/reactivate', {
      ...a,
      params: { id: spammer.id },
    });
    await api.fail(
      'post',
      '/api/v1/admin/users/{id}/reactivate',
      { ...a, params: { id: unknownId } },
      404,
    );

    const log = await api.ok('get', '/api/v1/admin/audit', { ...a, query: { limit: 5 } });
    expect((log.data as { action: string }[]).map((e) => e.action)).toContain('user.deactivate');
    await api.fail('get', '/api/v1/admin/audit', { ...a, query: { actor: 'nobody' } }, 400);
    const doomed = (
      await api.ok(
        'post',
        '/api/v1/messages',
        { ...a, body: { room: pub.id, content: 'doomed' } },
        201,
      )
    ).data as { id: string };
    await api.ok('delete', '/api/v1/admin/messages/{id}', { ...a, params: { id: doomed.id } });
    await api.fail(
      'delete',
      '/api/v1/admin/messages/{id}',
      { ...a, params: { id: doomed.id } },
      404,
    );

    const reported = await api.ok(
      'post',
      '/api/v1/messages/{id}/report',
      { auth: bob.auth, params: { id: first.id }, body: { reason: 'documented' } },
      201,
    );
    await api.fail(
      'post',
      '/api/v1/messages/{id}/report',
      { auth: bob.auth, params: { id: first.id }, body: { reason: 'again' } },
      409,
    );
    await api.ok('get', '/api/v1/admin/reports', { ...a, query: { status: 'open' } });
    await api.fail('get', '/api/v1/admin/reports', { auth: bob.auth }, 403);
    await api.ok('post', '/api/v1/admin/reports/{id}/resolve', {
      ...a,
      params: { id: (reported.data as { id: string }).id },
      body: { action: 'dismiss' },
    });
    await api.fail(
      'post',
      '/api/v1/admin/reports/{id}/resolve',
      { ...a, params: { id: (reported.data as { id: string }).id }, body: { action: 'dismiss' } },
      409,
    );

    const activity = await api.ok('get', '/api/v1/admin/stats', {
      ...a,
      query: { from: '2024-02-01', to: '2024-03-01' },
    });
    expect((activity.data as { days: unknown[] }).days).toHaveLength(30);
    await api.fail(
      'get',
      '/api/v1/admin/stats',
      { ...a, query: { from: '2024-03-02', to: '2024-03-01' } },
      400,
    );
    await api.fail('get', '/api/v1/admin/stats', { auth: bob.auth }, 403);
    await api.ok('get', '/api/v1/admin/rooms', { ...a, query: { q: 'Docs' } });
    await api.fail('get', '/api/v1/admin/rooms', { auth: bob.auth }, 403);
    const doomedRoom = (
      await api.ok(
        'post',
        '/api/v1/rooms',
        { ...a, body: { name: uniqueRoomName('Doomed'), type: 'private' } },
        201,
      )
    ).data as { id: string };
    await api.ok('delete', '/api/v1/admin/rooms/{id}', { ...a, params: { id: doomedRoom.id } });
    await api.fail(
      'delete',
      '/api/v1/admin/rooms/{id}',
      { ...a, params: { id: doomedRoom.id } },
      404,
    );

    // Bob's reply to Alice's message mentions her.
    const mine = await api.ok('get', '/api/v1/mentions', a);
    expect((mine.data as { id: string }[]).map((m) => m.id)).toContain(reply.id);
    await api.fail('get', '/api/v1/mentions', { ...a, query: { limit: 1000 } }, 400);

    await api.ok('delete', '/api/v1/messages/{id}', { auth: bob.auth, params: { id: reply.id } });
    await api.fail(
      'delete',
      '/api/v1/messages/{id}',
      { auth: bob.auth, params: { id: reply.id } },
      404,
    );

    await api.ok('post', '/api/v1/messages', {
      ...a,
      body: { room: pub.id, content: 'more docs' },
    });
    const history = await api.ok('get', '/api/v1/messages', {
      ...a,
      query: { room: pub.id, limit: 1 },
    });
    expect(history.page?.nextCursor).toEqual(expect.any(String));
    const catchUp = await api.ok('get', '/api/v1/messages', {
      ...a,
      query: { room: pub.id, after: 0 },
    });
    expect(catchUp.data).toContainEqual({
      id: reply.id,
      room: pub.id,
      seq: expect.any(Number),
      rev: expect.any(Number),
      deleted: true,
    });
    const changes = await api.ok('get', '/api/v1/messages', {
      ...a,
      query: { room: pub.id, rev: 0, limit: 2 },
    });
    expect(changes.page?.rev).toEqual(expect.any(Number));
    await api.fail('get', '/api/v1/messages', { auth: carol.auth, query: { room: pub.id } }, 403);
  });

  it('files', async () => {
    const a = { auth: alice.auth };
    const fields = { room: pub.id, caption: 'a red square', clientId: `f-${uid()}` };
    const upload = { ...a, fields, files: { file: { buffer: png, filename: 'red.png' } } };
    const posted = (await api.ok('post', '/api/v1/files/upload', upload, 201)).data as {
      file: { url: string; width?: number; thumbnailUrl?: string };
      message: { id: string };
    };
    expect(posted.file.width).toBe(12);
    expect(posted.file.thumbnailUrl).toEqual(expect.any(String));
    await api.ok('post', '/api/v1/files/upload', upload, 200);
    // The signed download URL it handed out, as a client follows it.
    const signed = new URL(posted.file.url);
    const fileKey = signed.pathname.replace(/^\/files\//, '');
    const query = Object.fromEntries(signed.searchParams);
    await api.ok('get', '/files/{key}', { params: { key: fileKey }, query }, 200);
    await api.fail('get', '/files/{key}', { params: { key: fileKey } }, 401);
    await api.fail('post', '/api/v1/files/upload', { ...a, fields: { room: pub.id } }, 400);

    const media = await api.ok('get', '/api/v1/files/media/{room}', {
      ...a,
      params: { room: pub.slug },
      query: { type: 'image' },
    });
    expect((media.data as unknown[]).length).toBe(1);
    await api.fail(
      'get',
      '/api/v1/files/media/{room}',
      { ...a, params: { room: 'no-such-room' } },
      404,
    );

    await api.ok('get', '/api/v1/files/stats/{room}', { ...a, params: { room: pub.id } });
    await api.fail(
      'get',
      '/api/v1/files/stats/{room}',
      { auth: carol.auth, params: { room: pub.id } },
      403,
    );

    await api.ok('delete', '/api/v1/files/{messageId}', {
      ...a,
      params: { messageId: posted.message.id },
    });
    await api.fail(
      'delete',
      '/api/v1/files/{messageId}',
      { ...a, params: { messageId: posted.message.id } },
      404,
    );
  });

  it('my data', async () => {
    // Alice's export: her messages (deleted ones too) and a file of hers that is still there.
    await api.ok(
      'post',
      '/api/v1/files/upload',
      {
        auth: alice.auth,
        fields: { room: pub.id },
        files: { file: { buffer: png, filename: 'kept.png' } },
      },
      201,
    );
    const exported = await api.ok('get', '/api/v1/users/me/export', { auth: alice.auth });
    const doc = exported.data as { messages: unknown[]; files: unknown[] };
    expect(doc.messages.length).toBeGreaterThan(0);
    expect(doc.files.length).toBeGreaterThan(0);
    await api.fail('get', '/api/v1/users/me/export', {}, 401);

    const leaving = await createUser(t);
    await api.fail(
      'delete',
      '/api/v1/users/me',
      { auth: leaving.auth, body: { password: 'not-the-password' } },
      403,
    );
    await api.ok('delete', '/api/v1/users/me', {
      auth: leaving.auth,
      body: { password: leaving.password },
    });
  });

  it('system', async () => {
    await api.ok('get', '/health', {}, 200);
    await api.ok('get', '/metrics', { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    await api.fail('get', '/metrics', {}, 401);
  });

  it('covered every documented route, with success and with an error', () => {
    expect(api.missing()).toEqual({ success: [], error: [] });
  });
});
