import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  bearer,
  createUser,
  expectError,
  expectNoSecrets,
  login,
  type TestUser,
} from '../helpers/factories.js';

let t: TestApp;
let alice: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  alice = await createUser(t);
});
afterAll(async () => {
  await t?.stop();
});

function refresh(refreshToken: unknown) {
  return t.http.post('/api/auth/refresh').send({ refreshToken });
}

function me(accessToken: string) {
  return t.http.get('/api/auth/me').set(bearer(accessToken));
}

describe('POST /api/auth/refresh', () => {
  it('returns a new token pair for the same user', async () => {
    const session = await login(t, alice);
    const res = await refresh(session.refreshToken);
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.data.user).toMatchObject({ id: alice.id, email: alice.email });
    expect(res.body.data.refreshToken).toEqual(expect.any(String));
    expect(res.body.data.refreshToken).not.toBe(session.refreshToken);
    expect(res.body.data.accessToken).toEqual(expect.any(String));
    expectNoSecrets(res.body, alice.password);
    const check = await me(res.body.data.accessToken);
    expect(check.status).toBe(200);
    expect(check.body.data.id).toBe(alice.id);
  });

  it('the old refresh token stops working once rotated', async () => {
    const session = await login(t, alice);
    expect((await refresh(session.refreshToken)).status).toBe(200);
    expectError(await refresh(session.refreshToken), 401, 'UNAUTHORIZED');
  });

  it('the new refresh token can be rotated again, in a chain', async () => {
    const session = await login(t, alice);
    let token = session.refreshToken;
    for (let i = 0; i < 3; i += 1) {
      const res = await refresh(token);
      expect(res.status, `rotation ${i + 1}`).toBe(200);
      token = res.body.data.refreshToken;
    }
  });

  it('the access token of the session keeps working after a normal rotation', async () => {
    const session = await login(t, alice);
    expect((await refresh(session.refreshToken)).status).toBe(200);
    expect((await me(session.accessToken)).status).toBe(200);
  });

  describe('a rotated refresh token used again', () => {
    it('revokes the session: its access tokens and newest refresh token fail', async () => {
      const session = await login(t, alice);
      const first = await refresh(session.refreshToken);
      const second = await refresh(first.body.data.refreshToken);
      expect(second.status).toBe(200);
      expect((await me(second.body.data.accessToken)).status).toBe(200);

      // The first refresh token was rotated already: presenting it again is reuse.
      expectError(await refresh(session.refreshToken), 401, 'UNAUTHORIZED');

      expectError(await me(session.accessToken), 401, 'UNAUTHORIZED');
      expectError(await me(first.body.data.accessToken), 401, 'UNAUTHORIZED');
      expectError(await me(second.body.data.accessToken), 401, 'UNAUTHORIZED');
      expectError(await refresh(second.body.data.refreshToken), 401, 'UNAUTHORIZED');
    });

    it("leaves the user's other sessions alone", async () => {
      const leaked = await login(t, alice);
      const other = await login(t, alice);
      await refresh(leaked.refreshToken);
      await refresh(leaked.refreshToken); // reuse
      expect((await me(other.accessToken)).status).toBe(200);
      expect((await refresh(other.refreshToken)).status).toBe(200);
    });

    it("leaves other users' sessions alone", async () => {
      const bob = await createUser(t);
      const leaked = await login(t, alice);
      await refresh(leaked.refreshToken);
      await refresh(leaked.refreshToken); // reuse
      expect((await me(bob.accessToken)).status).toBe(200);
      expect((await refresh(bob.refreshToken)).status).toBe(200);
    });
  });

  describe('two refreshes with the same token at once', () => {
    // The rotation is one conditional UPDATE, so exactly one of them wins. The loser presents a
    // token that is rotated by then: that is reuse, and SPEC.md revokes the session for it (a
    // client that raced itself signs in again; a thief racing the owner gets nothing that lasts).
    it('one gets a new pair, the other 401, and the session (with the new pair) is revoked', async () => {
      const session = await login(t, alice);
      const other = await login(t, alice);
      const answers = await Promise.all([
        refresh(session.refreshToken),
        refresh(session.refreshToken),
      ]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
      const winner = answers.find((r) => r.status === 200)!;
      const loser = answers.find((r) => r.status === 401)!;
      expectError(loser, 401, 'UNAUTHORIZED');
      expect(winner.body.data.refreshToken).not.toBe(session.refreshToken);

      expectError(await me(winner.body.data.accessToken), 401, 'UNAUTHORIZED');
      expectError(await refresh(winner.body.data.refreshToken), 401, 'UNAUTHORIZED');
      expectError(await me(session.accessToken), 401, 'UNAUTHORIZED');
      // Only that session: the user's other one goes on.
      expect((await me(other.accessToken)).status).toBe(200);
    });
  });

  it('a garbage refresh token gets 401 UNAUTHORIZED', async () => {
    expectError(await refresh('definitely-not-a-refresh-token'), 401, 'UNAUTHORIZED');
  });

  it('the refresh token of a logged-out session gets 401', async () => {
    const session = await login(t, alice);
    expect((await t.http.post('/api/auth/logout').set(session.auth)).status).toBe(200);
    expectError(await refresh(session.refreshToken), 401, 'UNAUTHORIZED');
  });

  it('a missing body gets 400 VALIDATION_ERROR', async () => {
    expectError(await t.http.post('/api/auth/refresh'), 400, 'VALIDATION_ERROR');
  });

  it('an empty object gets 400 VALIDATION_ERROR', async () => {
    expectError(await t.http.post('/api/auth/refresh').send({}), 400, 'VALIDATION_ERROR');
  });

  it('an empty or non-string token gets 400 VALIDATION_ERROR', async () => {
    expectError(await refresh(''), 400, 'VALIDATION_ERROR');
    expectError(await refresh(12345), 400, 'VALIDATION_ERROR');
  });

  it('an unknown extra key gets 400 VALIDATION_ERROR', async () => {
    const session = await login(t, alice);
    const res = await t.http
      .post('/api/auth/refresh')
      .send({ refreshToken: session.refreshToken, userId: alice.id });
    expectError(res, 400, 'VALIDATION_ERROR');
    // A refused request did not consume the token.
    expect((await refresh(session.refreshToken)).status).toBe(200);
  });

  it('works while the client still sends a stale access token', async () => {
    const session = await login(t, alice);
    const res = await t.http
      .post('/api/auth/refresh')
      .set('Authorization', 'Bearer garbage')
      .send({ refreshToken: session.refreshToken });
    expect(res.status).toBe(200);
  });
});
