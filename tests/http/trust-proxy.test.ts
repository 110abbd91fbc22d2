import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createUser, expectError, type TestUser } from '../helpers/factories.js';

/**
 * Behind a proxy the client address comes from X-Forwarded-For, whose left part the client writes
 * (issue 16, item 4). The tests play one nginx hop on this machine: supertest's connection comes from
 * 127.0.0.1 (the proxy), and each request carries what nginx forwards, `$proxy_add_x_forwarded_for`:
 * whatever X-Forwarded-For the client sent, then the address nginx saw the client connect from.
 */
const ATTACKER = '198.51.100.7';
const OTHER_CLIENT = '198.51.100.8';
const METRICS_TOKEN = 'metrics-token-for-the-proxy-tests';

/** What nginx forwards for a client at `address` that sent `forged` as its own X-Forwarded-For. */
const throughNginx = (address: string, forged?: string) =>
  forged ? `${forged}, ${address}` : address;

const randomAddress = () => `203.0.113.${randomInt(1, 255)}`;

const apps: TestApp[] = [];
let base: TestApp;
let alice: TestUser;

async function app(env: Record<string, string>): Promise<TestApp> {
  const t = await startTestApp({ env, testDb: base.testDb });
  apps.push(t);
  return t;
}

beforeAll(async () => {
  base = await startTestApp();
  alice = await createUser(base);
});
afterAll(async () => {
  for (const t of apps) await t.stop();
  await base?.stop();
});

describe('TRUST_PROXY', () => {
  it('TRUST_PROXY=true (trust every proxy) stops the start with an error naming TRUST_PROXY', async () => {
    const started = startTestApp({ env: { TRUST_PROXY: 'true' }, testDb: base.testDb });
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(started).rejects.toThrow(/TRUST_PROXY/);
  });
});

describe('login rate limit behind one proxy hop (TRUST_PROXY=1, AUTH_RATE_LIMIT_MAX=3)', () => {
  const failedLogin = (t: TestApp, forwardedFor: string) =>
    t.http
      .post('/api/auth/login')
      .set('X-Forwarded-For', forwardedFor)
      .send({ username: alice.username, password: 'wrong one' });

  it('an attacker rotating the X-Forwarded-For it sends is still limited after 3 failures', async () => {
    const t = await app({ TRUST_PROXY: '1', AUTH_RATE_LIMIT_MAX: '3' });
    for (let i = 1; i <= 3; i += 1)
      expectError(
        await failedLogin(t, throughNginx(ATTACKER, randomAddress())),
        401,
        'UNAUTHORIZED',
      );
    for (const forged of [randomAddress(), `${randomAddress()}, ${randomAddress()}`, '127.0.0.1'])
      expectError(await failedLogin(t, throughNginx(ATTACKER, forged)), 429, 'RATE_LIMITED');
  });

  it('the limit is per client as nginx saw it: another client behind the same proxy is not limited', async () => {
    const t = await app({ TRUST_PROXY: '1', AUTH_RATE_LIMIT_MAX: '3' });
    for (let i = 1; i <= 4; i += 1) await failedLogin(t, throughNginx(ATTACKER));
    expectError(await failedLogin(t, throughNginx(ATTACKER)), 429, 'RATE_LIMITED');
    expectError(await failedLogin(t, throughNginx(OTHER_CLIENT)), 401, 'UNAUTHORIZED');
  });

  it('a list of proxy addresses works the same way', async () => {
    const t = await app({ TRUST_PROXY: '127.0.0.1, ::1', AUTH_RATE_LIMIT_MAX: '3' });
    for (let i = 1; i <= 3; i += 1) await failedLogin(t, throughNginx(ATTACKER, randomAddress()));
    expectError(await failedLogin(t, throughNginx(ATTACKER, randomAddress())), 429, 'RATE_LIMITED');
  });
});

describe('/metrics with a proxy configured', () => {
  it('is refused without METRICS_TOKEN, even to a request that claims to come from 127.0.0.1', async () => {
    const t = await app({ TRUST_PROXY: '1' });
    for (const forwardedFor of ['127.0.0.1', '127.0.0.1, 127.0.0.1', '::1']) {
      const res = await t.http.get('/metrics').set('X-Forwarded-For', forwardedFor);
      expectError(res, 403, 'FORBIDDEN');
      expect(res.body.error.message).toMatch(/METRICS_TOKEN/);
    }
    // The proxy's own connection (loopback, no header) proves nothing about who is behind it either.
    expectError(await t.http.get('/metrics'), 403, 'FORBIDDEN');
  });

  it('answers with METRICS_TOKEN, and only with the right one', async () => {
    const t = await app({ TRUST_PROXY: '1', METRICS_TOKEN });
    const ok = await t.http
      .get('/metrics')
      .set('X-Forwarded-For', '127.0.0.1')
      .set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('http_request_duration_seconds');
    for (const authorization of [`Bearer ${METRICS_TOKEN}x`, `Bearer ${METRICS_TOKEN.slice(1)}`]) {
      const res = await t.http
        .get('/metrics')
        .set('X-Forwarded-For', '127.0.0.1')
        .set('Authorization', authorization);
      expectError(res, 401, 'UNAUTHORIZED');
    }
  });

  it('without a proxy, a loopback caller is answered without a token (control)', async () => {
    expect((await base.http.get('/metrics')).status).toBe(200);
  });
});
