import { and, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { refreshTokens, sessions, users } from '../../db/schema/index.js';

export async function insertSession(
  db: Executor,
  values: { userId: string; expiresAt: Date; userAgent?: string | null; ip?: string | null },
): Promise<{ id: string }> {
  const [row] = await db.insert(sessions).values(values).returning({ id: sessions.id });
  return row!;
}

export async function insertRefreshToken(
  db: Executor,
  values: { tokenHash: string; sessionId: string; expiresAt: Date },
): Promise<void> {
  await db.insert(refreshTokens).values(values);
}

/**
 * The user behind a live (not revoked, not expired) session, and when the session expires;
 * undefined otherwise. Runs on every request: one indexed lookup, only the columns it needs.
 */
export async function findActiveSessionUser(
  db: Executor,
  sessionId: string,
  userId: string,
): Promise<{ userId: string; username: string; sessionExpiresAt: Date } | undefined> {
  const [row] = await queryRows<{ id: string; username: string; expires_at: Date | string }>(
    db,
    sql`select u.id, u.username, s.expires_at
        from ${sessions} s join ${users} u on u.id = s.user_id
        where s.id = ${sessionId} and s.user_id = ${userId}
          and s.revoked_at is null and s.expires_at > now() and u.deactivated_at is null
        limit 1`,
  );
  if (!row) return undefined;
  const expires = row.expires_at instanceof Date ? row.expires_at : new Date(row.expires_at);
  return { userId: row.id, username: row.username, sessionExpiresAt: expires };
}

/**
 * Marks a refresh token used, atomically: of two concurrent uses only one gets the row back.
 * Returns the session and user when the token was live.
 */
export async function consumeRefreshToken(
  db: Executor,
  tokenHash: string,
): Promise<{ sessionId: string; userId: string } | undefined> {
  const rows = await queryRows<{ session_id: string; user_id: string }>(
    db,
    sql`
    update ${refreshTokens} rt set rotated_at = now()
    from ${sessions} s
    where rt.token_hash = ${tokenHash}
      and rt.rotated_at is null
      and rt.expires_at > now()
      and s.id = rt.session_id
      and s.revoked_at is null
      and s.expires_at > now()
    returning rt.session_id, s.user_id`,
  );
  const row = rows[0];
  return row ? { sessionId: row.session_id, userId: row.user_id } : undefined;
}

export async function findRefreshToken(
  db: Executor,
  tokenHash: string,
): Promise<{ sessionId: string; userId: string; rotatedAt: Date | null } | undefined> {
  const [row] = await db
    .select({
      sessionId: refreshTokens.sessionId,
      userId: sessions.userId,
      rotatedAt: refreshTokens.rotatedAt,
    })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.tokenHash, tokenHash))
    .limit(1);
  return row;
}

/**
 * Of the given sessions, those that are no longer live: revoked (or deleted since) or expired. One
 * query for all the sockets of a node.
 */
export async function findDeadSessions(
  db: Executor,
  sessionIds: string[],
): Promise<Map<string, 'session-revoked' | 'session-expired'>> {
  const dead = new Map<string, 'session-revoked' | 'session-expired'>();
  if (sessionIds.length === 0) return dead;
  const rows = await db
    .select({
      id: sessions.id,
      revoked: sql<boolean>`${sessions.revokedAt} is not null`,
      expired: sql<boolean>`${sessions.expiresAt} <= now()`,
    })
    .from(sessions)
    .where(inArray(sessions.id, sessionIds));
  const found = new Map(rows.map((r) => [r.id, r]));
  for (const id of sessionIds) {
    const row = found.get(id);
    if (!row || row.revoked) dead.set(id, 'session-revoked');
    else if (row.expired) dead.set(id, 'session-expired');
  }
  return dead;
}

/** Revokes a session; returns true when it was live until now. */
export async function revokeSession(db: Executor, sessionId: string): Promise<boolean> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: new Date() })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.length > 0;
}

/** Revokes every live session of a user but `keep` (none: all); returns the ids revoked. */
export async function revokeSessionsOfUser(
  db: Executor,
  userId: string,
  keep?: string,
): Promise<string[]> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: new Date() })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        keep ? ne(sessions.id, keep) : undefined,
      ),
    )
    .returning({ id: sessions.id });
  return rows.map((r) => r.id);
}

/** Advisory lock key of the clean-up job (the migration lock is 724_190_331). */
export const CLEANUP_LOCK_ID = 724_190_332;

/**
 * Takes the clean-up job's lock for the rest of the transaction, without waiting: false when another
 * node (or another run on this one) holds it, and then that one does the work.
 */
export async function tryLockCleanup(tx: Executor): Promise<boolean> {
  const rows = await queryRows<{ locked: boolean }>(
    tx,
    sql`select pg_try_advisory_xact_lock(${CLEANUP_LOCK_ID}) as locked`,
  );
  return rows[0]?.locked === true;
}

/**
 * Deletes up to `limit` dead sessions, with their refresh tokens (on delete cascade): those that expired
 * more than `expiredForMs` ago and those revoked more than `revokedForMs` ago. A live session (not
 * revoked, not expired) never matches, and neither timestamp ever moves back, so a session once matched
 * cannot become live again. Rows locked by a concurrent statement are left for the next run.
 */
export async function deleteDeadSessions(
  db: Executor,
  params: { expiredForMs: number; revokedForMs: number; limit: number },
): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    db,
    sql`with doomed as (
          select id from ${sessions}
          where expires_at < now() - ${params.expiredForMs}::double precision * interval '1 millisecond'
             or revoked_at < now() - ${params.revokedForMs}::double precision * interval '1 millisecond'
          limit ${params.limit}
          for update skip locked
        ), del as (
          delete from ${sessions} s using doomed where s.id = doomed.id returning 1
        )
        select count(*)::int as n from del`,
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Deletes up to `limit` refresh tokens that expired more than `expiredForMs` ago, rotated or not: an
 * expired token is refused anyway. A rotated token is kept until then only so that presenting it again
 * revokes its session, and a token expires no earlier than its session (both last
 * REFRESH_TOKEN_EXPIRES_IN, the token is issued later), so no live session loses that protection.
 */
export async function deleteExpiredRefreshTokens(
  db: Executor,
  params: { expiredForMs: number; limit: number },
): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    db,
    sql`with doomed as (
          select token_hash from ${refreshTokens}
          where expires_at < now() - ${params.expiredForMs}::double precision * interval '1 millisecond'
          limit ${params.limit}
          for update skip locked
        ), del as (
          delete from ${refreshTokens} rt using doomed where rt.token_hash = doomed.token_hash returning 1
        )
        select count(*)::int as n from del`,
  );
  return Number(rows[0]?.n ?? 0);
}
