import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createUser, type TestUser } from '../helpers/factories.js';

let t: TestApp;
let alice: TestUser;
beforeAll(async () => {
  t = await startTestApp({
    env: { FRONTEND_URL: 'http://good.example, http://also-good.example/' },
  });
  alice = await createUser(t);
});
afterAll(async () => {
  await t?.stop();
});

describe('the versioned base path and its alias', () => {
  it('/api/v1/... and /api/... answer the same', async () => {
    const v1 = await t.http.get('/api/v1/auth/me').set(alice.auth);
    const alias = await t.http.get('/api/auth/me').set(alice.auth);
    expect(v1.status).toBe(200);
    expect(alias.status).toBe(200);
    expect(v1.body).toEqual(alias.body);
  });

  it('login works through /api/v1 as well', async () => {
    const res = await t.http
      .post('/api/v1/auth/login')
      .send({ email: alice.email, password: alice.password });
    expect(res.status).toBe(200);
    expect(res.body.data.user.id).toBe(alice.id);
  });

  it('users routes work through /api/v1 with a query string', async () => {
    const res = await t.http.get('/api/v1/users/search?q=zzz').set(alice.auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, data: [] });
  });
});

describe('headers on every response', () => {
  const requests: [string, (app: TestApp) => PromiseLike<{ headers: Record<string, string> }>][] = [
    ['GET /health', (app) => app.http.get('/health')],
    ['GET /api/auth/me (200)', (app) => app.http.get('/api/auth/me').set(alice.auth)],
    ['GET /api/auth/me without token (401)', (app) => app.http.get('/api/auth/me')],
    [
      'POST /api/auth/login with bad input (400)',
      (app) => app.http.post('/api/auth/login').send({}),
    ],
    ['GET /nope (404)', (app) => app.http.get('/nope')],
    ['GET /api/v1/nope (404)', (app) => app.http.get('/api/v1/nope')],
    [
      'OPTIONS preflight',
      (app) =>
        app.http
          .options('/api/auth/login')
          .set('Origin', 'http://good.example')
          .set('Access-Control-Request-Method', 'POST'),
    ],
  ];

  it.each(requests)(
    '%s has X-Content-Type-Options: nosniff and no X-Powered-By',
    async (_l, send) => {
      const res = await send(t);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers).not.toHaveProperty('x-powered-by');
    },
  );

  it('Socket.io polling responses (handshake and a poll) have nosniff too', async () => {
    const open = await t.http.get('/socket.io/?EIO=4&transport=polling');
    expect(open.status).toBe(200);
    expect(open.headers['x-content-type-options']).toBe('nosniff');
    const sid = /"sid":"([^"]+)"/.exec(open.text)?.[1];
    expect(sid).toBeTruthy();
    const post = await t.http
      .post(`/socket.io/?EIO=4&transport=polling&sid=${sid}`)
      .set('Content-Type', 'text/plain')
      .send('40');
    expect(post.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each(requests)('%s has an X-Request-Id', async (_l, send) => {
    const res = await send(t);
    expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  });
});

describe('X-Request-Id', () => {
  it('a sane incoming id is echoed back', async () => {
    const res = await t.http.get('/api/auth/me').set(alice.auth).set('X-Request-Id', 'req-abc.123');
    expect(res.headers['x-request-id']).toBe('req-abc.123');
  });

  it('is echoed on error responses too', async () => {
    const res = await t.http.get('/nope').set('X-Request-Id', 'trace-404');
    expect(res.status).toBe(404);
    expect(res.headers['x-request-id']).toBe('trace-404');
  });

  it('a fresh id is made when none is sent, different per request', async () => {
    const a = await t.http.get('/health');
    const b = await t.http.get('/health');
    expect(a.headers['x-request-id']).toEqual(expect.any(String));
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });

  it('an unsafe incoming id is replaced, not echoed', async () => {
    const res = await t.http.get('/health').set('X-Request-Id', 'x'.repeat(300));
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
    expect(res.headers['x-request-id']).not.toBe('x'.repeat(300));
    const odd = await t.http.get('/health').set('X-Request-Id', '<script>');
    expect(odd.headers['x-request-id']).not.toBe('<script>');
  });
});

describe('CORS (FRONTEND_URL=http://good.example, http://also-good.example/)', () => {
  it('an allowed origin gets Access-Control-Allow-Origin for itself', async () => {
    const res = await t.http
      .get('/api/auth/me')
      .set(alice.auth)
      .set('Origin', 'http://good.example');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('http://good.example');
  });

  it('a listed origin with a trailing slash in FRONTEND_URL is allowed', async () => {
    const res = await t.http.get('/health').set('Origin', 'http://also-good.example');
    expect(res.headers['access-control-allow-origin']).toBe('http://also-good.example');
  });

  it('another origin gets no Access-Control-Allow-Origin', async () => {
    const res = await t.http
      .get('/api/auth/me')
      .set(alice.auth)
      .set('Origin', 'http://evil.example');
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
  });

  it('a look-alike origin is not allowed', async () => {
    for (const origin of [
      'http://good.example.evil.example',
      'https://good.example',
      'http://good.examplex',
    ]) {
      const res = await t.http.get('/health').set('Origin', origin);
      expect(res.headers, origin).not.toHaveProperty('access-control-allow-origin');
    }
  });

  it('a preflight from an allowed origin is answered with the allowed methods and headers', async () => {
    const res = await t.http
      .options('/api/users/profile')
      .set('Origin', 'http://good.example')
      .set('Access-Control-Request-Method', 'PUT')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(res.status).toBeLessThan(300);
    expect(res.headers['access-control-allow-origin']).toBe('http://good.example');
    expect(res.headers['access-control-allow-methods']).toMatch(/PUT/);
  });

  it('a preflight from another origin gets no Access-Control-Allow-Origin', async () => {
    const res = await t.http
      .options('/api/users/profile')
      .set('Origin', 'http://evil.example')
      .set('Access-Control-Request-Method', 'PUT');
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
  });

  it('Retry-After and X-Request-Id are exposed to browser scripts', async () => {
    const res = await t.http.get('/health').set('Origin', 'http://good.example');
    const exposed = String(res.headers['access-control-expose-headers']).toLowerCase();
    expect(exposed).toContain('retry-after');
    expect(exposed).toContain('x-request-id');
  });
});
