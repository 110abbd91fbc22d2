import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
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
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: ISSUER,
          audience: AUDIENCE,
        });
        if (
          payload.typ !== 'access' ||
          typeof payload.sub !== 'string' ||
          typeof payload.sid !== 'string' ||
          typeof payload.exp !== 'number'
        ) {
          throw unauthorized('Invalid token');
        }
        return {
          userId: payload.sub,
          sessionId: payload.sid,
          expiresAt: new Date(payload.exp * 1000),
        };
      } catch (err) {
        if (err instanceof joseErrors.JWTExpired) throw unauthorized('Token expired');
        throw unauthorized('Invalid token');
      }
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
