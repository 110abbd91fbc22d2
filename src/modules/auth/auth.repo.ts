import { and, eq, isNull, sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { refreshTokens, sessions, users, type UserRow } from '../../db/schema/index.js';

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

/** The user behind a live (not revoked, not expired) session; undefined otherwise. */
export async function findActiveSessionUser(
  db: Executor,
  sessionId: string,
  userId: string,
): Promise<UserRow | undefined> {
  const [row] = await db
    .select({ user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.id, sessionId),
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        sql`${sessions.expiresAt} > now()`,
      ),
    )
    .limit(1);
  return row?.user;
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

/** Revokes a session; returns true when it was live until now. */
export async function revokeSession(db: Executor, sessionId: string): Promise<boolean> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: new Date() })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.length > 0;
}
