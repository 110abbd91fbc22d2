import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createUser,
  expectError,
  login,
  type TestSession,
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

function me(session: Pick<TestSession, 'auth'>) {
  return t.http.get('/api/auth/me').set(session.auth);
}

function refresh(session: Pick<TestSession, 'refreshToken'>) {
  return t.http.post('/api/auth/refresh').send({ refreshToken: session.refreshToken });
}

describe('POST /api/auth/logout', () => {
  it('answers 200 and revokes the session: access and refresh token both get 401', async () => {
    const session = await login(t, alice);
    const res = await t.http.post('/api/auth/logout').set(session.auth);
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expectError(await me(session), 401, 'UNAUTHORIZED');
    expectError(await refresh(session), 401, 'UNAUTHORIZED');
  });

  it('with an empty JSON body works like without a body', async () => {
    const session = await login(t, alice);
    const res = await t.http.post('/api/auth/logout').set(session.auth).send({});
    expect(res.status).toBe(200);
    expectError(await me(session), 401, 'UNAUTHORIZED');
  });

  it('with its own refresh token revokes the session', async () => {
    const session = await login(t, alice);
    const res = await t.http
      .post('/api/auth/logout')
      .set(session.auth)
      .send({ refreshToken: session.refreshToken });
    expect(res.status).toBe(200);
    expectError(await me(session), 401, 'UNAUTHORIZED');
    expectError(await refresh(session), 401, 'UNAUTHORIZED');
  });

  it("leaves the user's other sessions signed in", async () => {
    const leaving = await login(t, alice);
    const staying = await login(t, alice);
    await t.http.post('/api/auth/logout').set(leaving.auth);
    expect((await me(staying)).status).toBe(200);
    expect((await refresh(staying)).status).toBe(200);
  });

  it("with the refresh token of the same user's other session revokes that one too", async () => {
    const phone = await login(t, alice);
    const laptop = await login(t, alice);
    const res = await t.http
      .post('/api/auth/logout')
      .set(phone.auth)
      .send({ refreshToken: laptop.refreshToken });
    expect(res.status).toBe(200);
    expectError(await me(phone), 401, 'UNAUTHORIZED');
    expectError(await me(laptop), 401, 'UNAUTHORIZED');
    expectError(await refresh(laptop), 401, 'UNAUTHORIZED');
  });

  it("with another user's refresh token does not revoke theirs", async () => {
    const mine = await login(t, alice);
    const theirs = await login(t, bob);
    const res = await t.http
      .post('/api/auth/logout')
      .set(mine.auth)
      .send({ refreshToken: theirs.refreshToken });
    expect(res.status).toBe(200);
    expectError(await me(mine), 401, 'UNAUTHORIZED');
    expect((await me(theirs)).status).toBe(200);
    expect((await refresh(theirs)).status).toBe(200);
  });

  it('with an unknown refresh token still logs the caller out', async () => {
    const session = await login(t, alice);
    const res = await t.http
      .post('/api/auth/logout')
      .set(session.auth)
      .send({ refreshToken: 'not-a-real-refresh-token' });
    expect(res.status).toBe(200);
    expectError(await me(session), 401, 'UNAUTHORIZED');
  });

  it('with an unknown body key gets 400 and the session stays', async () => {
    const session = await login(t, alice);
    const res = await t.http.post('/api/auth/logout').set(session.auth).send({ everywhere: true });
    expectError(res, 400, 'VALIDATION_ERROR');
    expect((await me(session)).status).toBe(200);
  });

  it('without an access token gets 401', async () => {
    const session = await login(t, alice);
    const res = await t.http.post('/api/auth/logout').send({ refreshToken: session.refreshToken });
    expectError(res, 401, 'UNAUTHORIZED');
    // A refused logout revoked nothing.
    expect((await me(session)).status).toBe(200);
    expect((await refresh(session)).status).toBe(200);
  });

  it('twice with the same token: the second gets 401', async () => {
    const session = await login(t, alice);
    expect((await t.http.post('/api/auth/logout').set(session.auth)).status).toBe(200);
    expectError(await t.http.post('/api/auth/logout').set(session.auth), 401, 'UNAUTHORIZED');
  });

  it('the user can log in again afterwards', async () => {
    const session = await login(t, alice);
    await t.http.post('/api/auth/logout').set(session.auth);
    const again = await login(t, alice);
    expect((await me(again)).status).toBe(200);
  });
});
