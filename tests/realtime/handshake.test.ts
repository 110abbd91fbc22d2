import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTokenSigner } from '../../src/modules/auth/tokens.js';
import { TEST_JWT_SECRET, startTestApp, type TestApp } from '../helpers/app.js';
import { createUser, login, type TestUser } from '../helpers/factories.js';
import { connectError, connectErrorWith, socketPool } from '../helpers/sockets.js';
import { roundTrip } from './support.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
const sockets = socketPool();

beforeAll(async () => {
  t = await startTestApp();
  alice = await createUser(t);
  bob = await createUser(t);
});
afterEach(() => sockets.closeAll());
afterAll(async () => {
  await t?.stop();
});

/** The same token with its payload changed (here: claiming to be another user), signature kept. */
function tamper(token: string, claims: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  const decoded = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
  const forged = Buffer.from(JSON.stringify({ ...decoded, ...claims })).toString('base64url');
  return `${header}.${forged}.${signature}`;
}

function expectRefused(err: Error & { data?: { code?: string } }, message: RegExp): void {
  expect(err.message).toMatch(message);
  expect(err.data).toMatchObject({ code: 'UNAUTHORIZED' });
}

describe('socket handshake: accepted', () => {
  it('with the access token as auth.token the socket connects and answers events', async () => {
    const s = await sockets.connect(t.url, alice.accessToken);
    expect(s.socket.connected).toBe(true);
    await roundTrip(s);
  });

  it('with an Authorization: Bearer header over polling the socket connects', async () => {
    const s = await sockets.connect(t.url, undefined, {
      transports: ['polling'],
      extraHeaders: { Authorization: `Bearer ${alice.accessToken}` },
    });
    expect(s.socket.connected).toBe(true);
    await roundTrip(s);
  });

  it('with an Authorization: Bearer header over websocket the socket connects', async () => {
    const s = await sockets.connect(t.url, undefined, {
      extraHeaders: { Authorization: `Bearer ${alice.accessToken}` },
    });
    expect(s.socket.connected).toBe(true);
    await roundTrip(s);
  });

  it('receives online-users right after connecting', async () => {
    const s = await sockets.connect(t.url, alice.accessToken);
    expect(Array.isArray(await s.waitFor('online-users'))).toBe(true);
  });
});

describe('socket handshake: refused with connect_error UNAUTHORIZED', () => {
  it('without any token, saying a token is required', async () => {
    expectRefused(await connectError(t.url, undefined), /token|auth/i);
  });

  it('with an empty auth.token', async () => {
    expectRefused(await connectError(t.url, ''), /token|auth/i);
  });

  it('with a garbage token', async () => {
    expectRefused(await connectError(t.url, 'not-a-jwt'), /invalid token/i);
  });

  it('with a garbage Bearer header over polling', async () => {
    const err = await connectErrorWith(t.url, undefined, {
      transports: ['polling'],
      extraHeaders: { Authorization: 'Bearer garbage.token.here' },
    });
    expectRefused(err, /invalid token/i);
  });

  it('with a token whose payload was changed to another user', async () => {
    expectRefused(
      await connectError(t.url, tamper(alice.accessToken, { sub: bob.id })),
      /invalid/i,
    );
  });

  it('with a token whose expiry was pushed into the future without re-signing', async () => {
    const forged = tamper(alice.accessToken, { exp: Math.floor(Date.now() / 1000) + 86_400 });
    expectRefused(await connectError(t.url, forged), /invalid/i);
  });

  it('with the access token of a session that was logged out', async () => {
    const session = await login(t, alice);
    expect((await t.http.post('/api/auth/logout').set(session.auth)).status).toBe(200);
    expectRefused(await connectError(t.url, session.accessToken), /revoked|expired/i);
  });

  it('with a refresh token in place of the access token', async () => {
    expectRefused(await connectError(t.url, alice.refreshToken), /invalid/i);
  });
});

describe('socket handshake: expired access token', () => {
  it('is refused with UNAUTHORIZED and a message saying it expired', async () => {
    // Signed like the server's own tokens, for a live session, but with an expiry a minute ago.
    const session = await login(t, alice);
    const { token } = await createTokenSigner(TEST_JWT_SECRET, -60_000).signAccess({
      userId: alice.id,
      sessionId: decodeJwt(session.accessToken).sid as string,
    });
    expectRefused(await connectError(t.url, token), /expired/i);
    // The same session's live token connects: only the expiry was wrong.
    const live = await sockets.connect(t.url, session.accessToken);
    expect(live.socket.connected).toBe(true);
  });
});

describe('a connected socket whose session ends', () => {
  it('is disconnected by the server when its session logs out over REST', async () => {
    const session = await login(t, alice);
    const s = await sockets.connect(t.url, session.accessToken);
    const res = await t.http.post('/api/auth/logout').set(session.auth);
    expect(res.status).toBe(200);
    expect(await s.disconnected()).toBe('io server disconnect');
  });

  it("keeps the same user's sockets of other sessions connected when one session logs out", async () => {
    const leaving = await login(t, alice);
    const staying = await login(t, alice);
    const gone = await sockets.connect(t.url, leaving.accessToken);
    const kept = await sockets.connect(t.url, staying.accessToken);
    await t.http.post('/api/auth/logout').set(leaving.auth);
    await gone.disconnected();
    await roundTrip(kept);
    expect(kept.socket.connected).toBe(true);
  });

  it('disconnects every socket of a session when a rotated refresh token is reused', async () => {
    const session = await login(t, alice);
    const other = await login(t, alice);
    const first = await sockets.connect(t.url, session.accessToken);
    const second = await sockets.connect(t.url, session.accessToken);
    const bystander = await sockets.connect(t.url, other.accessToken);
    const rotated = await t.http
      .post('/api/auth/refresh')
      .send({ refreshToken: session.refreshToken });
    expect(rotated.status).toBe(200);
    // The rotation itself is normal use: the sockets stay.
    await roundTrip(first);
    expect(first.socket.connected).toBe(true);

    const reuse = await t.http
      .post('/api/auth/refresh')
      .send({ refreshToken: session.refreshToken });
    expect(reuse.status).toBe(401);
    expect(await first.disconnected()).toBe('io server disconnect');
    expect(await second.disconnected()).toBe('io server disconnect');
    await roundTrip(bystander);
    expect(bystander.socket.connected).toBe(true);
    // The new pair belonged to the revoked session too.
    expectRefused(await connectError(t.url, rotated.body.data.accessToken), /revoked|expired/i);
  });
});
