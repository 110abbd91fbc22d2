import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createUser, expectError, type TestUser } from '../helpers/factories.js';

/**
 * Users are made on `base` (generous limits); each test gets its own app with RATE_LIMIT_MAX=5 on the
 * same database, so that registering does not use up the limit under test.
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
  const app = await startTestApp({ env: { RATE_LIMIT_MAX: '5' }, testDb: base.testDb });
  limited.push(app);
  return app;
}

describe('general API rate limit (RATE_LIMIT_MAX=5)', () => {
  it('the 6th request to /api/auth/me gets 429 RATE_LIMITED with Retry-After', async () => {
    const app = await limitedApp();
    for (let i = 1; i <= 5; i += 1) {
      expect((await app.http.get('/api/auth/me').set(alice.auth)).status, `request ${i}`).toBe(200);
    }
    const res = await app.http.get('/api/auth/me').set(alice.auth);
    expectError(res, 429, 'RATE_LIMITED');
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('/api and /api/v1 share one budget', async () => {
    const app = await limitedApp();
    for (let i = 1; i <= 3; i += 1) await app.http.get('/api/auth/me').set(alice.auth);
    for (let i = 1; i <= 2; i += 1) await app.http.get('/api/v1/auth/me').set(alice.auth);
    expectError(await app.http.get('/api/v1/auth/me').set(alice.auth), 429, 'RATE_LIMITED');
  });

  it('failed requests count as well', async () => {
    const app = await limitedApp();
    for (let i = 1; i <= 5; i += 1) {
      expectError(await app.http.get('/api/auth/me'), 401, 'UNAUTHORIZED');
    }
    expectError(await app.http.get('/api/auth/me').set(alice.auth), 429, 'RATE_LIMITED');
  });

  it('an X-Forwarded-For header does not get around the limit (TRUST_PROXY is off)', async () => {
    const app = await limitedApp();
    for (let i = 1; i <= 5; i += 1) await app.http.get('/api/auth/me').set(alice.auth);
    const res = await app.http
      .get('/api/auth/me')
      .set(alice.auth)
      .set('X-Forwarded-For', '198.51.100.23');
    expectError(res, 429, 'RATE_LIMITED');
  });
});
