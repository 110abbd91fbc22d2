import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  bearer,
  createUser,
  expectError,
  expectNoSecrets,
  type TestUser,
} from '../helpers/factories.js';

let t: TestApp;
let alice: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  alice = await createUser(t, { username: 'Alice_Login', email: 'Alice.Login@Example.com' });
});
afterAll(async () => {
  await t?.stop();
});

describe('POST /api/auth/login', () => {
  it('logs in by email and returns the user and a token pair', async () => {
    const res = await t.http
      .post('/api/auth/login')
      .send({ email: alice.email, password: alice.password });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.data.user).toMatchObject({
      id: alice.id,
      username: alice.username,
      email: alice.email,
    });
    expect(res.body.data.accessToken).toEqual(expect.any(String));
    expect(res.body.data.refreshToken).toEqual(expect.any(String));
    expectNoSecrets(res.body, alice.password);
  });

  it('logs in by email in another letter case', async () => {
    const res = await t.http
      .post('/api/auth/login')
      .send({ email: 'alice.login@EXAMPLE.COM', password: alice.password });
    expect(res.status).toBe(200);
    expect(res.body.data.user.id).toBe(alice.id);
  });

  it('logs in by username in another letter case', async () => {
    const res = await t.http
      .post('/api/auth/login')
      .send({ username: 'aLICE_lOGIN', password: alice.password });
    expect(res.status).toBe(200);
    expect(res.body.data.user.id).toBe(alice.id);
  });

  it('each login opens a new session with new tokens', async () => {
    const a = await t.http
      .post('/api/auth/login')
      .send({ username: alice.username, password: alice.password });
    const b = await t.http
      .post('/api/auth/login')
      .send({ username: alice.username, password: alice.password });
    expect(a.body.data.refreshToken).not.toBe(b.body.data.refreshToken);
    expect(a.body.data.accessToken).not.toBe(b.body.data.accessToken);
    for (const token of [a.body.data.accessToken, b.body.data.accessToken]) {
      expect((await t.http.get('/api/auth/me').set(bearer(token))).status).toBe(200);
    }
  });

  it('a wrong password gets 401 UNAUTHORIZED', async () => {
    const res = await t.http
      .post('/api/auth/login')
      .send({ username: alice.username, password: 'not the password' });
    expectError(res, 401, 'UNAUTHORIZED');
    expect(res.body).not.toHaveProperty('data');
  });

  it('a password in another letter case is wrong', async () => {
    const res = await t.http
      .post('/api/auth/login')
      .send({ username: alice.username, password: alice.password.toUpperCase() });
    expectError(res, 401, 'UNAUTHORIZED');
  });

  it('an unknown user and a wrong password get the identical answer', async () => {
    const wrongPassword = await t.http
      .post('/api/auth/login')
      .send({ email: alice.email, password: 'not the password' });
    const unknownEmail = await t.http
      .post('/api/auth/login')
      .send({ email: 'nobody@example.com', password: 'not the password' });
    const unknownName = await t.http
      .post('/api/auth/login')
      .send({ username: 'nobody_here', password: 'not the password' });
    for (const res of [wrongPassword, unknownEmail, unknownName]) {
      expectError(res, 401, 'UNAUTHORIZED');
    }
    expect(unknownEmail.body).toEqual(wrongPassword.body);
    expect(unknownName.body).toEqual(wrongPassword.body);
  });

  it('without email or username gets 400 VALIDATION_ERROR', async () => {
    const res = await t.http.post('/api/auth/login').send({ password: alice.password });
    expectError(res, 400, 'VALIDATION_ERROR');
  });

  it('without password gets 400 VALIDATION_ERROR', async () => {
    const res = await t.http.post('/api/auth/login').send({ username: alice.username });
    expectError(res, 400, 'VALIDATION_ERROR');
  });

  it('with an unknown extra key gets 400 VALIDATION_ERROR', async () => {
    const res = await t.http
      .post('/api/auth/login')
      .send({ username: alice.username, password: alice.password, remember: true });
    expectError(res, 400, 'VALIDATION_ERROR');
  });
});

describe('GET /api/auth/me', () => {
  it('with a valid token returns the own user with email and no secrets', async () => {
    const res = await t.http.get('/api/auth/me').set(alice.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      data: {
        id: alice.id,
        username: alice.username,
        email: alice.email,
        displayName: null,
        avatarUrl: null,
        bio: null,
        status: expect.any(String),
        role: 'user',
        createdAt: expect.any(String),
      },
    });
  });

  it('the bearer scheme is accepted in any letter case', async () => {
    const res = await t.http
      .get('/api/auth/me')
      .set('Authorization', `bearer ${alice.accessToken}`);
    expect(res.status).toBe(200);
  });

  it('without a token gets 401 UNAUTHORIZED', async () => {
    const res = await t.http.get('/api/auth/me');
    expectError(res, 401, 'UNAUTHORIZED');
  });

  it.each([
    ['an empty header', ''],
    ['the scheme alone', 'Bearer'],
    ['the scheme and a space', 'Bearer '],
    ['another scheme', `Basic ${Buffer.from('alice:pw').toString('base64')}`],
    ['the token without scheme', 'TOKEN_PLACEHOLDER'],
    ['two tokens', 'Bearer TOKEN_PLACEHOLDER TOKEN_PLACEHOLDER'],
    ['a token that is not a JWT', 'Bearer not-a-jwt'],
  ])('a malformed Authorization header (%s) gets 401 UNAUTHORIZED', async (_label, header) => {
    const value = header.replaceAll('TOKEN_PLACEHOLDER', alice.accessToken);
    const res = await t.http.get('/api/auth/me').set('Authorization', value);
    expectError(res, 401, 'UNAUTHORIZED');
  });
});
