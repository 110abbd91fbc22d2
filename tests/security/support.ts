import { createHash, randomBytes } from 'node:crypto';
import { count } from 'drizzle-orm';
import type { Express } from 'express';
import { SignJWT, decodeJwt, type JWTPayload } from 'jose';
import { expect, it } from 'vitest';
import { users } from '../../src/db/schema/index.js';
import { ERROR_STATUS } from '../../src/errors.js';
import { insertSession } from '../../src/modules/auth/auth.repo.js';
import { TEST_JWT_SECRET, type TestApp } from '../helpers/app.js';
import { appLayers } from '../helpers/app-layers.js';
import { createUser, login, type TestUser } from '../helpers/factories.js';

// ---- Crafted tokens -------------------------------------------------------------------------------

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Signs an access token the way the server does, with any claim, key or algorithm changed. */
export async function signToken(
  user: Pick<TestUser, 'id' | 'accessToken'>,
  overrides: { claims?: JWTPayload; secret?: string; exp?: number } = {},
): Promise<string> {
  const iat = nowSeconds();
  return new SignJWT({ sid: decodeJwt(user.accessToken).sid, typ: 'access', ...overrides.claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.id)
    .setIssuer('chat-backend')
    .setAudience('chat-api')
    .setIssuedAt(iat - 3600)
    .setExpirationTime(overrides.exp ?? iat + 600)
    .sign(new TextEncoder().encode(overrides.secret ?? TEST_JWT_SECRET));
}

/** A new session of the user, straight in the database: no password hashing, so it is cheap. */
export async function quickSession(t: TestApp, userId: string): Promise<string> {
  const session = await insertSession(t.ctx.db, {
    userId,
    expiresAt: new Date(Date.now() + 3_600_000),
  });
  return (await t.ctx.signer.signAccess({ userId, sessionId: session.id })).token;
}

/** The token with one character in the middle of its signature changed. */
export function tamper(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const flipped = signature[10] === 'A' ? 'B' : 'A';
  return `${header}.${payload}.${signature.slice(0, 10)}${flipped}${signature.slice(11)}`;
}

// ---- Secrets: every HTTP response body and every Socket.io packet the server sends -----------------

export interface SecretWatch {
  /** A user whose password is distinctive enough to search for in every response. */
  user(t: TestApp): Promise<TestUser>;
  /** Registers a plaintext password to search for. */
  password(password: string): void;
  /** Every response body and packet seen so far. */
  bodies(): readonly string[];
  /** How many response bodies and packets were seen so far. */
  seen(): number;
  /** Every secret found, as `what: where` strings (empty when nothing leaked). */
  leaks(): string[];
}

function collectRefreshTokens(value: unknown, into: Set<string>, depth = 0): void {
  if (depth > 20 || typeof value !== 'object' || value === null) return;
  for (const [key, v] of Object.entries(value)) {
    if (key === 'refreshToken' && typeof v === 'string') into.add(v);
    else collectRefreshTokens(v, into, depth + 1);
  }
}

/**
 * Records what the server sends: HTTP bodies (wrapping res.write/res.end ahead of Express and
 * Socket.io) and engine.io packets. Refresh tokens issued in them are remembered so that their
 * sha256 (the stored token hash) can be searched for.
 */
export function watchSecrets(t: TestApp): SecretWatch {
  const bodies: string[] = [];
  const passwords = new Set<string>();
  t.server.prependListener('request', (_req, res) => {
    const chunks: Buffer[] = [];
    const keep = (chunk: unknown, encoding?: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const enc = typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8';
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), enc));
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    res.write = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      return write(...args);
    }) as typeof res.write;
    res.end = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      return end(...args);
    }) as typeof res.end;
  });
  t.io.engine.on(
    'connection',
    (socket: { on(e: string, f: (p: { data?: unknown }) => void): void }) => {
      socket.on('packetCreate', (packet) => {
        if (typeof packet.data === 'string') bodies.push(packet.data);
      });
    },
  );

  return {
    async user(app) {
      const password = `Pw-${randomBytes(9).toString('base64url')}-secret`;
      passwords.add(password);
      return createUser(app, { password });
    },
    password(password) {
      passwords.add(password);
    },
    bodies: () => bodies,
    seen: () => bodies.length,
    leaks: () => findSecrets(bodies, passwords),
  };
}

/**
 * Searches bodies for `$argon2`, the given plaintext passwords, and the sha256 hex (the stored hash)
 * of every refresh token that any of the bodies handed out.
 */
export function findSecrets(bodies: readonly string[], passwords: Iterable<string>): string[] {
  const tokens = new Set<string>();
  for (const body of bodies) {
    try {
      collectRefreshTokens(JSON.parse(body), tokens);
    } catch {
      // not JSON (socket frames, files): searched as text below
    }
  }
  const needles: [string, string][] = [['$argon2', 'a password hash']];
  for (const p of passwords) needles.push([p, 'a plaintext password']);
  for (const token of tokens)
    needles.push([createHash('sha256').update(token).digest('hex'), 'a refresh token hash']);
  const found: string[] = [];
  for (const body of bodies)
    for (const [needle, what] of needles)
      if (body.includes(needle)) found.push(`${what}: ${body.slice(0, 200)}`);
  return found;
}

/** The last test of every security file: nothing it made the server send carried a secret. */
export function itLeaksNoSecrets(watch: () => SecretWatch): void {
  it('no response body or socket packet in this file carried a password, hash or token hash', () => {
    expect(watch().seen()).toBeGreaterThan(0);
    expect(watch().leaks()).toEqual([]);
  });
}

// ---- Data that hostile input must leave alone -----------------------------------------------------

/**
 * Snapshots what must survive a fuzzing run: the number of users, a known message's content, and
 * Object.prototype (the server runs in this process, so a pollution would show here).
 */
export async function snapshotIntegrity(
  t: TestApp,
  keeper: TestUser,
  message: { id: string; room: string; content: string },
): Promise<(newUsers: number) => Promise<void>> {
  const countUsers = async () => (await t.ctx.db.select({ n: count() }).from(users))[0]!.n;
  const before = await countUsers();
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
  return async (newUsers) => {
    expect((await t.http.get('/health')).status).toBe(200);
    expect(await countUsers()).toBe(before + newUsers);
    const res = await t.http
      .get(`/api/v1/messages?room=${message.room}&limit=100`)
      .set(keeper.auth);
    expect(res.status).toBe(200);
    const stored = (res.body.data as { id: string; content: string }[]).find(
      (m) => m.id === message.id,
    );
    expect(stored?.content).toBe(message.content);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
  };
}

// ---- The cast of the access-control matrix --------------------------------------------------------

export const CALLERS = [
  'none',
  'expired',
  'tampered',
  'revoked',
  'stranger',
  'member',
  'admin',
  'owner',
  'deleted',
] as const;
export type Caller = (typeof CALLERS)[number];
export const TOKEN_CALLERS = ['none', 'expired', 'tampered', 'revoked'] as const;
export type SignedCaller = Exclude<Caller, (typeof TOKEN_CALLERS)[number]>;

/** Signed-in users by role in every fixture room, and the tokens of the callers without a session. */
export interface Cast {
  owner: TestUser;
  admin: TestUser;
  member: TestUser;
  /** A second plain member: the target of role changes and removals. */
  other: TestUser;
  stranger: TestUser;
  /** Never in a fixture room: the one invited by `POST /rooms/:id/members`. */
  guest: TestUser;
  /** The bearer token each caller sends (undefined: no header). */
  tokens: Record<Caller, string | undefined>;
  /** The user behind each signed-in caller (`deleted` is the owner of a deleted room). */
  users: Record<SignedCaller, TestUser>;
}

export async function buildCast(t: TestApp, watch: SecretWatch): Promise<Cast> {
  const [owner, admin, member, other, stranger, guest] = [
    await watch.user(t),
    await watch.user(t),
    await watch.user(t),
    await watch.user(t),
    await watch.user(t),
    await watch.user(t),
  ];
  const revoked = await login(t, owner);
  const out = await t.http.post('/api/v1/auth/logout').set(revoked.auth);
  if (out.status !== 200) throw new Error(`logout failed: ${out.status}`);
  const users = { stranger, member, admin, owner, deleted: owner };
  return {
    owner,
    admin,
    member,
    other,
    stranger,
    guest,
    users,
    tokens: {
      none: undefined,
      expired: await signToken(owner, { exp: nowSeconds() - 60 }),
      tampered: tamper(owner.accessToken),
      revoked: revoked.accessToken,
      stranger: stranger.accessToken,
      member: member.accessToken,
      admin: admin.accessToken,
      owner: owner.accessToken,
      deleted: owner.accessToken,
    },
  };
}

/** True when an error body's code is the one SPEC.md pairs with the status. */
export function codeMatchesStatus(res: { status: number; body: unknown }): boolean {
  if (res.status < 400) return true;
  const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code;
  return ERROR_STATUS[code as keyof typeof ERROR_STATUS] === res.status;
}

// ---- The app's real routes ------------------------------------------------------------------------

/**
 * Every route the Express app serves, as `METHOD /path`, found by walking the router stacks. The
 * layers that are not routes are checked against the allow-list of tests/helpers/app-layers.ts.
 */
export function listRoutes(app: Express): string[] {
  return appLayers(app).routes;
}
