import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createUser } from '../helpers/factories.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

describe('register and login', () => {
  it('a new user registers and gets a user with tokens', async () => {
    const res = await t.http
      .post('/api/auth/register')
      .send({ username: 'Alice', email: 'alice@example.com', password: 'password123' });
    expect(res.status).toBe(201);
    expect(res.body.success).toBe(true);
    expect(res.body.data.user).toMatchObject({ username: 'Alice', email: 'alice@example.com' });
    expect(res.body.data.user).not.toHaveProperty('passwordHash');
    expect(typeof res.body.data.accessToken).toBe('string');
    expect(typeof res.body.data.refreshToken).toBe('string');
  });

  it('logs in by username in another letter case, and me returns the user', async () => {
    const u = await createUser(t);
    const login = await t.http
      .post('/api/auth/login')
      .send({ username: u.username.toUpperCase(), password: u.password });
    expect(login.status).toBe(200);
    const me = await t.http
      .get('/api/auth/me')
      .set('Authorization', `Bearer ${login.body.data.accessToken}`);
    expect(me.status).toBe(200);
    expect(me.body.data).toMatchObject({ id: u.id, email: u.email });
  });
});
