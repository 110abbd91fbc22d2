import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SignJWT } from 'jose';
import { unauthorized } from '../../errors.js';

const ISSUER = 'chat-backend';
const AUDIENCE = 'chat-api';

export interface AccessClaims {
  userId: string;
  sessionId: string;
}

/** A verified access token: its claims and when it expires (its `exp`). */
export interface VerifiedAccess extends AccessClaims {
  expiresAt: Date;
}

export interface TokenSigner {
  signAccess(claims: AccessClaims): Promise<{ token: string; expiresAt: Date }>;
  verifyAccess(token: string): Promise<VerifiedAccess>;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function decodeJson(part: string): Record<string, unknown> | undefined {
  if (!BASE64URL.test(part)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A compact JWS signed with HMAC-SHA256 under `key`: its payload, or UNAUTHORIZED. Checked with
 * node:crypto synchronously (every REST request and socket handshake verifies one; jose's WebCrypto
 * path cost an async job each). Only `alg: HS256` passes, so `none` and RS/HS confusion fail; a
 * `crit` header is refused, as RFC 7515 requires of extensions we do not understand; the signature is
 * compared in constant time and must be canonical base64url.
 */
export function verifyHs256(token: string, key: Uint8Array): Record<string, unknown> {
  const invalid = () => unauthorized('Invalid token');
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid();
  const [h, p, s] = parts as [string, string, string];
  const header = decodeJson(h);
  if (!header || header.alg !== 'HS256' || header.crit !== undefined) throw invalid();
  if (!BASE64URL.test(s)) throw invalid();
  const expected = createHmac('sha256', key).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || given.toString('base64url') !== s) throw invalid();
  if (!timingSafeEqual(given, expected)) throw invalid();
  const payload = decodeJson(p);
  if (!payload) throw invalid();
  return payload;
}

/** HS256 access tokens; only HS256 is accepted on verify, so `alg: none` and RS/HS confusion fail. */
export function createTokenSigner(secret: string, accessTtlMs: number): TokenSigner {
  const key = new TextEncoder().encode(secret);
  return {
    async signAccess({ userId, sessionId }) {
      const now = Date.now();
      const expiresAt = new Date(now + accessTtlMs);
      const token = await new SignJWT({ sid: sessionId, typ: 'access' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(Math.floor(now / 1000))
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(key);
      return { token, expiresAt };
    },
    async verifyAccess(token) {
      const payload = verifyHs256(token, key);
      if (
        payload.typ !== 'access' ||
        typeof payload.sub !== 'string' ||
        typeof payload.sid !== 'string' ||
        typeof payload.exp !== 'number' ||
        payload.iss !== ISSUER ||
        payload.aud !== AUDIENCE ||
        (payload.nbf !== undefined && typeof payload.nbf !== 'number') ||
        (payload.iat !== undefined && typeof payload.iat !== 'number')
      ) {
        throw unauthorized('Invalid token');
      }
      const now = Math.floor(Date.now() / 1000);
      if (typeof payload.nbf === 'number' && payload.nbf > now) throw unauthorized('Invalid token');
      if (payload.exp <= now) throw unauthorized('Token expired');
      return {
        userId: payload.sub,
        sessionId: payload.sid,
        expiresAt: new Date(payload.exp * 1000),
      };
    },
  };
}

/** An opaque refresh token: 256 random bits. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Refresh tokens carry full entropy, so a fast hash is enough to make a stolen table useless. */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
