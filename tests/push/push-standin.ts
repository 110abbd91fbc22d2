import {
  createECDH,
  createPublicKey,
  createDecipheriv,
  hkdfSync,
  randomBytes,
  verify,
} from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for a push service (RFC 8030), written from the RFCs, not from the library the
 * server uses: it checks the VAPID authorization (RFC 8292: an ES256 JWT signed by the server's
 * key, for this origin, not expired) and decrypts the payload (RFC 8291 `aes128gcm`) with the
 * subscription's private key, generated here as a browser would. It records what arrived and answers
 * with the statuses it is told to (a queue per subscription; 201 when empty).
 */

export interface Browser {
  /** What `PushSubscription.toJSON()` gives: POST it to /api/push/subscriptions. */
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } };
  /** Decrypted payloads, in arrival order. */
  received: unknown[];
  /** Statuses (and headers) to answer the next requests with. */
  answers: { status: number; headers?: Record<string, string> }[];
  /** Requests refused by the checks (VAPID or decryption), with why. */
  rejected: string[];
  /** Every request, whatever it was answered. */
  requests: number;
}

function hkdf(salt: Buffer, ikm: Buffer, info: Buffer, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

/** RFC 8291 / RFC 8188 decryption of one aes128gcm body for the user agent's keys. */
export function decryptAes128gcm(
  body: Buffer,
  uaEcdh: ReturnType<typeof createECDH>,
  auth: Buffer,
) {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  if (idlen !== 65) throw new Error(`keyid of ${idlen} bytes, want the 65-byte server key`);
  if (ciphertext.length > rs) throw new Error('more than one record');
  const ecdhSecret = uaEcdh.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaEcdh.getPublicKey(), asPublic]);
  const ikm = hkdf(auth, ecdhSecret, keyInfo, 32);
  const cek = hkdf(salt, ikm, Buffer.from('Content-Encoding: aes128gcm\0'), 16);
  const nonce = hkdf(salt, ikm, Buffer.from('Content-Encoding: nonce\0'), 12);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([
    decipher.update(ciphertext.subarray(0, ciphertext.length - 16)),
    decipher.final(),
  ]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  if (padded[end] !== 2) throw new Error('no last-record delimiter');
  return padded.subarray(0, end).toString('utf8');
}

/** Checks `Authorization: vapid t=<jwt>, k=<key>` (RFC 8292) for `origin`; returns the problem. */
export function vapidProblem(
  header: string | undefined,
  origin: string,
  serverKey: string,
): string | undefined {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (!m) return `no vapid authorization: ${header}`;
  const [, jwt, k] = m;
  if (k !== serverKey) return 'k is not the server public key';
  const [h, p, s] = jwt!.split('.');
  const headerJson = JSON.parse(Buffer.from(h!, 'base64url').toString()) as { alg?: string };
  if (headerJson.alg !== 'ES256') return `alg ${headerJson.alg}`;
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as {
    aud?: string;
    exp?: number;
    sub?: string;
  };
  if (claims.aud !== origin) return `aud ${claims.aud}, want ${origin}`;
  const now = Date.now() / 1000;
  if (!claims.exp || claims.exp < now || claims.exp > now + 86_400) return `exp ${claims.exp}`;
  if (!claims.sub || !/^(mailto:|https:)/.test(claims.sub)) return `sub ${claims.sub}`;
  const point = Buffer.from(k!, 'base64url');
  const key = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
  const ok = verify(
    'sha256',
    Buffer.from(`${h}.${p}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(s!, 'base64url'),
  );
  return ok ? undefined : 'bad signature';
}

export interface PushStandIn {
  url: string;
  /** A new browser subscription on this push service. */
  browser(): Browser;
  close(): Promise<void>;
}

export async function startPushStandIn(serverKey: () => string): Promise<PushStandIn> {
  const browsers = new Map<
    string,
    { b: Browser; ecdh: ReturnType<typeof createECDH>; auth: Buffer }
  >();
  let url = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = (req.url ?? '').split('/').pop() ?? '';
      const entry = browsers.get(id);
      if (!entry) {
        res.writeHead(404).end();
        return;
      }
      const { b, ecdh, auth } = entry;
      b.requests += 1;
      const problem =
        (req.method !== 'POST' ? `method ${req.method}` : undefined) ??
        (req.headers['content-encoding'] !== 'aes128gcm'
          ? `content-encoding ${req.headers['content-encoding']}`
          : undefined) ??
        (!req.headers.ttl ? 'no TTL' : undefined) ??
        vapidProblem(req.headers.authorization, url, serverKey());
      if (problem) {
        b.rejected.push(problem);
        res.writeHead(401).end();
        return;
      }
      const answer = b.answers.shift() ?? { status: 201 };
      if (answer.status >= 200 && answer.status < 300) {
        try {
          b.received.push(JSON.parse(decryptAes128gcm(Buffer.concat(chunks), ecdh, auth)));
        } catch (err) {
          b.rejected.push(`decrypt: ${(err as Error).message}`);
          res.writeHead(400).end();
          return;
        }
      }
      res.writeHead(answer.status, answer.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    browser() {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      const id = randomBytes(8).toString('hex');
      const b: Browser = {
        subscription: {
          endpoint: `${url}/push/${id}`,
          keys: {
            p256dh: ecdh.getPublicKey().toString('base64url'),
            auth: auth.toString('base64url'),
          },
        },
        received: [],
        answers: [],
        rejected: [],
        requests: 0,
      };
      browsers.set(id, { b, ecdh, auth });
      return b;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
