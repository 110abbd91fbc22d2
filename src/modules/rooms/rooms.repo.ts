import { and, asc, desc, eq, gt, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { isId } from '../../db/ids.js';
import { columnsSql, fromRow } from '../../db/rows.js';
import { likePrefix } from '../../db/like.js';
import {
  messageMentions,
  messages,
  roomMembers,
  rooms,
  users,
  type NotifyLevel,
  type RoomMemberRow,
  type RoomRole,
  type RoomRow,
  type UserRow,
} from '../../db/schema/index.js';

/** A room by id or by slug. */
export async function findRoomByRef(db: Executor, ref: string): Promise<RoomRow | undefined> {
  const [row] = await db
    .select()
    .from(rooms)
    .where(isId(ref) ? eq(rooms.id, ref) : eq(rooms.slug, ref.toLowerCase()))
    .limit(1);
  return row;
}

export async function findMembership(
  db: Executor,
  roomId: string,
  userId: string,
): Promise<RoomMemberRow | undefined> {
  const [row] = await db
    .select()
    .from(roomMembers)
    .where(and(eq(roomMembers.roomId, roomId), eq(roomMembers.userId, userId)))
    .limit(1);
  return row;
}

/** The room and the caller's membership in one round trip. */
const ROOM_COLUMNS = columnsSql(rooms, 'r', 'r__');
const MEMBER_COLUMNS = columnsSql(roomMembers, 'm', 'm__');

export async function findRoomWithMembership(
  db: Executor,
  ref: string,
  userId: string,
): Promise<{ room: RoomRow; member: RoomMemberRow | null } | undefined> {
  // Every access check of a room runs this: written out, and mapped without the query builder.
  const [row] = await queryRows<Record<string, unknown>>(
    db,
    sql`select ${ROOM_COLUMNS}, ${MEMBER_COLUMNS}
        from ${rooms} r
        left join ${roomMembers} m on m.room_id = r.id and m.user_id = ${userId}
        where ${isId(ref) ? sql`r.id = ${ref}` : sql`r.slug = ${ref.toLowerCase()}`}
        limit 1`,
  );
  if (!row) return undefined;
  return {
    room: fromRow(rooms, row, 'r__'),
    member: row.m__room_id ? fromRow(roomMembers, row, 'm__') : null,
  };
}

export async function insertRoom(
  db: Executor,
  values: {
    slug: string;
    name: string;
    type: RoomRow['type'];
    description?: string | null;
    createdBy?: string | null;
    directKey?: string | null;
  },
): Promise<RoomRow | undefined> {
  const [row] = await db.insert(rooms).values(values).onConflictDoNothing().returning();
  return row;
}

export async function findRoomByDirectKey(
  db: Executor,
  directKey: string,
): Promise<RoomRow | undefined> {
  const [row] = await db.select().from(rooms).where(eq(rooms.directKey, directKey)).limit(1);
  return row;
}

export async function updateRoom(
  db: Executor,
  id: string,
  patch: {
    name?: string;
    description?: string | null;
    slowModeSeconds?: number;
    retentionDays?: number | null;
  },
): Promise<RoomRow | undefined> {
  const [row] = await db
    .update(rooms)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(rooms.id, id))
    .returning();
  return row;
}

export async function deleteRoom(db: Executor, id: string): Promise<boolean> {
  const rows = await db.delete(rooms).where(eq(rooms.id, id)).returning({ id: rooms.id });
  return rows.length > 0;
}

/**
 * Locks a room's row until the transaction ends: the first lock of every transaction that changes a
 * room's members or messages (lock order: room, then member rows, then message rows; see db/tx.ts).
 * Holding it serialises seq/rev allocation and membership changes of that room, so a statement run
 * after it sees every membership change committed before. Undefined when the room is gone.
 */
export async function lockRoom(
  tx: Executor,
  roomId: string,
): Promise<{ id: string; lastSeq: number; rev: number } | undefined> {
  const rows = await queryRows<{ id: string; last_seq: string | number; rev: string | number }>(
    tx,
    sql`select id, last_seq, rev from ${rooms} where id = ${roomId} for update`,
  );
  const r = rows[0];
  return r ? { id: r.id, lastSeq: Number(r.last_seq), rev: Number(r.rev) } : undefined;
}

/**
 * Adds a member (no-op when already one) and keeps member_count in step, in one statement.
 * New members start with everything already sent marked as read. Call after `lockRoom`.
 */
export async function addMember(
  db: Executor,
  roomId: string,
  userId: string,
  role: RoomRole,
): Promise<boolean> {
  const rows = await queryRows<{ added: boolean }>(
    db,
    sql`with ins as (
          insert into ${roomMembers} (room_id, user_id, role, last_read_seq)
          select ${roomId}, ${userId}, ${role}, r.last_seq from ${rooms} r where r.id = ${roomId}
          on conflict do nothing
          returning room_id
        ), bump as (
          update ${rooms} set member_count = member_count + 1 where id in (select room_id from ins) returning id
        )
        select exists(select 1 from bump) as added`,
  );
  return rows[0]?.added ?? false;
}

/** Whether the room has an owner (after `lockRoom`, so no one can leave or join meanwhile). */
export async function hasOwner(tx: Executor, roomId: string): Promise<boolean> {
  const [row] = await tx
    .select({ userId: roomMembers.userId })
    .from(roomMembers)
    .where(and(eq(roomMembers.roomId, roomId), eq(roomMembers.role, 'owner')))
    .limit(1);
  return row !== undefined;
}

/** Removes a member and keeps member_count in step; false when they were not one. Call after `lockRoom`. */
export async function removeMember(db: Executor, roomId: string, userId: string): Promise<boolean> {
  const rows = await queryRows<{ removed: boolean }>(
    db,
    sql`with del as (
          delete from ${roomMembers} where room_id = ${roomId} and user_id = ${userId} returning room_id
        ), bump as (
          update ${rooms} set member_count = member_count - 1 where id in (select room_id from del) returning id
        )
        select exists(select 1 from bump) as removed`,
  );
  return rows[0]?.removed ?? false;
}

export async function setMemberRole(
  db: Executor,
  roomId: string,
  userId: string,
  role: RoomRole,
): Promise<RoomMemberRow | undefined> {
  const [row] = await db
    .update(roomMembers)
    .set({ role })
    .where(and(eq(roomMembers.roomId, roomId), eq(roomMembers.userId, userId)))
    .returning();
  return row;
}

/** The longest-standing admin, else the longest-standing member: who inherits a room its owner leaves. */
export async function findSuccessor(
  db: Executor,
  roomId: string,
): Promise<RoomMemberRow | undefined> {
  const [row] = await db
    .select()
    .from(roomMembers)
    .where(eq(roomMembers.roomId, roomId))
    .orderBy(asc(roleRank), asc(roomMembers.joinedAt))
    .limit(1);
  return row;
}

export interface MemberWithUser {
  member: RoomMemberRow;
  user: UserRow;
}

const roleRank = sql<number>`case ${roomMembers.role} when 'owner' then 0 when 'admin' then 1 else 2 end`;

/** Members: owners, then admins, then members, each alphabetical; keyset on (rank, lower(username)). */
export async function listMembers(
  db: Executor,
  roomId: string,
  params: { after?: { rank: number; username: string }; limit: number },
): Promise<MemberWithUser[]> {
  const { after } = params;
  const lowerUsername = sql`lower(${users.username})`;
  return db
    .select({ member: roomMembers, user: users })
    .from(roomMembers)
    .innerJoin(users, eq(users.id, roomMembers.userId))
    .where(
      and(
        eq(roomMembers.roomId, roomId),
        after
          ? or(
              gt(roleRank, after.rank),
              and(eq(roleRank, after.rank), gt(lowerUsername, after.username)),
            )
          : undefined,
      ),
    )
    .orderBy(asc(roleRank), asc(lowerUsername))
    .limit(params.limit);
}

export const ROLE_RANK: Record<RoomRole, number> = { owner: 0, admin: 1, member: 2 };

/** Ids of the rooms a user belongs to (socket subscriptions, search scope). */
export async function listRoomIdsOfUser(db: Executor, userId: string): Promise<string[]> {
  const rows = await db
    .select({ roomId: roomMembers.roomId })
    .from(roomMembers)
    .where(eq(roomMembers.userId, userId));
  return rows.map((r) => r.roomId);
}

/** Every room a user belongs to, with the membership, oldest membership first (their data export). */
export async function listMembershipsOf(
  db: Executor,
  userId: string,
): Promise<{ room: RoomRow; member: RoomMemberRow }[]> {
  return db
    .select({ room: rooms, member: roomMembers })
    .from(roomMembers)
    .innerJoin(rooms, eq(rooms.id, roomMembers.roomId))
    .where(eq(roomMembers.userId, userId))
    .orderBy(asc(roomMembers.joinedAt), asc(roomMembers.roomId));
}

/**
 * The rooms of several users at once, for re-checking a node's subscriptions after a Redis outage: read
 * once, then again after a share lock on each of those rooms (in id order, like every lock of several
 * rooms) has waited for the change holding it (a removal waiting for Redis under its room's lock) to
 * commit, so that a removal this node's subscriber may have missed is never read as still to come.
 */
export async function listRoomIdsOfUsers(
  db: Executor,
  userIds: string[],
): Promise<Map<string, Set<string>>> {
  const read = async () => {
    const byUser = new Map<string, Set<string>>(userIds.map((id) => [id, new Set<string>()]));
    if (userIds.length === 0) return byUser;
    const rows = await db
      .select({ userId: roomMembers.userId, roomId: roomMembers.roomId })
      .from(roomMembers)
      .where(inArray(roomMembers.userId, userIds));
    for (const r of rows) byUser.get(r.userId)?.add(r.roomId);
    return byUser;
  };
  const first = await read();
  const roomIds = [...new Set([...first.values()].flatMap((ids) => [...ids]))];
  if (roomIds.length === 0) return first;
  await db
    .select({ id: rooms.id })
    .from(rooms)
    .where(inArray(rooms.id, roomIds))
    .orderBy(asc(rooms.id))
    .for('share');
  return read();
}

/** Of these users, those who are members of the room now. */
export async function listMembersAmong(
  db: Executor,
  roomId: string,
  userIds: string[],
): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await db
    .select({ userId: roomMembers.userId })
    .from(roomMembers)
    .where(and(eq(roomMembers.roomId, roomId), inArray(roomMembers.userId, userIds)));
  return new Set(rows.map((r) => r.userId));
}

/** The users who share at least one room with the user (the user among them), without duplicates. */
export async function listRoomMateIds(db: Executor, userId: string): Promise<string[]> {
  const mates = await queryRows<{ user_id: string }>(
    db,
    sql`select distinct theirs.user_id from room_members mine
        join room_members theirs on theirs.room_id = mine.room_id
        where mine.user_id = ${userId}`,
  );
  return mates.map((m) => m.user_id);
}

/** Users of a direct room, for naming it after the other person. */
export async function listDirectPeers(
  db: Executor,
  roomIds: string[],
): Promise<{ roomId: string; user: UserRow }[]> {
  if (roomIds.length === 0) return [];
  return db
    .select({ roomId: roomMembers.roomId, user: users })
    .from(roomMembers)
    .innerJoin(users, eq(users.id, roomMembers.userId))
    .where(sql`${roomMembers.roomId} = any(${sql.param(roomIds)}::uuid[])`);
}

/**
 * THE unread-mention count of one membership (SPEC "Counts"): live messages after the read watermark
 * that mention the user (a `message_mentions` row: `@name`, a reply to them, a direct message) or
 * everyone (`@all`), never the user's own; two index lookups, not a scan of the unread messages.
 */
const mentionCountSql = (roomId: SQL, userId: SQL | string, lastReadSeq: SQL) =>
  sql`(select count(*) from (
        select mm.message_id as id from ${messageMentions} mm
        where mm.user_id = ${userId} and mm.room_id = ${roomId} and mm.seq > ${lastReadSeq}
        union
        select ma.id from ${messages} ma
        where ma.room_id = ${roomId} and ma.mentions_all and ma.seq > ${lastReadSeq}
      ) x join ${messages} mx on mx.id = x.id
      where mx.deleted_at is null and mx.sender_id is distinct from ${userId})::int`;

export interface MyRoomRow {
  room: RoomRow;
  member: RoomMemberRow;
  unreadCount: number;
  mentionCount: number;
  lastMessageId: string | null;
  activityAt: Date;
}

/**
 * The caller's rooms, most recently active first, with exact unread counts: the room's last seq less
 * my read watermark, less the deleted messages after it (a partial index makes that count cheap).
 */
export async function listMyRooms(
  db: Executor,
  userId: string,
  params: { before?: { activityAt: Date; id: string }; limit: number },
): Promise<MyRoomRow[]> {
  // Truncated to milliseconds so that a cursor made from a JS Date compares exactly.
  const activity = sql<Date>`date_trunc('milliseconds', coalesce(${rooms.lastMessageAt}, ${rooms.createdAt}))`;
  const { before } = params;
  const rows = await db
    .select({
      room: rooms,
      member: roomMembers,
      activityAt: activity,
      unreadCount: sql<number>`greatest(0, ${rooms.lastSeq} - ${roomMembers.lastReadSeq} - (
        select count(*) from messages d
        where d.room_id = ${rooms.id} and d.deleted_at is not null and d.seq > ${roomMembers.lastReadSeq}))::int`,
      mentionCount: sql<number>`${mentionCountSql(sql`${rooms.id}`, userId, sql`${roomMembers.lastReadSeq}`)}`,
      lastMessageId: sql<string | null>`(
        select m.id from messages m
        where m.room_id = ${rooms.id} and m.deleted_at is null
        order by m.seq desc limit 1)`,
    })
    .from(roomMembers)
    .innerJoin(rooms, eq(rooms.id, roomMembers.roomId))
    .where(
      and(
        eq(roomMembers.userId, userId),
        before
          ? or(
              lt(activity, before.activityAt),
              and(eq(activity, before.activityAt), lt(rooms.id, before.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(activity), desc(rooms.id))
    .limit(params.limit);
  return rows.map((r) => ({
    ...r,
    activityAt: new Date(r.activityAt),
    unreadCount: Number(r.unreadCount),
    mentionCount: Number(r.mentionCount),
  }));
}

/** Unread and mention counts of one membership, computed the same way as in listMyRooms. */
export async function unreadCountOf(
  db: Executor,
  roomId: string,
  userId: string,
): Promise<{ unread: number; mentions: number; lastMessageId: string | null }> {
  const rows = await queryRows<{
    unread: number;
    mentions: number;
    last_message_id: string | null;
  }>(
    db,
    sql`select greatest(0, r.last_seq - rm.last_read_seq - (
              select count(*) from messages d
              where d.room_id = r.id and d.deleted_at is not null and d.seq > rm.last_read_seq))::int as unread,
            ${mentionCountSql(sql`r.id`, userId, sql`rm.last_read_seq`)} as mentions,
            (select m.id from messages m where m.room_id = r.id and m.deleted_at is null
              order by m.seq desc limit 1) as last_message_id
        from ${roomMembers} rm join ${rooms} r on r.id = rm.room_id
        where rm.room_id = ${roomId} and rm.user_id = ${userId}`,
  );
  return {
    unread: Number(rows[0]?.unread ?? 0),
    mentions: Number(rows[0]?.mentions ?? 0),
    lastMessageId: rows[0]?.last_message_id ?? null,
  };
}

/** Sets the member's notification level for the room; false when they are not a member. */
export async function setNotifyLevel(
  db: Executor,
  roomId: string,
  userId: string,
  level: NotifyLevel,
): Promise<boolean> {
  const rows = await db
    .update(roomMembers)
    .set({ notifyLevel: level })
    .where(and(eq(roomMembers.roomId, roomId), eq(roomMembers.userId, userId)))
    .returning({ userId: roomMembers.userId });
  return rows.length > 0;
}

/**
 * The page of `listPublicRooms` (same filter, order and keyset), each room with the caller's membership
 * (null when not a member), in one query: a left join on the caller's own room_members row.
 */
export async function listPublicRoomsWithMembership(
  db: Executor,
  userId: string,
  params: { q?: string; after?: { name: string; id: string }; limit: number },
): Promise<{ room: RoomRow; member: RoomMemberRow | null }[]> {
  const lowerName = sql`lower(${rooms.name})`;
  const { after } = params;
  return db
    .select({ room: rooms, member: roomMembers })
    .from(rooms)
    .leftJoin(roomMembers, and(eq(roomMembers.roomId, rooms.id), eq(roomMembers.userId, userId)))
    .where(
      and(
        eq(rooms.type, 'public'),
        params.q ? sql`${lowerName} like ${likePrefix(params.q)}` : undefined,
        after
          ? or(gt(lowerName, after.name), and(eq(lowerName, after.name), gt(rooms.id, after.id)))
          : undefined,
      ),
    )
    .orderBy(asc(lowerName), asc(rooms.id))
    .limit(params.limit);
}
