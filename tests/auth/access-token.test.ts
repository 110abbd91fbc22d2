import { eq } from 'drizzle-orm';
import { SignJWT, decodeJwt, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../src/db/schema/index.js';
import { TEST_JWT_SECRET, startTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createUser, expectError, type TestUser } from '../helpers/factories.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
/** The session id inside alice's access token, so crafted tokens name a live session. */
let aliceSid: string;

beforeAll(async () => {
  t = await startTestApp();
  alice = await createUser(t);
  bob = await createUser(t);
  aliceSid = decodeJwt(alice.accessToken).sid as string;
});
afterAll(async () => {
  await t?.stop();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Signs a token like the server does, with any claim or the key or algorithm changed. */
async function craft(
  overrides: {
    claims?: JWTPayload;
    secret?: string;
    alg?: string;
    iss?: string;
    aud?: string;
    exp?: number;
    sub?: string;
  } = {},
): Promise<string> {
  const iat = nowSeconds();
  return new SignJWT({ sid: aliceSid, typ: 'access', ...overrides.claims })
    .setProtectedHeader({ alg: overrides.alg ?? 'HS256', typ: 'JWT' })
    .setSubject(overrides.sub ?? alice.id)
    .setIssuer(overrides.iss ?? 'chat-backend')
    .setAudience(overrides.aud ?? 'chat-api')
    .setIssuedAt(iat - 60)
    .setExpirationTime(overrides.exp ?? iat + 600)
    .sign(new TextEncoder().encode(overrides.secret ?? TEST_JWT_SECRET));
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function me(token: string) {
  return t.http.get('/api/auth/me').set(bearer(token));
}

describe('access tokens', () => {
  it('a token crafted with the server secret and a live session is accepted (control)', async () => {
    const res = await me(await craft());
    expect(res.status).toBe(200);
    expect(res.body.data.id).toBe(alice.id);
  });

  it('an issued access token lives for JWT_EXPIRES_IN, 15 minutes by default', async () => {
    const res = await t.http
      .post('/api/auth/login')
      .send({ username: alice.username, password: alice.password });
    const { iat, exp } = decodeJwt(res.body.data.accessToken);
    expect(exp! - iat!).toBe(15 * 60);
  });

  it('a token with one character of its signature changed gets 401', async () => {
    const [header, payload, signature] = alice.accessToken.split('.') as [string, string, string];
    // Change a character in the middle: the last one may only carry padding bits.
    const i = 10;
    const flipped = signature[i] === 'A' ? 'B' : 'A';
    const tampered = `${header}.${payload}.${signature.slice(0, i)}${flipped}${signature.slice(i + 1)}`;
    expectError(await me(tampered), 401, 'UNAUTHORIZED');
  });

  it('a token whose payload names another user, with the original signature, gets 401', async () => {
    const [header, payload, signature] = alice.accessToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as JWTPayload;
    const forged = `${header}.${b64url({ ...claims, sub: bob.id })}.${signature}`;
    expectError(await me(forged), 401, 'UNAUTHORIZED');
  });

  it('a token with its signature removed gets 401', async () => {
    const [header, payload] = alice.accessToken.split('.') as [string, string, string];
    expectError(await me(`${header}.${payload}.`), 401, 'UNAUTHORIZED');
  });

  it('an expired token gets 401', async () => {
    const expired = await craft({ exp: nowSeconds() - 30 });
    expectError(await me(expired), 401, 'UNAUTHORIZED');
  });

  it('an unsigned token (alg: none) gets 401', async () => {
    const claims = decodeJwt(alice.accessToken);
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    expectError(await me(unsigned), 401, 'UNAUTHORIZED');
  });

  it('a token signed with another secret gets 401', async () => {
    const token = await craft({ secret: 'some-other-secret-that-is-long-enough-987654' });
    expectError(await me(token), 401, 'UNAUTHORIZED');
  });

  it('a token signed with the right secret but HS512 gets 401', async () => {
    expectError(await me(await craft({ alg: 'HS512' })), 401, 'UNAUTHORIZED');
  });

  it('a token from another issuer gets 401', async () => {
    expectError(await me(await craft({ iss: 'someone-else' })), 401, 'UNAUTHORIZED');
  });

  it('a token for another audience gets 401', async () => {
    expectError(await me(await craft({ aud: 'other-api' })), 401, 'UNAUTHORIZED');
  });

  it('a signed token of type refresh gets 401', async () => {
    const token = await craft({ claims: { typ: 'refresh' } });
    expectError(await me(token), 401, 'UNAUTHORIZED');
  });

  it('a signed token without a session id gets 401', async () => {
    const token = await craft({ claims: { sid: undefined } });
    expectError(await me(token), 401, 'UNAUTHORIZED');
  });

  it("a signed token pairing another user with alice's session gets 401", async () => {
    expectError(await me(await craft({ sub: bob.id })), 401, 'UNAUTHORIZED');
  });

  it('a refresh token used as an access token gets 401', async () => {
    expectError(await me(alice.refreshToken), 401, 'UNAUTHORIZED');
  });

  it('an access token sent as a refresh token gets 401', async () => {
    const res = await t.http.post('/api/auth/refresh').send({ refreshToken: alice.accessToken });
    expectError(res, 401, 'UNAUTHORIZED');
  });

  it('none of the refused tokens disturbed the real session', async () => {
    expect((await me(alice.accessToken)).status).toBe(200);
  });
});

describe('a deleted user', () => {
  it('has the access token refused with 401', async () => {
    const carol = await createUser(t);
    expect((await me(carol.accessToken)).status).toBe(200);
    await t.ctx.db.delete(users).where(eq(users.id, carol.id));
    expectError(await me(carol.accessToken), 401, 'UNAUTHORIZED');
  });

  it('has the refresh token refused with 401', async () => {
    const dave = await createUser(t);
    await t.ctx.db.delete(users).where(eq(users.id, dave.id));
    const res = await t.http.post('/api/auth/refresh').send({ refreshToken: dave.refreshToken });
    expectError(res, 401, 'UNAUTHORIZED');
  });

  it('cannot log in any more', async () => {
    const erin = await createUser(t);
    await t.ctx.db.delete(users).where(eq(users.id, erin.id));
    const res = await t.http
      .post('/api/auth/login')
      .send({ username: erin.username, password: erin.password });
    expectError(res, 401, 'UNAUTHORIZED');
  });
});
