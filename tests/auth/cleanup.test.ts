import { eq, inArray, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshTokens, sessions } from '../../src/db/schema/index.js';
import { cleanupAuth } from '../../src/modules/auth/auth.cleanup.js';
import { CLEANUP_LOCK_ID } from '../../src/modules/auth/auth.repo.js';
import { hashRefreshToken } from '../../src/modules/auth/tokens.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { onlyIn, skipUnless } from '../helpers/skips.js';
import { sleep } from '../helpers/sockets.js';
import {
  bearer,
  createUser,
  expectError,
  login,
  type TestSession,
  type TestUser,
} from '../helpers/factories.js';

let t: TestApp;
let alice: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  alice = await createUser(t);
});
afterAll(async () => {
  await t?.stop();
});

/** The session id an access token names (its `sid` claim). */
function sessionOf(session: Pick<TestSession, 'accessToken'>): string {
  const payload = JSON.parse(
    Buffer.from(session.accessToken.split('.')[1]!, 'base64url').toString(),
  ) as { sid: string };
  return payload.sid;
}

async function sessionExists(id: string): Promise<boolean> {
  const rows = await t.ctx.db.select().from(sessions).where(eq(sessions.id, id));
  return rows.length === 1;
}

async function tokenExists(refreshToken: string): Promise<boolean> {
  const rows = await t.ctx.db
    .select()
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, hashRefreshToken(refreshToken)));
  return rows.length === 1;
}

async function tokensOfSession(id: string): Promise<number> {
  const rows = await t.ctx.db.select().from(refreshTokens).where(eq(refreshTokens.sessionId, id));
  return rows.length;
}

/** Moves a session's expiry into the past, as if its lifetime had run out `ago` ago. */
async function expireSession(id: string, ago = '1 day'): Promise<void> {
  await t.ctx.db
    .update(sessions)
    .set({ expiresAt: sql`now() - ${ago}::interval` })
    .where(eq(sessions.id, id));
}

function refresh(refreshToken: string) {
  return t.http.post('/api/auth/refresh').send({ refreshToken });
}

function me(accessToken: string) {
  return t.http.get('/api/auth/me').set(bearer(accessToken));
}

describe('auth clean-up', () => {
  it('deletes an expired session with its refresh tokens and keeps a live one working', async () => {
    const live = await login(t, alice);
    const expired = await login(t, alice);
    await expireSession(sessionOf(expired));

    const result = await cleanupAuth(t.ctx.db);
    expect(result.skipped).toBe(false);
    expect(result.sessions).toBeGreaterThanOrEqual(1);

    expect(await sessionExists(sessionOf(expired))).toBe(false);
    expect(await tokensOfSession(sessionOf(expired))).toBe(0);
    expect(await sessionExists(sessionOf(live))).toBe(true);
    expect(await tokenExists(live.refreshToken)).toBe(true);
    expect((await me(live.accessToken)).status).toBe(200);
    expectError(await refresh(expired.refreshToken), 401, 'UNAUTHORIZED');
  });

  it('keeps a session that expired only a moment ago, for requests still using it', async () => {
    const justExpired = await login(t, alice);
    await expireSession(sessionOf(justExpired), '1 second');
    await cleanupAuth(t.ctx.db);
    expect(await sessionExists(sessionOf(justExpired))).toBe(true);
  });

  it('deletes a session revoked over a week ago and keeps one revoked just now', async () => {
    const recent = await login(t, alice);
    const old = await login(t, alice);
    for (const s of [recent, old]) {
      expect((await t.http.post('/api/auth/logout').set(s.auth).send({})).status).toBe(200);
    }
    await t.ctx.db
      .update(sessions)
      .set({ revokedAt: sql`now() - interval '8 days'` })
      .where(eq(sessions.id, sessionOf(old)));

    await cleanupAuth(t.ctx.db);

    expect(await sessionExists(sessionOf(old))).toBe(false);
    expect(await tokensOfSession(sessionOf(old))).toBe(0);
    expect(await sessionExists(sessionOf(recent))).toBe(true);
  });

  it('deletes rotated refresh tokens past their expiry; the live token still refreshes and reuse is still caught', async () => {
    const session = await login(t, alice);
    const first = session.refreshToken;
    const second = (await refresh(first)).body.data.refreshToken as string;
    const third = (await refresh(second)).body.data.refreshToken as string;
    await t.ctx.db
      .update(refreshTokens)
      .set({ expiresAt: sql`now() - interval '1 day'` })
      .where(eq(refreshTokens.tokenHash, hashRefreshToken(first)));

    const result = await cleanupAuth(t.ctx.db);
    expect(result.refreshTokens).toBeGreaterThanOrEqual(1);

    expect(await tokenExists(first)).toBe(false);
    expect(await tokenExists(second)).toBe(true);
    expect(await tokenExists(third)).toBe(true);
    expect(await sessionExists(sessionOf(session))).toBe(true);

    const rotated = await refresh(third);
    expect(rotated.status).toBe(200);
    expect((await me(rotated.body.data.accessToken)).status).toBe(200);

    // `second` was rotated and has not expired: presenting it again still revokes the session.
    expectError(await refresh(second), 401, 'UNAUTHORIZED');
    expectError(await refresh(rotated.body.data.refreshToken), 401, 'UNAUTHORIZED');
  });

  it('two runs at once delete each dead session once, in batches, without errors', async () => {
    const dead = await Promise.all(Array.from({ length: 5 }, () => login(t, alice)));
    const ids = dead.map(sessionOf);
    await t.ctx.db
      .update(sessions)
      .set({ expiresAt: sql`now() - interval '1 day'` })
      .where(inArray(sessions.id, ids));

    const runs = await Promise.all([
      cleanupAuth(t.ctx.db, { batchSize: 2 }),
      cleanupAuth(t.ctx.db, { batchSize: 2 }),
    ]);

    expect(runs[0]!.sessions + runs[1]!.sessions).toBe(ids.length);
    const left = await t.ctx.db.select().from(sessions).where(inArray(sessions.id, ids));
    expect(left).toEqual([]);
  });

  // PGlite has one connection, so no second client can hold the lock there.
  const pgOnly = skipUnless(onlyIn('pg'));
  it.skipIf(pgOnly.skip)(
    pgOnly.title('a node that finds the lock held by another skips the run and deletes nothing'),
    async () => {
      const expired = await login(t, alice);
      await expireSession(sessionOf(expired));
      const other = new pg.Client({ connectionString: t.testDb.url });
      await other.connect();
      try {
        await other.query('select pg_advisory_lock($1)', [CLEANUP_LOCK_ID]);
        expect(await cleanupAuth(t.ctx.db)).toEqual({
          sessions: 0,
          refreshTokens: 0,
          skipped: true,
        });
        expect(await sessionExists(sessionOf(expired))).toBe(true);
      } finally {
        await other.end();
      }
      expect((await cleanupAuth(t.ctx.db)).skipped).toBe(false);
      expect(await sessionExists(sessionOf(expired))).toBe(false);
    },
  );

  it('the app runs it every CLEANUP_INTERVAL_MS and stops it on close', async () => {
    const node = await startTestApp({ testDb: t.testDb, env: { CLEANUP_INTERVAL_MS: '100' } });
    try {
      const live = await login(node, alice);
      const expired = await login(node, alice);
      await expireSession(sessionOf(expired));
      const deadline = Date.now() + 5000;
      while ((await sessionExists(sessionOf(expired))) && Date.now() < deadline) await sleep(50);
      expect(await sessionExists(sessionOf(expired))).toBe(false);
      expect((await me(live.accessToken)).status).toBe(200);
    } finally {
      await node.stop();
    }
  });
});
