import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { TestApp } from './app.js';

export interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  /** `{ Authorization: 'Bearer …' }` for supertest's `.set()`. */
  auth: { Authorization: string };
}

let counter = 0;

/** Registers a fresh user through the API and returns its credentials. */
export async function createUser(
  t: TestApp,
  overrides: Partial<{ username: string; email: string; password: string }> = {},
): Promise<TestUser> {
  counter += 1;
  const suffix = `${counter}${randomBytes(3).toString('hex')}`;
  const username = overrides.username ?? `user_${suffix}`;
  const email = overrides.email ?? `${username.toLowerCase()}@example.com`;
  const password = overrides.password ?? 'correct horse battery';
  const res = await t.http.post('/api/auth/register').send({ username, email, password });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  const { user, accessToken, refreshToken } = res.body.data;
  return {
    id: user.id,
    username,
    email,
    password,
    accessToken,
    refreshToken,
    auth: { Authorization: `Bearer ${accessToken}` },
  };
}

export interface TestSession {
  accessToken: string;
  refreshToken: string;
  auth: { Authorization: string };
}

/** `{ Authorization: 'Bearer <token>' }` for supertest's `.set()`. */
export function bearer(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}

/** Logs in again (a new session of the same user) by username or email. */
export async function login(
  t: TestApp,
  user: Pick<TestUser, 'username' | 'password'>,
): Promise<TestSession> {
  const res = await t.http
    .post('/api/auth/login')
    .send({ username: user.username, password: user.password });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  const { accessToken, refreshToken } = res.body.data;
  return { accessToken, refreshToken, auth: bearer(accessToken) };
}

/** Sets a user's profile fields through the API. */
export async function updateProfile(
  t: TestApp,
  user: Pick<TestUser, 'auth'>,
  patch: { displayName?: string | null; bio?: string | null },
): Promise<void> {
  const res = await t.http.put('/api/users/profile').set(user.auth).send(patch);
  if (res.status !== 200) throw new Error(`profile update failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Asserts the SPEC.md error shape: `{ success: false, error: { code, message } }` with that status. */
export function expectError(
  res: { status: number; body: unknown },
  status: number,
  code: string,
): void {
  expect({ status: res.status, body: res.body }).toMatchObject({
    status,
    body: { success: false, error: { code, message: expect.any(String) } },
  });
}

const SECRET_KEYS = ['password', 'passwordHash', 'password_hash', 'tokenHash', 'token_hash'];

/** Asserts that no password, password hash or token hash (nor the given password) appears in a body. */
export function expectNoSecrets(body: unknown, password?: string): void {
  const json = JSON.stringify(body);
  for (const key of SECRET_KEYS) expect(json).not.toContain(`"${key}"`);
  expect(json).not.toContain('$argon2');
  if (password) expect(json).not.toContain(password);
}
