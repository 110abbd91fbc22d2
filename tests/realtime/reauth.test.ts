import { requireOrSkip, skipUnless } from '../helpers/skips.js';
import { eq, sql } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../src/db/schema/index.js';
import type { ChatSocket } from '../../src/realtime/socket-events.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createRoom, createUser, login, type TestUser } from '../helpers/factories.js';
import {
  killRedisClients,
  privateRedisAvailable,
  startPrivateRedis,
  type PrivateRedis,
} from '../helpers/private-services.js';
import { socketPool, type RecordedSocket } from '../helpers/sockets.js';
import { signToken } from '../security/support.js';

/**
 * Issue 16, item 1: a socket lives as long as its access token and its session. `reauth` with a
 * fresh token of the same session extends it; otherwise the server sends `auth-expired { reason }`
 * and disconnects it, and refuses its events from the moment the token expired.
 */
const sockets = socketPool();
afterEach(() => sockets.closeAll());

const sessionOf = (token: string) => decodeJwt(token).sid as string;
/** When the token expires, in ms since the epoch. */
const expiryOf = (token: string) => (decodeJwt(token).exp as number) * 1000;

/** The server's side of a client socket on this node. */
function serverSocket(t: TestApp, s: RecordedSocket): ChatSocket {
  const found = t.io.of('/').sockets.get(s.socket.id!);
  if (!found) throw new Error('no such socket on this node');
  return found as unknown as ChatSocket;
}

/** Waits for `auth-expired`, then for the disconnect, and checks that they came in that order. */
async function expectExpired(s: RecordedSocket, reason: string): Promise<void> {
  expect(await s.waitFor('auth-expired')).toEqual({ reason });
  expect(await s.disconnected()).toBe('io server disconnect');
  expect(s.received.at(-1)?.event).toBe('auth-expired');
}

describe('a socket whose access token expires (JWT_EXPIRES_IN 2s)', () => {
  let short: TestApp;
  beforeAll(async () => {
    short = await startTestApp({ env: { JWT_EXPIRES_IN: '2s' } });
  });
  afterAll(async () => {
    await short?.stop();
  });

  it('gets auth-expired token-expired and is disconnected once the token expires, as REST refuses it', async () => {
    const user = await createUser(short);
    const s = await sockets.connect(short.url, user.accessToken);
    expect((await s.ack('user-status', { status: 'online' })).success).toBe(true);
    await expectExpired(s, 'token-expired');
    expect(Date.now()).toBeGreaterThanOrEqual(expiryOf(user.accessToken));
    expect((await short.http.get('/api/auth/me').set(user.auth)).status).toBe(401);
  });
});

describe('reauth and the end of a socket', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    t = await startTestApp({ env: { PRESENCE_GRACE_MS: '0' } });
    alice = await createUser(t);
    bob = await createUser(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** An access token of the session that expires in about `seconds` (at a whole second). */
  const shortToken = (user: TestUser, token: string, seconds: number) =>
    signToken(
      { id: user.id, accessToken: token },
      { exp: Math.floor(Date.now() / 1000) + seconds },
    );

  it('an event sent after the token expired, before the server ended the socket, is refused UNAUTHORIZED', async () => {
    const room = await createRoom(t, alice, { type: 'private' });
    const s = await sockets.connect(t.url, alice.accessToken);
    // The token "expires" now while the timer that ends the socket is still set for later.
    serverSocket(t, s).data.tokenExpiresAt = Date.now() - 1;
    const send = await s.ack('send-message', { room: room.id, content: 'after expiry' });
    expect(send).toMatchObject({ success: false, error: { code: 'UNAUTHORIZED' } });
    const sync = await s.ack('sync', { rooms: [{ room: room.id, after: 0 }] });
    expect(sync.error?.code).toBe('UNAUTHORIZED');
    const reauth = await s.ack('reauth', { token: alice.accessToken });
    expect(reauth.error?.code).toBe('UNAUTHORIZED');
    const history = await t.http.get(`/api/messages?room=${room.id}&after=0`).set(alice.auth);
    expect(history.status).toBe(200);
    expect(history.body.data.map((m: { content?: string }) => m.content)).not.toContain(
      'after expiry',
    );
  });

  it('reauth with a fresh token of the same session extends the socket past the old expiry', async () => {
    const session = await login(t, alice);
    const old = await shortToken(alice, session.accessToken, 3);
    const renewed = await sockets.connect(t.url, old);
    const control = await sockets.connect(t.url, old);
    const refreshed = await t.http
      .post('/api/auth/refresh')
      .send({ refreshToken: session.refreshToken });
    expect(refreshed.status).toBe(200);
    const fresh = refreshed.body.data.accessToken as string;
    expect(sessionOf(fresh)).toBe(sessionOf(old));

    const reply = await renewed.ack<{ expiresAt: string }>('reauth', { token: fresh });
    expect(reply.success).toBe(true);
    expect(Date.parse(reply.data!.expiresAt)).toBe(expiryOf(fresh));

    // The socket that did not reauth ends at the old expiry; the other lives on.
    await expectExpired(control, 'token-expired');
    expect(Date.now()).toBeGreaterThanOrEqual(expiryOf(old));
    expect((await renewed.ack('user-status', { status: 'online' })).success).toBe(true);
    expect(renewed.socket.connected).toBe(true);
    expect(renewed.payloads('auth-expired')).toEqual([]);
  });

  it("reauth with another user's or another session's token is refused and the old expiry stays", async () => {
    const session = await login(t, alice);
    const otherSession = await login(t, alice);
    const old = await shortToken(alice, session.accessToken, 3);
    const s = await sockets.connect(t.url, old);

    const foreign = await s.ack('reauth', { token: bob.accessToken });
    expect(foreign).toMatchObject({ success: false, error: { code: 'UNAUTHORIZED' } });
    const sibling = await s.ack('reauth', { token: otherSession.accessToken });
    expect(sibling).toMatchObject({ success: false, error: { code: 'UNAUTHORIZED' } });
    const garbage = await s.ack('reauth', { token: 'not-a-token' });
    expect(garbage.error?.code).toBe('UNAUTHORIZED');

    await expectExpired(s, 'token-expired');
    expect(Date.now()).toBeGreaterThanOrEqual(expiryOf(old));
  });

  it('logout sends auth-expired session-revoked to the sockets of that session, then disconnects them', async () => {
    const leaving = await login(t, alice);
    const staying = await login(t, alice);
    const gone = await sockets.connect(t.url, leaving.accessToken);
    const kept = await sockets.connect(t.url, staying.accessToken);
    const res = await t.http.post('/api/auth/logout').set(leaving.auth);
    expect(res.status).toBe(200);
    await expectExpired(gone, 'session-revoked');
    expect((await kept.ack('user-status', { status: 'online' })).success).toBe(true);
    expect(kept.payloads('auth-expired')).toEqual([]);
  });

  it('a session that expires before its token ends the socket with session-expired', async () => {
    const session = await login(t, alice);
    await t.ctx.db
      .update(sessions)
      .set({ expiresAt: sql`now() + interval '1500 milliseconds'` })
      .where(eq(sessions.id, sessionOf(session.accessToken)));
    const s = await sockets.connect(t.url, session.accessToken);
    await expectExpired(s, 'session-expired');
  });
});

/** Kills the pub/sub connections of every node on the private Redis; ioredis reconnects them. */
const killSubscribers = (redis: PrivateRedis) => killRedisClients(redis.url, 'pubsub');

const twoNodes = skipUnless(requireOrSkip(privateRedisAvailable, 'redis-server'));

describe.skipIf(twoNodes.skip)(
  twoNodes.title('sessions across two nodes (a private Redis)'),
  () => {
    let redis: PrivateRedis;
    let testDb: TestDatabase;
    let nodeA: TestApp;
    let nodeB: TestApp;
    let carol: TestUser;
    beforeAll(async () => {
      redis = await startPrivateRedis();
      const env = { REDIS_URL: redis.url, REDIS_PREFIX: 'reauth:', PRESENCE_GRACE_MS: '0' };
      testDb = await createTestDatabase();
      nodeA = await startTestApp({ env, testDb });
      nodeB = await startTestApp({ env, testDb });
      carol = await createUser(nodeA);
    });
    afterAll(async () => {
      sockets.closeAll();
      await nodeA?.stop();
      await nodeB?.stop();
      await testDb?.drop();
      await redis?.destroy();
    });

    it('a logout through node A ends the session’s socket on node B with auth-expired', async () => {
      const session = await login(nodeA, carol);
      const s = await sockets.connect(nodeB.url, session.accessToken);
      const res = await nodeA.http.post('/api/auth/logout').set(session.auth);
      expect(res.status).toBe(200);
      await expectExpired(s, 'session-revoked');
    });

    it('sessions revoked or expired in the database while node B was cut off from Redis end its sockets when it reconnects', async () => {
      const [revoked, expired, live] = [
        await login(nodeA, carol),
        await login(nodeA, carol),
        await login(nodeA, carol),
      ];
      const onRevoked = await sockets.connect(nodeB.url, revoked.accessToken);
      const onExpired = await sockets.connect(nodeB.url, expired.accessToken);
      const onLive = await sockets.connect(nodeB.url, live.accessToken);

      // Straight in the database: no disconnectSession is published to any node. Then node B's
      // subscriber is cut, as if the revocation had been published while it was down.
      await nodeA.ctx.db
        .update(sessions)
        .set({ revokedAt: new Date() })
        .where(eq(sessions.id, sessionOf(revoked.accessToken)));
      await nodeA.ctx.db
        .update(sessions)
        .set({ expiresAt: sql`now() - interval '1 second'` })
        .where(eq(sessions.id, sessionOf(expired.accessToken)));
      expect((await onRevoked.ack('user-status', { status: 'online' })).success).toBe(true);
      await killSubscribers(redis);

      await expectExpired(onRevoked, 'session-revoked');
      await expectExpired(onExpired, 'session-expired');
      expect((await onLive.ack('user-status', { status: 'online' })).success).toBe(true);
      expect(onLive.payloads('auth-expired')).toEqual([]);
    });
  },
);
