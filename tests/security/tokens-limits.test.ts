import { request as httpRequest } from 'node:http';
import { SignJWT, decodeJwt, exportSPKI, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createRoom, type TestUser } from '../helpers/factories.js';
import { connectErrorWith, connectRecorded, emitAck, connectSocket } from '../helpers/sockets.js';
import { itLeaksNoSecrets, signToken, watchSecrets, type SecretWatch } from './support.js';

/**
 * Token attacks on a few routes and on the Socket.io handshake (tests/auth covers /auth/me in
 * depth), and the size limits that can be tested in-process: the JSON body limit, the socket frame
 * limit, Node's header limit, and a malformed multipart header.
 */
const FRAME_LIMIT = 2048;

let t: TestApp;
let watch: SecretWatch;
let alice: TestUser;
let bob: TestUser;
let roomId: string;

beforeAll(async () => {
  t = await startTestApp({ env: { SOCKET_MAX_PAYLOAD_BYTES: String(FRAME_LIMIT) } });
  watch = watchSecrets(t);
  alice = await watch.user(t);
  bob = await watch.user(t);
  roomId = (await createRoom(t, alice, { members: [bob] })).id;
});
afterAll(async () => {
  await t?.stop();
});

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Each attack: a token that must never authenticate. */
async function attackTokens(): Promise<[string, string][]> {
  const claims = decodeJwt(alice.accessToken);
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const publicPem = await exportSPKI(publicKey);
  const withClaims = (header: Record<string, string>) =>
    new SignJWT(claims as Record<string, unknown>).setProtectedHeader(header as { alg: string });
  return [
    ['alg none', `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`],
    [
      'alg None, signature kept',
      `${b64url({ alg: 'None' })}.${b64url(claims)}.${alice.accessToken.split('.')[2]}`,
    ],
    ['RS256 with a generated key pair', await withClaims({ alg: 'RS256' }).sign(privateKey)],
    [
      'HS256 keyed with an RSA public key (HS/RS confusion)',
      await withClaims({ alg: 'HS256' }).sign(new TextEncoder().encode(publicPem)),
    ],
    [
      'the wrong secret',
      await signToken(alice, { secret: 'not-the-server-secret-0123456789-abcdef' }),
    ],
    ['expired', await signToken(alice, { exp: Math.floor(Date.now() / 1000) - 5 })],
    ['a refresh token as access token', alice.refreshToken],
    ['a typ refresh JWT', await signToken(alice, { claims: { typ: 'refresh' } })],
    ['garbage', 'not.a.token'],
  ];
}

describe('token attacks', () => {
  it('a valid token works on every probe (control)', async () => {
    expect((await t.http.get('/api/v1/rooms').set(alice.auth)).status).toBe(200);
    const sent = await t.http
      .post('/api/v1/messages')
      .set(alice.auth)
      .send({ room: roomId, content: 'control' });
    expect(sent.status).toBe(201);
    (await connectSocket(t.url, alice.accessToken)).close();
  });

  it('every forged, foreign or stale token gets 401 UNAUTHORIZED on REST', async () => {
    const results: Record<string, number[]> = {};
    for (const [name, token] of await attackTokens()) {
      const list = await t.http.get('/api/v1/rooms').set(bearer(token));
      const send = await t.http
        .post('/api/v1/messages')
        .set(bearer(token))
        .send({ room: roomId, content: 'forged' });
      const profile = await t.http
        .put('/api/v1/users/profile')
        .set(bearer(token))
        .send({ bio: 'x' });
      for (const res of [list, send, profile])
        expect(res.body.error?.code, name).toBe('UNAUTHORIZED');
      results[name] = [list.status, send.status, profile.status];
    }
    for (const statuses of Object.values(results)) expect(statuses).toEqual([401, 401, 401]);
  });

  it('every one of them is refused at the socket handshake, as auth.token or as a header', async () => {
    for (const [name, token] of await attackTokens()) {
      const viaAuth = await connectErrorWith(t.url, token);
      const viaHeader = await connectErrorWith(t.url, undefined, {
        extraHeaders: { Authorization: `Bearer ${token}` },
      });
      expect([viaAuth.data?.code, viaHeader.data?.code], name).toEqual([
        'UNAUTHORIZED',
        'UNAUTHORIZED',
      ]);
    }
  });

  it('none of the attacks posted anything', async () => {
    const res = await t.http.get(`/api/v1/messages?room=${roomId}`).set(alice.auth);
    expect(res.body.data.map((m: { content: string }) => m.content)).toEqual(['control']);
  });
});

describe('size limits', () => {
  it('a JSON body over JSON_BODY_LIMIT (100 kB) gets 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await t.http
      .post('/api/v1/messages')
      .set(alice.auth)
      .send({ room: roomId, content: 'x'.repeat(150_000) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('a socket frame over SOCKET_MAX_PAYLOAD_BYTES closes that client only', async () => {
    const big = await connectRecorded(t.url, alice.accessToken);
    const other = await connectSocket(t.url, bob.accessToken);
    try {
      big.socket.emit('send-message', { room: roomId, content: 'y'.repeat(FRAME_LIMIT * 4) });
      expect(await big.disconnected()).toMatch(/transport (close|error)/);
      const ack = await emitAck(other, 'send-message', { room: roomId, content: 'still here' });
      expect(ack.success).toBe(true);
      expect(other.connected).toBe(true);
    } finally {
      big.close();
      other.close();
    }
  });

  it('a request with a 100 kB header gets 431 from Node', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${t.url}/health`, {
        headers: { 'X-Padding': 'p'.repeat(100 * 1024) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(431);
    expect((await t.http.get('/health')).status).toBe(200);
  });

  // Was a 500 (busboy's "Malformed part header" fell through src/http/multipart.ts); fixed there.
  it('a multipart body with a malformed part header gets 400, not 500', async () => {
    const statuses: number[] = [];
    for (const filename of ['nul\u0000.txt', 'ctl\u0001.txt', 'long'.repeat(5000)]) {
      const res = await t.http
        .post('/api/v1/files/upload')
        .set(alice.auth)
        .field('room', roomId)
        .attach('file', Buffer.from('hello'), { filename });
      statuses.push(res.status);
    }
    const avatar = await t.http
      .post('/api/v1/users/avatar')
      .set(alice.auth)
      .attach('avatar', Buffer.from('x'), { filename: 'a\u0000.png' });
    statuses.push(avatar.status);
    expect(statuses).toEqual([400, 400, 400, 400]);
  });
});

itLeaksNoSecrets(() => watch);
