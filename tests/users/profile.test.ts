import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createUser,
  expectError,
  expectNoSecrets,
  updateProfile,
  type TestUser,
} from '../helpers/factories.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  alice = await createUser(t);
  bob = await createUser(t);
});
afterAll(async () => {
  await t?.stop();
});

const USER_KEYS = ['avatarUrl', 'bio', 'createdAt', 'displayName', 'id', 'status', 'username'];

describe('GET /api/users/profile', () => {
  it('returns my own profile with email and no secrets', async () => {
    const res = await t.http.get('/api/users/profile').set(alice.auth);
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(Object.keys(res.body.data).sort()).toEqual([...USER_KEYS, 'email', 'role'].sort());
    expect(res.body.data).toMatchObject({
      id: alice.id,
      username: alice.username,
      email: alice.email,
      role: 'user',
    });
    expectNoSecrets(res.body, alice.password);
  });
});

describe('PUT /api/users/profile', () => {
  it('updates displayName and bio and returns the own profile', async () => {
    const carol = await createUser(t);
    const res = await t.http
      .put('/api/users/profile')
      .set(carol.auth)
      .send({ displayName: 'Carol C.', bio: 'Line one\nline two' });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      id: carol.id,
      email: carol.email,
      displayName: 'Carol C.',
      bio: 'Line one\nline two',
    });
    const again = await t.http.get('/api/users/profile').set(carol.auth);
    expect(again.body.data).toMatchObject({ displayName: 'Carol C.', bio: 'Line one\nline two' });
  });

  it('updating one field leaves the other as it was', async () => {
    const dave = await createUser(t);
    await updateProfile(t, dave, { displayName: 'Dave', bio: 'Original bio' });
    const res = await t.http.put('/api/users/profile').set(dave.auth).send({ bio: 'New bio' });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ displayName: 'Dave', bio: 'New bio' });
  });

  it('trims surrounding whitespace', async () => {
    const res = await t.http
      .put('/api/users/profile')
      .set(alice.auth)
      .send({ displayName: '   Alice A.  ' });
    expect(res.status).toBe(200);
    expect(res.body.data.displayName).toBe('Alice A.');
  });

  it('an empty string or null clears a field', async () => {
    const erin = await createUser(t);
    await updateProfile(t, erin, { displayName: 'Erin', bio: 'Bio' });
    const res = await t.http
      .put('/api/users/profile')
      .set(erin.auth)
      .send({ displayName: '', bio: null });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ displayName: null, bio: null });
  });

  it('accepts a displayName of 50 and a bio of 500 characters', async () => {
    const res = await t.http
      .put('/api/users/profile')
      .set(bob.auth)
      .send({ displayName: 'd'.repeat(50), bio: 'b'.repeat(500) });
    expect(res.status).toBe(200);
    expect(res.body.data.displayName).toHaveLength(50);
    expect(res.body.data.bio).toHaveLength(500);
  });

  describe('invalid input gets 400 VALIDATION_ERROR and changes nothing', () => {
    const cases: [string, unknown][] = [
      ['a displayName of 51 characters', { displayName: 'd'.repeat(51) }],
      ['a bio of 501 characters', { bio: 'b'.repeat(501) }],
      ['a displayName with a control character', { displayName: 'bell\u0007' }],
      ['a displayName with a newline', { displayName: 'two\nlines' }],
      ['a displayName with a tab', { displayName: 'tab\there' }],
      ['a bio with a NUL character', { bio: 'nul\u0000here' }],
      ['a bio with an escape character', { bio: 'esc\u001b[31mred' }],
      ['a non-string displayName', { displayName: 42 }],
      ['an empty body', {}],
      ['an unknown key', { displayName: 'ok', email: 'new@example.com' }],
      ['an attempt to change the username', { username: 'taken_over' }],
    ];

    it.each(cases)('%s', async (_label, body) => {
      const before = await t.http.get('/api/users/profile').set(alice.auth);
      const res = await t.http
        .put('/api/users/profile')
        .set(alice.auth)
        .send(body as object);
      expectError(res, 400, 'VALIDATION_ERROR');
      const after = await t.http.get('/api/users/profile').set(alice.auth);
      expect(after.body.data).toEqual(before.body.data);
    });

    it('no body at all', async () => {
      expectError(await t.http.put('/api/users/profile').set(alice.auth), 400, 'VALIDATION_ERROR');
    });
  });
});

describe('GET /api/users/:id', () => {
  it("returns another user's public profile without email", async () => {
    await updateProfile(t, bob, { displayName: 'Bobby', bio: 'Hello' });
    const res = await t.http.get(`/api/users/${bob.id}`).set(alice.auth);
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(Object.keys(res.body.data).sort()).toEqual(USER_KEYS);
    expect(res.body.data).toMatchObject({
      id: bob.id,
      username: bob.username,
      displayName: 'Bobby',
      bio: 'Hello',
    });
    expect(JSON.stringify(res.body)).not.toContain(bob.email);
    expectNoSecrets(res.body, bob.password);
  });

  it('my own id through the public route carries no email either', async () => {
    const res = await t.http.get(`/api/users/${alice.id}`).set(alice.auth);
    expect(res.status).toBe(200);
    expect(res.body.data).not.toHaveProperty('email');
  });

  it('an id in upper case finds the same user', async () => {
    const res = await t.http.get(`/api/users/${bob.id.toUpperCase()}`).set(alice.auth);
    expect(res.status).toBe(200);
    expect(res.body.data.id).toBe(bob.id);
  });

  it('an unknown id gets 404 NOT_FOUND', async () => {
    expectError(await t.http.get(`/api/users/${randomUUID()}`).set(alice.auth), 404, 'NOT_FOUND');
  });

  it.each(['not-a-uuid', '12345', `${randomUUID()}x`, "1' or '1'='1"])(
    'a non-uuid id (%s) gets 404 NOT_FOUND',
    async (id) => {
      const res = await t.http.get(`/api/users/${encodeURIComponent(id)}`).set(alice.auth);
      expectError(res, 404, 'NOT_FOUND');
    },
  );
});

describe('every users route needs a token', () => {
  const routes: [method: 'get' | 'put' | 'post', path: string, body?: object][] = [
    ['get', '/api/users/profile'],
    ['put', '/api/users/profile', { bio: 'x' }],
    ['post', '/api/users/status', { status: 'away' }],
    ['get', '/api/users/search?q=a'],
    ['get', `/api/users/${randomUUID()}`],
    ['get', '/api/v1/users/profile'],
  ];

  function send(method: 'get' | 'put' | 'post', path: string, body?: object, token?: string) {
    const req = t.http[method](path);
    if (token) req.set('Authorization', `Bearer ${token}`);
    return body ? req.send(body) : req;
  }

  it.each(routes)('%s %s without a token gets 401 UNAUTHORIZED', async (method, path, body) => {
    expectError(await send(method, path, body), 401, 'UNAUTHORIZED');
  });

  it.each(routes)('%s %s with a bad token gets 401 UNAUTHORIZED', async (method, path, body) => {
    expectError(await send(method, path, body, 'bad.token.here'), 401, 'UNAUTHORIZED');
  });
});
