import { and, eq, or, sql, type SQL } from 'drizzle-orm';
import { newestFirst, olderThan } from '../../db/keyset.js';
import { queryRows, type Executor } from '../../db/client.js';
import { roomMembers, rooms, userBlocks, users, type UserRow } from '../../db/schema/index.js';

/**
 * THE blocking rule for direct rooms (SPEC "Blocking"), as a condition other statements embed: true
 * when `roomId` is a direct room and the user and another of its members have blocked one another,
 * either way. Sends into the room (the insert statement) and opening it use it; in shared rooms a
 * block changes nothing but push.
 */
export function directBlockedSql(roomId: SQL | string, userId: SQL | string): SQL {
  return sql`exists (
    select 1 from ${rooms} dr
    join ${roomMembers} o on o.room_id = dr.id and o.user_id <> ${userId}
    join ${userBlocks} b on (b.blocker_id = o.user_id and b.blocked_id = ${userId})
                         or (b.blocker_id = ${userId} and b.blocked_id = o.user_id)
    where dr.id = ${roomId} and dr.type = 'direct')`;
}

/** Whether the user is in a block, either way, with another member of this direct room. */
export async function isDirectBlocked(
  db: Executor,
  roomId: string,
  userId: string,
): Promise<boolean> {
  const rows = await queryRows<{ blocked: boolean }>(
    db,
    sql`select ${directBlockedSql(roomId, userId)} as blocked`,
  );
  return rows[0]?.blocked === true;
}

/** Whether either of the two users has blocked the other. */
export async function blockedEitherWay(db: Executor, a: string, b: string): Promise<boolean> {
  const rows = await db
    .select({ blockerId: userBlocks.blockerId })
    .from(userBlocks)
    .where(
      or(
        and(eq(userBlocks.blockerId, a), eq(userBlocks.blockedId, b)),
        and(eq(userBlocks.blockerId, b), eq(userBlocks.blockedId, a)),
      ),
    )
    .limit(1);
  return rows.length > 0;
}

/** Records the block; false when it was already there. */
export async function insertBlock(
  db: Executor,
  blockerId: string,
  blockedId: string,
): Promise<boolean> {
  const rows = await db
    .insert(userBlocks)
    .values({ blockerId, blockedId })
    .onConflictDoNothing()
    .returning({ blockedId: userBlocks.blockedId });
  return rows.length > 0;
}

/** Lifts the block; false when there was none. */
export async function deleteBlock(
  db: Executor,
  blockerId: string,
  blockedId: string,
): Promise<boolean> {
  const rows = await db
    .delete(userBlocks)
    .where(and(eq(userBlocks.blockerId, blockerId), eq(userBlocks.blockedId, blockedId)))
    .returning({ blockedId: userBlocks.blockedId });
  return rows.length > 0;
}

/** Deletes every block a user made or is the object of (erasure: the account is no one any more). */
export async function deleteBlocksOf(db: Executor, userId: string): Promise<void> {
  await db
    .delete(userBlocks)
    .where(or(eq(userBlocks.blockerId, userId), eq(userBlocks.blockedId, userId)));
}

/** The users I blocked (or only `only`), most recent block first (keyset on (created_at, id)). */
export async function listBlocked(
  db: Executor,
  blockerId: string,
  params: { before?: { at: Date; id: string }; only?: string; limit: number },
): Promise<{ user: UserRow; blockedAt: Date }[]> {
  const { before } = params;
  const rows = await db
    .select({ user: users, blockedAt: userBlocks.createdAt })
    .from(userBlocks)
    .innerJoin(users, eq(users.id, userBlocks.blockedId))
    .where(
      and(
        eq(userBlocks.blockerId, blockerId),
        params.only ? eq(userBlocks.blockedId, params.only) : undefined,
        olderThan(userBlocks.createdAt, userBlocks.blockedId, before),
      ),
    )
    .orderBy(...newestFirst(userBlocks.createdAt, userBlocks.blockedId))
    .limit(params.limit);
  return rows;
}
