import { createHmac } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenSigner, verifyHs256 } from '../../src/modules/auth/tokens.js';

/**
 * The access-token check is hand-written on node:crypto (it runs on every request); jose, the
 * library it replaced on this path, is the reference: for every token below both must agree on
 * accept or refuse, and the signer must accept exactly the tokens jose accepts with its options.
 */
const SECRET = 'a-secret-that-is-long-enough-for-hs256-0123456789';
const key = new TextEncoder().encode(SECRET);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const sign = (h: string, p: string, k: Uint8Array = key) =>
  `${h}.${p}.${createHmac('sha256', k).update(`${h}.${p}`).digest('base64url')}`;

const now = Math.floor(Date.now() / 1000);
const claims = {
  sid: 's1',
  typ: 'access',
  sub: 'u1',
  iss: 'chat-backend',
  aud: 'chat-api',
  iat: now,
  exp: now + 600,
};
const header = { alg: 'HS256', typ: 'JWT' };
const good = sign(b64(header), b64(claims));
const [gh, gp, gs] = good.split('.') as [string, string, string];

const cases: Record<string, string> = {
  valid: good,
  'tampered payload': `${gh}.${b64({ ...claims, sub: 'u2' })}.${gs}`,
  'alg none': `${b64({ alg: 'none' })}.${gp}.`,
  'alg HS512 header on an HS256 signature': sign(b64({ alg: 'HS512' }), gp),
  'unknown crit header': sign(b64({ ...header, crit: ['x'], x: 1 }), gp),
  'wrong key': sign(gh, gp, new TextEncoder().encode('another-secret-another-secret-0123')),
  'signature with a stray character': `${gh}.${gp}.${gs}*`,
  'two parts': `${gh}.${gp}`,
  'four parts': `${good}.x`,
  'payload not JSON': sign(gh, Buffer.from('not json').toString('base64url')),
  'payload an array': sign(gh, b64([1, 2])),
  expired: sign(gh, b64({ ...claims, exp: now - 1 })),
  'expires now': sign(gh, b64({ ...claims, exp: now })),
  'not before the future': sign(gh, b64({ ...claims, nbf: now + 120 })),
  'another issuer': sign(gh, b64({ ...claims, iss: 'someone-else' })),
  'another audience': sign(gh, b64({ ...claims, aud: 'other' })),
  'header not JSON': sign('bm90LWpzb24', gp),
  empty: '',
};

async function joseAccepts(token: string): Promise<boolean> {
  try {
    await jwtVerify(token, key, {
      algorithms: ['HS256'],
      issuer: 'chat-backend',
      audience: 'chat-api',
    });
    return true;
  } catch {
    return false;
  }
}

function ownAccepts(token: string): boolean {
  try {
    verifyHs256(token, key);
    return true;
  } catch {
    return false;
  }
}

describe('the access-token check (node:crypto) against jose', () => {
  it('refuses a padded signature, which jose tolerates (only canonical base64url is ours)', async () => {
    expect(await joseAccepts(`${good}=`)).toBe(true);
    expect(ownAccepts(`${good}=`)).toBe(false);
  });

  for (const [name, token] of Object.entries(cases)) {
    it(`${name}: both ${name === 'valid' ? 'accept' : 'refuse'}`, async () => {
      const signer = createTokenSigner(SECRET, 60_000);
      const ours = await signer.verifyAccess(token).then(
        () => true,
        () => false,
      );
      expect(ours).toBe(await joseAccepts(token));
      expect(ours).toBe(name === 'valid');
    });
  }

  it('checks the signature alone as jose does, whatever the claims', async () => {
    for (const token of Object.values(cases)) {
      const signatureOnly = await jwtVerify(token, key, { algorithms: ['HS256'] }).then(
        () => true,
        () => false,
      );
      // jose also refuses expired and not-yet-valid tokens here; the raw check leaves claims to the
      // signer, so it may accept those.
      if (signatureOnly) expect(ownAccepts(token)).toBe(true);
    }
    expect(ownAccepts(cases['tampered payload']!)).toBe(false);
  });

  it('accepts what the signer issues, with its claims', async () => {
    const signer = createTokenSigner(SECRET, 60_000);
    const { token, expiresAt } = await signer.signAccess({ userId: 'u9', sessionId: 's9' });
    const verified = await signer.verifyAccess(token);
    // `exp` is in whole seconds.
    expect(verified).toEqual({
      userId: 'u9',
      sessionId: 's9',
      expiresAt: new Date(Math.floor(expiresAt.getTime() / 1000) * 1000),
    });
    const jose = await new SignJWT({ sid: 's9', typ: 'access' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u9')
      .setIssuer('chat-backend')
      .setAudience('chat-api')
      .setExpirationTime('1m')
      .sign(key);
    expect((await signer.verifyAccess(jose)).userId).toBe('u9');
  });
});
