import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createUser, expectError, type TestUser } from '../helpers/factories.js';

function expectIsoTimestamp(value: unknown): void {
  expect(value).toEqual(expect.any(String));
  expect(new Date(value as string).toISOString()).toBe(value);
}

describe('GET /health with the database up', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers 200 with exactly success, message, timestamp, environment and database', async () => {
    const res = await t.http.get('/health');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      success: true,
      message: 'Server is healthy',
      timestamp: expect.any(String),
      environment: 'test',
      database: 'connected',
    });
    expectIsoTimestamp(res.body.timestamp);
  });

  it('needs no token and ignores a bad one', async () => {
    const res = await t.http.get('/health').set('Authorization', 'Bearer garbage');
    expect(res.status).toBe(200);
  });

  it('is not served under /api', async () => {
    expectError(await t.http.get('/api/health'), 404, 'NOT_FOUND');
  });
});

describe('GET /health with the database closed', () => {
  // An app of its own: closing its database must not disturb other tests. stop() still drops it;
  // closing twice is harmless on both drivers.
  let t: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    t = await startTestApp();
    alice = await createUser(t);
    await t.testDb.database.close();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("answers 503 with database: 'disconnected'", async () => {
    const res = await t.http.get('/health');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({
      success: false,
      database: 'disconnected',
      environment: 'test',
      message: expect.any(String),
    });
    expectIsoTimestamp(res.body.timestamp);
  });

  // Drizzle wraps driver errors (cause chain); toAppError must still see a closed database as 503.
  it('a request that needs the database gets 503 SERVICE_UNAVAILABLE, not 500', async () => {
    const res = await t.http
      .post('/api/auth/login')
      .send({ username: alice.username, password: alice.password });
    expectError(res, 503, 'SERVICE_UNAVAILABLE');
  });

  it('an authenticated request gets 503 SERVICE_UNAVAILABLE, not 401', async () => {
    expectError(await t.http.get('/api/auth/me').set(alice.auth), 503, 'SERVICE_UNAVAILABLE');
  });

  it('a request that needs no database is still answered', async () => {
    expectError(await t.http.get('/nope'), 404, 'NOT_FOUND');
  });
});
