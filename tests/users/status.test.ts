import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createUser, expectError, type TestUser } from '../helpers/factories.js';

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

describe('POST /api/users/status', () => {
  it.each(['away', 'busy', 'offline', 'online'] as const)(
    "'%s' is stored and shows on my profile and to others",
    async (status) => {
      const res = await t.http.post('/api/users/status').set(alice.auth).send({ status });
      expect(res.status).toBe(200);
      expect(res.body.success).toBe(true);
      expect(res.body.data).toMatchObject({ id: alice.id, status });

      const own = await t.http.get('/api/users/profile').set(alice.auth);
      expect(own.body.data.status).toBe(status);
      const seen = await t.http.get(`/api/users/${alice.id}`).set(bob.auth);
      expect(seen.body.data.status).toBe(status);
    },
  );

  it("changes only the caller's status", async () => {
    await t.http.post('/api/users/status').set(bob.auth).send({ status: 'online' });
    await t.http.post('/api/users/status').set(alice.auth).send({ status: 'busy' });
    const other = await t.http.get(`/api/users/${bob.id}`).set(alice.auth);
    expect(other.body.data.status).toBe('online');
  });

  describe('an invalid status gets 400 VALIDATION_ERROR and the stored one stays', () => {
    it.each([
      ['an unknown value', { status: 'invisible' }],
      ['a value in another letter case', { status: 'AWAY' }],
      ['an empty string', { status: '' }],
      ['a number', { status: 1 }],
      ['a missing status', {}],
      ['an unknown extra key', { status: 'away', until: '2030-01-01' }],
    ])('%s', async (_label, body) => {
      await t.http.post('/api/users/status').set(alice.auth).send({ status: 'busy' });
      const res = await t.http.post('/api/users/status').set(alice.auth).send(body);
      expectError(res, 400, 'VALIDATION_ERROR');
      const own = await t.http.get('/api/users/profile').set(alice.auth);
      expect(own.body.data.status).toBe('busy');
    });
  });
});
