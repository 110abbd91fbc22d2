import { randomBytes } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../src/db/schema/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createUser, expectError, expectNoSecrets } from '../helpers/factories.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

const countUsers = async () => (await t.ctx.db.select({ n: count() }).from(users))[0]!.n;

/** A username nobody in this file has taken yet. */
function freshName(prefix = 'reg'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

function validBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const username = freshName();
  return {
    username,
    email: `${username}@example.com`,
    password: 'long enough password',
    ...overrides,
  };
}

describe('POST /api/auth/register', () => {
  it('a new user gets 201 with the own user (with email) and a token pair', async () => {
    const body = validBody();
    const res = await t.http.post('/api/auth/register').send(body);
    expect(res.status).toBe(201);
    expect(res.body.success).toBe(true);
    expect(res.body.data.user).toMatchObject({
      id: expect.any(String),
      username: body.username,
      email: body.email,
      displayName: null,
      avatarUrl: null,
      bio: null,
      status: expect.any(String),
    });
    expect(new Date(res.body.data.user.createdAt).toISOString()).toBe(res.body.data.user.createdAt);
    expect(res.body.data.accessToken).toEqual(expect.any(String));
    expect(res.body.data.refreshToken).toEqual(expect.any(String));
    expect(res.body.data.accessToken).not.toBe(res.body.data.refreshToken);
  });

  it('the response carries no password, password hash or token hash', async () => {
    const body = validBody({ password: 'a very distinctive password 42' });
    const res = await t.http.post('/api/auth/register').send(body);
    expect(res.status).toBe(201);
    expectNoSecrets(res.body, 'a very distinctive password 42');
  });

  it('the tokens of a new registration work at once on /auth/me', async () => {
    const res = await t.http.post('/api/auth/register').send(validBody());
    const me = await t.http.get('/api/auth/me').set(bearer(res.body.data.accessToken));
    expect(me.status).toBe(200);
    expect(me.body.data.id).toBe(res.body.data.user.id);
  });

  it('the password is stored only as an argon2id hash', async () => {
    const body = validBody({ password: 'stored as a hash only' });
    const res = await t.http.post('/api/auth/register').send(body);
    const [row] = await t.ctx.db.select().from(users).where(eq(users.id, res.body.data.user.id));
    expect(row?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(row?.passwordHash).not.toContain('stored as a hash only');
  });

  it('accepts a username of letters, digits, _ . - at the 3 and 30 character bounds', async () => {
    const short = `a${randomBytes(1).toString('hex').slice(0, 1)}_`;
    const long = `Ab.c-_${randomBytes(12).toString('hex')}`; // 6 + 24 = 30
    expect(long).toHaveLength(30);
    for (const username of [short, long]) {
      const res = await t.http
        .post('/api/auth/register')
        .send(validBody({ username, email: `${freshName()}@example.com` }));
      expect(res.status, username).toBe(201);
      expect(res.body.data.user.username).toBe(username);
    }
  });

  it("keeps a password's surrounding spaces: logging in without them fails", async () => {
    const body = validBody({ password: '  spaced password  ' });
    expect((await t.http.post('/api/auth/register').send(body)).status).toBe(201);
    const exact = await t.http
      .post('/api/auth/login')
      .send({ username: body.username, password: '  spaced password  ' });
    expect(exact.status).toBe(200);
    const trimmed = await t.http
      .post('/api/auth/login')
      .send({ username: body.username, password: 'spaced password' });
    expectError(trimmed, 401, 'UNAUTHORIZED');
  });

  it('accepts passwords of exactly 8 and 128 characters', async () => {
    for (const password of ['x'.repeat(8), 'y'.repeat(128)]) {
      const res = await t.http.post('/api/auth/register').send(validBody({ password }));
      expect(res.status, `length ${password.length}`).toBe(201);
    }
  });

  describe('invalid input is refused with 400 VALIDATION_ERROR and nothing stored', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['a username of 2 characters', { username: 'ab' }],
      ['a username of 31 characters', { username: 'a'.repeat(31) }],
      ['a username with a space', { username: 'bad name' }],
      ['a username with !', { username: 'bad!name' }],
      ['a username with @', { username: 'bad@name' }],
      ['an email without @', { email: 'not-an-email' }],
      ['an email without domain', { email: 'someone@' }],
      ['a password of 7 characters', { password: '1234567' }],
      ['a password of 129 characters', { password: 'p'.repeat(129) }],
      ['a non-string password', { password: 12345678 }],
      ['a non-string email', { email: 12345678 }],
      ['an email as an object', { email: { $ne: null } }],
      ['a missing email', { email: undefined }],
      ['an unknown extra key', { isAdmin: true }],
      ['a missing username', { username: undefined }],
    ];

    it.each(cases)('%s', async (_label, overrides) => {
      const body = validBody(overrides);
      // The tests of this file run one after the other on a database of their own, so the number
      // of users tells whether anything was stored, whatever the body held.
      const before = await countUsers();
      const res = await t.http.post('/api/auth/register').send(body);
      expectError(res, 400, 'VALIDATION_ERROR');
      expect(res.body.error.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ message: expect.any(String) })]),
      );
      expect(await countUsers()).toBe(before);
    });

    it('an empty body', async () => {
      const res = await t.http.post('/api/auth/register').send({});
      expectError(res, 400, 'VALIDATION_ERROR');
    });

    it('no body at all', async () => {
      const res = await t.http.post('/api/auth/register');
      expectError(res, 400, 'VALIDATION_ERROR');
    });
  });

  describe('duplicates', () => {
    it('the same username in another letter case gets 409 CONFLICT', async () => {
      const first = await createUser(t, { username: freshName('Dup') });
      const res = await t.http
        .post('/api/auth/register')
        .send(validBody({ username: first.username.toUpperCase() }));
      expectError(res, 409, 'CONFLICT');
    });

    it('the same email in another letter case gets 409 CONFLICT', async () => {
      const first = await createUser(t);
      const res = await t.http
        .post('/api/auth/register')
        .send(validBody({ email: first.email.toUpperCase() }));
      expectError(res, 409, 'CONFLICT');
    });

    it('a taken username and a taken email get the same message', async () => {
      const first = await createUser(t);
      const byName = await t.http
        .post('/api/auth/register')
        .send(validBody({ username: first.username.toUpperCase() }));
      const byEmail = await t.http
        .post('/api/auth/register')
        .send(validBody({ email: first.email.toUpperCase() }));
      expect(byName.status).toBe(409);
      expect(byEmail.status).toBe(409);
      expect(byName.body.error.message).toBe(byEmail.body.error.message);
    });

    it('two simultaneous registrations of one name in two letter cases: one 201, one 409', async () => {
      const name = freshName('Race');
      const [a, b] = await Promise.all(
        [name, name.toLowerCase()].map((username) =>
          t.http
            .post('/api/auth/register')
            .send(validBody({ username, email: `${freshName()}@x.io` })),
        ),
      );
      expect([a!.status, b!.status].sort()).toEqual([201, 409]);
      const rows = await t.ctx.db.select().from(users);
      expect(rows.filter((r) => r.username.toLowerCase() === name.toLowerCase())).toHaveLength(1);
    });

    it('a refused duplicate leaves the first account untouched and able to log in', async () => {
      const first = await createUser(t);
      await t.http
        .post('/api/auth/register')
        .send(validBody({ username: first.username, password: 'another password here' }));
      const res = await t.http
        .post('/api/auth/login')
        .send({ username: first.username, password: first.password });
      expect(res.status).toBe(200);
      expect(res.body.data.user.id).toBe(first.id);
    });
  });
});
