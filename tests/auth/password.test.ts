import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createUser, expectError, login, type TestUser } from '../helpers/factories.js';
import { socketPool } from '../helpers/sockets.js';

let t: TestApp;
const sockets = socketPool();

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  sockets.closeAll();
  await t?.stop();
});

const me = (token: string) => t.http.get('/api/auth/me').set('Authorization', `Bearer ${token}`);

describe('POST /api/auth/password', () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await createUser(t);
  });

  it('with the right current password: changed, other sessions and their sockets ended, this one kept', async () => {
    const other = await login(t, user);
    const otherSocket = await sockets.connect(t.url, other.accessToken);
    const res = await t.http
      .post('/api/auth/password')
      .set(user.auth)
      .send({ currentPassword: user.password, newPassword: 'a-brand-new-password' });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ changed: true, sessionsRevoked: 1 });
    expect((await me(user.accessToken)).status).toBe(200);
    expectError(await me(other.accessToken), 401, 'UNAUTHORIZED');
    const refreshed = await t.http
      .post('/api/auth/refresh')
      .send({ refreshToken: other.refreshToken });
    expectError(refreshed, 401, 'UNAUTHORIZED');
    expect(await otherSocket.disconnected()).toBeTruthy();
    // The new password signs in; the old one does not.
    const byNew = await t.http
      .post('/api/auth/login')
      .send({ username: user.username, password: 'a-brand-new-password' });
    expect(byNew.status).toBe(200);
    const byOld = await t.http
      .post('/api/auth/login')
      .send({ username: user.username, password: user.password });
    expectError(byOld, 401, 'UNAUTHORIZED');
  });

  it('with a wrong current password: 403 and nothing changes', async () => {
    const someone = await createUser(t);
    const other = await login(t, someone);
    const res = await t.http
      .post('/api/auth/password')
      .set(someone.auth)
      .send({ currentPassword: 'not-my-password', newPassword: 'a-brand-new-password' });
    expectError(res, 403, 'FORBIDDEN');
    expect((await me(other.accessToken)).status).toBe(200);
    const byOld = await t.http
      .post('/api/auth/login')
      .send({ username: someone.username, password: someone.password });
    expect(byOld.status).toBe(200);
  });

  it('a new password that breaks the password rules is 400', async () => {
    const someone = await createUser(t);
    const res = await t.http
      .post('/api/auth/password')
      .set(someone.auth)
      .send({ currentPassword: someone.password, newPassword: 'short' });
    expectError(res, 400, 'VALIDATION_ERROR');
  });

  it('without a token is 401', async () => {
    const res = await t.http
      .post('/api/auth/password')
      .send({ currentPassword: 'x', newPassword: 'a-brand-new-password' });
    expectError(res, 401, 'UNAUTHORIZED');
  });
});

describe('POST /api/auth/logout-all', () => {
  it('revokes every session of mine, this one included, and closes their sockets', async () => {
    const someone = await createUser(t);
    const second = await login(t, someone);
    const bystander = await createUser(t);
    const socket = await sockets.connect(t.url, second.accessToken);
    const res = await t.http.post('/api/auth/logout-all').set(someone.auth);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ loggedOut: true, sessionsRevoked: 2 });
    expectError(await me(someone.accessToken), 401, 'UNAUTHORIZED');
    expectError(await me(second.accessToken), 401, 'UNAUTHORIZED');
    expect(await socket.disconnected()).toBeTruthy();
    // Someone else's sessions are untouched.
    expect((await me(bystander.accessToken)).status).toBe(200);
  });
});
