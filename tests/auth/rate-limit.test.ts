import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createUser, expectError, type TestUser } from '../helpers/factories.js';

/**
 * Users are made on `base` (generous limits); each test gets its own app with AUTH_RATE_LIMIT_MAX=3
 * on the same database, so its limiter starts from zero.
 */
let base: TestApp;
let alice: TestUser;
const limited: TestApp[] = [];

beforeAll(async () => {
  base = await startTestApp();
  alice = await createUser(base);
});
afterAll(async () => {
  for (const app of limited) await app.stop();
  await base?.stop();
});

async function limitedApp(): Promise<TestApp> {
  const app = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '3' }, testDb: base.testDb });
  limited.push(app);
  return app;
}

function failedLogin(app: TestApp) {
  return app.http.post('/api/auth/login').send({ username: alice.username, password: 'wrong one' });
}

function goodLogin(app: TestApp) {
  return app.http
    .post('/api/auth/login')
    .send({ username: alice.username, password: alice.password });
}

describe('auth rate limit (AUTH_RATE_LIMIT_MAX=3)', () => {
  it('the 4th failed login from one IP gets 429 RATE_LIMITED with Retry-After', async () => {
    const app = await limitedApp();
    for (let i = 1; i <= 3; i += 1) {
      expectError(await failedLogin(app), 401, 'UNAUTHORIZED');
    }
    const res = await failedLogin(app);
    expectError(res, 429, 'RATE_LIMITED');
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('successful logins do not count toward the limit', async () => {
    const app = await limitedApp();
    expectError(await failedLogin(app), 401, 'UNAUTHORIZED');
    expectError(await failedLogin(app), 401, 'UNAUTHORIZED');
    for (let i = 0; i < 5; i += 1) {
      expect((await goodLogin(app)).status, `good login ${i + 1}`).toBe(200);
    }
    // Two failures so far: the third is still answered normally, the fourth is limited.
    expectError(await failedLogin(app), 401, 'UNAUTHORIZED');
    expectError(await failedLogin(app), 429, 'RATE_LIMITED');
  });

  it('an X-Forwarded-For header does not get around the limit (TRUST_PROXY is off)', async () => {
    const app = await limitedApp();
    for (let i = 1; i <= 3; i += 1) await failedLogin(app);
    const res = await app.http
      .post('/api/auth/login')
      .set('X-Forwarded-For', '203.0.113.7')
      .send({ username: alice.username, password: 'wrong one' });
    expectError(res, 429, 'RATE_LIMITED');
  });

  it('the limit on login does not apply to authenticated routes', async () => {
    const app = await limitedApp();
    for (let i = 1; i <= 4; i += 1) await failedLogin(app);
    const res = await app.http.get('/api/auth/me').set(alice.auth);
    expect(res.status).toBe(200);
  });
});
