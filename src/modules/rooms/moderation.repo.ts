import { and, eq, sql } from 'drizzle-orm';
import { msTime, olderThan } from '../../db/keyset.js';
import { queryRows, type Executor } from '../../db/client.js';
import { forbidden } from '../../errors.js';
import {
  roomBans,
  roomMembers,
  rooms,
  users,
  type RoomBanRow,
  type RoomMemberRow,
} from '../../db/schema/index.js';

/**
 * THE mute rule (SPEC "Room moderation"), as SQL over a `room_members` alias: muted since `muted_at`,
 * until `muted_until` (null: until unmuted). The send statement and `isMutedNow` both use it.
 */
export const mutedSql = (m: string) =>
  sql.raw(`(${m}.muted_at is not null and (${m}.muted_until is null or ${m}.muted_until > now()))`);

/** Whether a member row is muted at this moment (same rule as `mutedSql`, for a row in hand). */
export function isMutedNow(member: RoomMemberRow, now = new Date()): boolean {
  return (
    member.mutedAt !== null &&
    (member.mutedUntil === null || member.mutedUntil.getTime() > now.getTime())
  );
}

/** SPEC "Room moderation": a muted member reads, but cannot send, react, edit or type (403). */
export function assertNotMuted(member: RoomMemberRow): void {
  if (!isMutedNow(member)) return;
  const until = member.mutedUntil ? ` until ${member.mutedUntil.toISOString()}` : '';
  throw forbidden(`You are muted in this room${until}`);
}

/**
 * THE slow-mode rule as SQL: the member of `m` (alias) in room `r` (alias) may not send yet, because
 * the room has slow mode, they are a plain member, and their last message is more recent than the
 * interval. Used by the send statement (under the room's lock) and to explain a refused send.
 */
export const slowedSql = (m: string, r: string) =>
  sql.raw(
    `(${r}.slow_mode_seconds > 0 and ${m}.role = 'member' and ${m}.last_sent_at is not null` +
      ` and ${m}.last_sent_at > now() - make_interval(secs => ${r}.slow_mode_seconds))`,
  );

/**
 * The slow-mode rule within one batch of sends (the insert statement's `input` CTE, ordered by `ord`):
 * a plain member of a slow-mode room sends at most one message per batch, the first of theirs.
 */
export const slowedInBatchSql = (m: string, r: string, send: string) =>
  sql.raw(
    `(${r}.slow_mode_seconds > 0 and ${m}.role = 'member' and exists (` +
      ` select 1 from input d where d.sender_id = ${send}.sender_id and d.ord < ${send}.ord` +
      ` and d.type <> 'system'))`,
  );

/** Seconds until the member may send again in a slow-mode room (0: now). Call after `lockRoom`. */
export async function slowModeWait(db: Executor, roomId: string, userId: string): Promise<number> {
  const [row] = await queryRows<{ wait: string | number | null }>(
    db,
    sql`select ceil(extract(epoch from (m.last_sent_at + make_interval(secs => r.slow_mode_seconds) - now())))
               as wait
        from ${rooms} r join ${roomMembers} m on m.room_id = r.id and m.user_id = ${userId}
        where r.id = ${roomId} and ${slowedSql('m', 'r')}`,
  );
  return row ? Math.max(1, Number(row.wait)) : 0;
}

export async function setMute(
  tx: Executor,
  roomId: string,
  userId: string,
  until: Date | null,
): Promise<RoomMemberRow | undefined> {
  const [row] = await tx
    .update(roomMembers)
    .set({ mutedAt: sql`now()`, mutedUntil: until })
    .where(and(eq(roomMembers.roomId, roomId), eq(roomMembers.userId, userId)))
    .returning();
  return row;
}

export async function clearMute(
  tx: Executor,
  roomId: string,
  userId: string,
): Promise<RoomMemberRow | undefined> {
  const [row] = await tx
    .update(roomMembers)
    .set({ mutedAt: null, mutedUntil: null })
    .where(and(eq(roomMembers.roomId, roomId), eq(roomMembers.userId, userId)))
    .returning();
  return row;
}

export async function isBanned(db: Executor, roomId: string, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ userId: roomBans.userId })
    .from(roomBans)
    .where(and(eq(roomBans.roomId, roomId), eq(roomBans.userId, userId)))
    .limit(1);
  return row !== undefined;
}

/** Records a ban; undefined when the user was already banned from the room. */
export async function insertBan(
  tx: Executor,
  values: { roomId: string; userId: string; bannedBy: string; reason: string | null },
): Promise<RoomBanRow | undefined> {
  const [row] = await tx.insert(roomBans).values(values).onConflictDoNothing().returning();
  return row;
}

export async function deleteBan(tx: Executor, roomId: string, userId: string): Promise<boolean> {
  const rows = await tx
    .delete(roomBans)
    .where(and(eq(roomBans.roomId, roomId), eq(roomBans.userId, userId)))
    .returning({ userId: roomBans.userId });
  return rows.length > 0;
}

export interface BanWithUsers {
  ban: RoomBanRow;
  user: { id: string; username: string; displayName: string | null; avatarUrl: string | null };
  bannedBy: { id: string; username: string } | null;
}

/** A room's bans, newest first; keyset on (created_at, user_id). */
export async function listBans(
  db: Executor,
  roomId: string,
  params: { before?: { at: Date; userId: string }; limit: number },
): Promise<BanWithUsers[]> {
  const { before } = params;
  const rows = await queryRows<{
    room_id: string;
    user_id: string;
    banned_by: string | null;
    reason: string | null;
    created_at: Date | string;
    username: string;
    display_name: string | null;
    avatar_url: string | null;
    by_username: string | null;
  }>(
    db,
    sql`select b.room_id, b.user_id, b.banned_by, b.reason, b.created_at,
               u.username, u.display_name, u.avatar_url, bu.username as by_username
        from ${roomBans} b
        join ${users} u on u.id = b.user_id
        left join ${users} bu on bu.id = b.banned_by
        where b.room_id = ${roomId}
          ${
            before
              ? sql`and ${olderThan(sql`b.created_at`, sql`b.user_id`, { at: before.at, id: before.userId })}`
              : sql``
          }
        order by ${msTime(sql`b.created_at`)} desc, b.user_id desc
        limit ${params.limit}`,
  );
  return rows.map((r) => ({
    ban: {
      roomId: r.room_id,
      userId: r.user_id,
      bannedBy: r.banned_by,
      reason: r.reason,
      createdAt: new Date(r.created_at),
    },
    user: {
      id: r.user_id,
      username: r.username,
      displayName: r.display_name,
      avatarUrl: r.avatar_url,
    },
    bannedBy: r.banned_by && r.by_username ? { id: r.banned_by, username: r.by_username } : null,
  }));
}
