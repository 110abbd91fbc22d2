import { and, asc, eq, getTableColumns, inArray, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { columnsSql, fromRow } from '../../db/rows.js';
import { pushJobsSql } from '../push/push.port.js';
import { mutedSql, slowedInBatchSql, slowedSql } from '../rooms/rooms.port.js';
import { directBlockedSql } from '../users/users.port.js';
import { parseMentions } from './mentions.js';
import {
  messageReactions,
  messages,
  roomMembers,
  rooms,
  users,
  type MessageRow,
  type UserRow,
} from '../../db/schema/index.js';

/** A message as read for display: every column but the search vector. */
export type StoredMessage = Omit<MessageRow, 'searchVector'>;
/** What a message shows of its sender; never the rest of the user row (hashes stay in the database). */
export type SenderRow = Pick<UserRow, 'id' | 'username' | 'displayName' | 'avatarUrl'>;

export interface MessageRecord {
  message: StoredMessage;
  /**
   * Its reactions grouped by emoji (groups and user ids in the order they were added), read with the
   * message by `selectRecords`; absent where a record is made without them (a fresh insert).
   */
  reactions?: ReactionGroup[];
  sender: SenderRow | null;
  reply: { message: StoredMessage; sender: SenderRow | null } | null;
}

/**
 * Messages as read for display, with their sender and the message they reply to (and its sender), in
 * one statement written out by hand: pages are the hottest reads, and building this join and mapping
 * its 30 columns through the query builder cost more CPU than the database spent answering it.
 */
const NOT_READ = ['searchVector'] as const;
const RECORD_SELECT = sql`select ${columnsSql(messages, 'm', '', NOT_READ)},
    s.username as s_username, s.display_name as s_display_name, s.avatar_url as s_avatar_url,
    ${columnsSql(messages, 'r', 'r_', NOT_READ)},
    ${sql.raw(`rs.username as rs_username, rs.display_name as rs_display_name, rs.avatar_url as rs_avatar_url,
    rx.reactions
  from messages m
  left join users s on s.id = m.sender_id
  left join messages r on r.id = m.reply_to_id
  left join users rs on rs.id = r.sender_id
  left join lateral (
    select json_agg(json_build_object('emoji', g.emoji, 'count', g.n, 'userIds', g.ids)
                    order by g.first_at, g.first_user) as reactions
    from (select emoji, count(*)::int as n, min(created_at) as first_at,
                 (array_agg(user_id::text order by created_at, user_id))[1] as first_user,
                 array_agg(user_id::text order by created_at, user_id) as ids
          from message_reactions where message_id = m.id and m.deleted_at is null
          group by emoji) g
  ) rx on true`)}`;

type Cell = string | number | Date | ReactionGroup[] | null;
type RecordRow = Record<string, Cell>;

/** The message columns of a record row, under a column prefix (`` for the message, `r_` for its reply). */
const storedMessage = (r: RecordRow, p: '' | 'r_'): StoredMessage =>
  fromRow(messages, r, p, NOT_READ);

/** The sender under a prefix (`s_`, `rs_`); null when the user row is gone. */
function senderOf(id: Cell, r: RecordRow, p: 's_' | 'rs_'): SenderRow | null {
  if (r[`${p}username`] === null || r[`${p}username`] === undefined) return null;
  return {
    id: id as string,
    username: r[`${p}username`] as string,
    displayName: r[`${p}display_name`] as string | null,
    avatarUrl: r[`${p}avatar_url`] as string | null,
  };
}

function toRecord(r: RecordRow): MessageRecord {
  return {
    reactions: (r.reactions as ReactionGroup[] | null) ?? [],
    message: storedMessage(r, ''),
    sender: senderOf(r.sender_id ?? null, r, 's_'),
    reply: r.r_id
      ? { message: storedMessage(r, 'r_'), sender: senderOf(r.r_sender_id ?? null, r, 'rs_') }
      : null,
  };
}

async function selectRecords(db: Executor, rest: SQL): Promise<MessageRecord[]> {
  const rows = await queryRows<RecordRow>(db, sql`${RECORD_SELECT} ${rest}`);
  return rows.map(toRecord);
}

export async function findMessageRecords(db: Executor, ids: string[]): Promise<MessageRecord[]> {
  if (ids.length === 0) return [];
  return selectRecords(db, sql`where m.id = any(${sql.param(ids)}::uuid[])`);
}

export async function findMessageById(db: Executor, id: string): Promise<MessageRow | undefined> {
  const [row] = await db.select().from(messages).where(eq(messages.id, id)).limit(1);
  return row;
}

export async function findByClientId(
  db: Executor,
  senderId: string,
  clientId: string,
): Promise<MessageRow | undefined> {
  const [row] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.senderId, senderId), eq(messages.clientId, clientId)))
    .limit(1);
  return row;
}

export interface InsertedMessage {
  message: StoredMessage;
  sender: SenderRow | null;
}

/** A row of the insert statement: the message's columns, its place in the input and its sender. */
type InsertedRow = Record<string, Cell> & {
  ord: string | number;
  sender_id: string | null;
  username: string | null;
  display_name: string | null;
  avatar_url: string | null;
};

function toInserted(r: InsertedRow): InsertedMessage {
  const message = storedMessage(r, '');
  const sender: SenderRow | null = r.username
    ? {
        id: r.sender_id!,
        username: r.username,
        displayName: r.display_name,
        avatarUrl: r.avatar_url,
      }
    : null;
  return { message, sender };
}

export interface NewMessage {
  senderId: string;
  type: MessageRow['type'];
  content: string;
  replyToId: string | null;
  clientId: string | null;
}

/**
 * Who a message mentions, decided in the database from what its text asks for (`parseMentions`), one
 * row per (ord, user) of the `wanted` CTE `(ord, sender_id, names, wants_all, reply_to_id)`: `@name` of
 * a member other than the sender (`named`); `@all` when the sender is the room's owner or an admin and
 * the room has more than 10 members (`everyone`); the notified users (`notified`): the named ones, the
 * sender of the message replied to, and in a direct room its other members. The insert statement and
 * an edit both use these CTEs: one owner for the rule. Run under the room's lock.
 */
function mentionCtes(roomId: string): SQL {
  return sql`named as (
      select distinct w.ord, u.id as user_id
      from wanted w
      cross join lateral unnest(w.names) as n(name)
      join ${users} u on lower(u.username) = n.name
      join ${roomMembers} rm on rm.room_id = ${roomId} and rm.user_id = u.id
      where u.id is distinct from w.sender_id
    ), everyone as (
      select w.ord from wanted w
      join ${roomMembers} rm on rm.room_id = ${roomId} and rm.user_id = w.sender_id
                             and rm.role in ('owner', 'admin')
      where w.wants_all and (select member_count from ${rooms} where id = ${roomId}) > 10
    ), notified as (
      select ord, user_id from named
      union
      select w.ord, p.sender_id from wanted w join ${messages} p on p.id = w.reply_to_id
      where p.sender_id is not null and p.sender_id is distinct from w.sender_id
      union
      select w.ord, rm.user_id from wanted w
      join ${rooms} dr on dr.id = ${roomId} and dr.type = 'direct'
      join ${roomMembers} rm on rm.room_id = dr.id and rm.user_id is distinct from w.sender_id
    )`;
}

/** The `mentions` array of input `ord` (ids sorted), for a SET or a VALUES list after `mentionCtes`. */
const mentionIdsOf = (ord: SQL) =>
  sql`coalesce((select array_agg(n.user_id order by n.user_id) from named n where n.ord = ${ord}), '{}'::uuid[])`;
const mentionsAllOf = (ord: SQL) => sql`exists (select 1 from everyone e where e.ord = ${ord})`;

/** The fingerprint a clientId retry is compared with: the content first sent (kept after deletion). */
export const clientHashSql = (content: SQL | string) => sql`md5(${content})`;

/**
 * THE statement that allocates seq and rev, for one send or a batch: run it in a transaction that
 * holds the room's lock (`lockRoom`), which makes it see every membership change and every clientId
 * committed before. Each send whose sender is a member and whose (sender, clientId) is unused gets
 * the next seq and the next rev, in the given order, with no gap; the room's last_seq and rev move by
 * as many, and each sender's read watermark moves past their own message. The result has one entry per
 * send, in order: the inserted row, or undefined for a send refused (not a member, or clientId used).
 * A clientId committed by a concurrent send to another room fails the statement (unique violation):
 * the caller retries, and the retry sees it.
 */
export async function insertMessages(
  tx: Executor,
  roomId: string,
  sends: NewMessage[],
): Promise<(InsertedMessage | undefined)[]> {
  const parsed = sends.map((m) => parseMentions(m.content));
  const rows = await queryRows<InsertedRow>(
    tx,
    sql`with input as (
          select * from unnest(
            ${sql.param(sends.map((m) => m.senderId))}::uuid[],
            ${sql.param(sends.map((m) => m.type))}::text[],
            ${sql.param(sends.map((m) => m.content))}::text[],
            ${sql.param(sends.map((m) => m.replyToId))}::uuid[],
            ${sql.param(sends.map((m) => m.clientId))}::text[],
            ${sql.param(parsed.map((p) => p.all))}::boolean[]
          ) with ordinality as t(sender_id, type, content, reply_to_id, client_id, wants_all, ord)
        ), input_names as (
          select * from unnest(
            ${sql.param(parsed.flatMap((p, i) => p.names.map(() => i + 1)))}::int[],
            ${sql.param(parsed.flatMap((p) => p.names))}::text[]
          ) as t(ord, name)
        ), accepted as (
          select t.*, row_number() over (order by t.ord) as n
          from input t
          where exists (select 1 from ${roomMembers} rm
                        join ${rooms} sr on sr.id = rm.room_id
                        where rm.room_id = ${roomId} and rm.user_id = t.sender_id
                          and (t.type = 'system' or (
                            -- SPEC "Room moderation": a muted member cannot send; in slow mode a
                            -- plain member sends once per interval, and once per batch.
                            not ${mutedSql('rm')} and not ${slowedSql('rm', 'sr')}
                            and not ${slowedInBatchSql('rm', 'sr', 't')})))
            and not ${directBlockedSql(roomId, sql`t.sender_id`)}
            and (t.client_id is null or not exists (
                  select 1 from ${messages} x where x.sender_id = t.sender_id and x.client_id = t.client_id))
            and (t.client_id is null or t.ord = (
                  select min(d.ord) from input d where d.sender_id = t.sender_id and d.client_id = t.client_id))
        ), wanted as (
          select a.ord, a.sender_id, a.wants_all, a.reply_to_id,
                 array(select i.name from input_names i where i.ord = a.ord) as names
          from accepted a
        ), ${mentionCtes(roomId)}, room as (
          select id, last_seq, rev from ${rooms} where id = ${roomId}
        ), ins as (
          insert into ${messages} as nm (room_id, seq, rev, sender_id, type, content, reply_to_id,
                                         client_id, client_hash, mentions, mentions_all)
          select room.id, room.last_seq + a.n, room.rev + a.n, a.sender_id, a.type, a.content, a.reply_to_id,
                 a.client_id, case when a.client_id is null then null else ${clientHashSql(sql`a.content`)} end,
                 ${mentionIdsOf(sql`a.ord`)}, ${mentionsAllOf(sql`a.ord`)}
          from accepted a cross join room
          returning ${columnsSql(messages, 'nm', '', NOT_READ)}
        ), bump as (
          update ${rooms} set last_seq = last_seq + (select count(*) from ins),
                              rev = rev + (select count(*) from ins),
                              last_message_at = now()
          where ${rooms.id} = ${roomId} and exists (select 1 from ins)
        ), mark as (
          update ${roomMembers} set last_read_seq = greatest(last_read_seq, x.seq), last_read_at = now(),
                                    last_sent_at = case when x.sent then now() else last_sent_at end
          from (select sender_id, max(seq) as seq, bool_or(type <> 'system') as sent
                from ins group by sender_id) x
          where ${roomMembers.roomId} = ${roomId} and ${roomMembers.userId} = x.sender_id
        ), mention_rows as (
          insert into message_mentions (message_id, user_id, room_id, seq, created_at)
          select ins.id, n.user_id, ins.room_id, ins.seq, ins.created_at
          from ins
          join room on true
          join accepted a on ins.seq = room.last_seq + a.n
          join notified n on n.ord = a.ord
        ), push_jobs as (
          ${pushJobsSql(roomId)}
        )
        select a.ord, ins.*, u.username, u.display_name, u.avatar_url
        from ins
        join room on true
        join accepted a on ins.seq = room.last_seq + a.n
        left join ${users} u on u.id = ins.sender_id
        order by ins.seq`,
  );
  const byOrd = new Map(rows.map((r) => [Number(r.ord), toInserted(r)]));
  return sends.map((_, i) => byOrd.get(i + 1));
}

/**
 * Records a change of a live message in ONE statement, inside a transaction that holds the room's lock:
 * the message takes the room's next rev (with `set` applied, e.g. new content) and the room's rev moves
 * to it. Nothing changes, and no rev is used, when the message is gone or already deleted.
 */
export async function changeMessage(
  tx: Executor,
  roomId: string,
  messageId: string,
  set?: SQL,
): Promise<MessageRow | undefined> {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`with r as (
          select rev + 1 as rev from ${rooms} where id = ${roomId}
        ), m as (
          update ${messages} set rev = r.rev ${set ? sql`, ${set}` : sql``}
          from r
          where ${messages.id} = ${messageId} and ${messages.roomId} = ${roomId}
            and ${messages.deletedAt} is null
          returning ${messages.id} as id, ${messages.rev} as rev
        ), b as (
          update ${rooms} set rev = m.rev from m where ${rooms.id} = ${roomId}
        )
        select id from m`,
  );
  if (rows.length === 0) return undefined;
  return findMessageById(tx, messageId);
}

/** Moves a read watermark forward (never back); returns the new watermark, or undefined if not a member. */
export async function advanceReadSeq(
  db: Executor,
  roomId: string,
  userId: string,
  seq: number,
): Promise<{ lastReadSeq: number; lastReadAt: Date } | undefined> {
  const [row] = await db
    .update(roomMembers)
    .set({ lastReadSeq: sql`greatest(${roomMembers.lastReadSeq}, ${seq})`, lastReadAt: sql`now()` })
    .where(and(eq(roomMembers.roomId, roomId), eq(roomMembers.userId, userId)))
    .returning({ lastReadSeq: roomMembers.lastReadSeq, lastReadAt: roomMembers.lastReadAt });
  return row
    ? { lastReadSeq: row.lastReadSeq, lastReadAt: row.lastReadAt ?? new Date() }
    : undefined;
}

/** History: live messages older than `before`, newest first. */
export function listBefore(
  db: Executor,
  roomId: string,
  before: number | undefined,
  limit: number,
): Promise<MessageRecord[]> {
  return selectRecords(
    db,
    sql`where m.room_id = ${roomId} and m.deleted_at is null
        ${before !== undefined ? sql`and m.seq < ${before}` : sql``}
        order by m.seq desc limit ${limit}`,
  );
}

/** Catch-up: everything after `after`, oldest first, tombstones included so clients can drop them. */
export function listAfter(
  db: Executor,
  roomId: string,
  after: number,
  limit: number,
): Promise<MessageRecord[]> {
  return selectRecords(
    db,
    sql`where m.room_id = ${roomId} and m.seq > ${after} order by m.seq asc limit ${limit}`,
  );
}

/** Catch-up of changes: every message (tombstones included) whose latest change is after `rev`, in rev order. */
export function listChangedSince(
  db: Executor,
  roomId: string,
  rev: number,
  limit: number,
): Promise<MessageRecord[]> {
  return selectRecords(
    db,
    sql`where m.room_id = ${roomId} and m.rev > ${rev} order by m.rev asc limit ${limit}`,
  );
}

/** The room's current revision (read BEFORE a catch-up query: everything up to it is committed). */
export async function roomRev(db: Executor, roomId: string): Promise<number | undefined> {
  const [row] = await db
    .select({ rev: rooms.rev })
    .from(rooms)
    .where(eq(rooms.id, roomId))
    .limit(1);
  return row?.rev;
}

/**
 * The messages that mention the user (SPEC "My mentions"), newest first: a `message_mentions` row of
 * theirs, or `@all` in a room of theirs; live, not their own, in rooms they are still a member of. Keyset
 * on (created_at, id), the time as ISO 8601 with microseconds (exact, so no row repeats or hides).
 */
export async function listMentionIds(
  db: Executor,
  userId: string,
  params: { before?: { at: string; id: string }; limit: number },
): Promise<{ id: string; at: string }[]> {
  const { before } = params;
  const older = (at: SQL, id: SQL) =>
    before ? sql`and (${at}, ${id}) < (${before.at}::timestamptz, ${before.id}::uuid)` : sql``;
  return queryRows<{ id: string; at: string }>(
    db,
    sql`select x.id, to_char(x.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at
        from (
          (select mm.message_id as id, mm.created_at
           from message_mentions mm
           join ${messages} m on m.id = mm.message_id
           where mm.user_id = ${userId} and m.deleted_at is null
             and m.sender_id is distinct from ${userId}
             and exists (select 1 from ${roomMembers} rm
                         where rm.room_id = mm.room_id and rm.user_id = ${userId})
             ${older(sql`mm.created_at`, sql`mm.message_id`)}
           order by mm.created_at desc, mm.message_id desc
           limit ${params.limit})
          union
          (select m.id, m.created_at
           from ${messages} m
           join ${roomMembers} rm on rm.room_id = m.room_id and rm.user_id = ${userId}
           where m.mentions_all and m.deleted_at is null and m.sender_id is distinct from ${userId}
             ${older(sql`m.created_at`, sql`m.id`)}
           order by m.created_at desc, m.id desc
           limit ${params.limit})
        ) x
        order by x.created_at desc, x.id desc
        limit ${params.limit}`,
  );
}

/**
 * A new text for a live message, with the room's next rev (after `lockRoom`); its mentions are decided
 * again from the new text (`mentionCtes`, as when it was sent): rows no longer mentioned go, new ones
 * come, the others stay.
 */
export async function updateContent(
  tx: Executor,
  roomId: string,
  id: string,
  content: string,
): Promise<MessageRow | undefined> {
  const row = await changeMessage(tx, roomId, id, sql`content = ${content}, edited_at = now()`);
  if (!row) return undefined;
  const parsed = parseMentions(content);
  const [updated] = await queryRows<{ mentions: unknown; mentions_all: boolean }>(
    tx,
    sql`with wanted as (
          select 1 as ord, ${row.senderId}::uuid as sender_id, ${parsed.all}::boolean as wants_all,
                 ${row.replyToId}::uuid as reply_to_id, ${sql.param(parsed.names)}::text[] as names
        ), ${mentionCtes(roomId)}, gone as (
          delete from message_mentions mm
          where mm.message_id = ${id} and mm.user_id not in (select user_id from notified)
        ), added as (
          insert into message_mentions (message_id, user_id, room_id, seq, created_at)
          select m.id, n.user_id, m.room_id, m.seq, m.created_at
          from notified n join ${messages} m on m.id = ${id}
          where not exists (select 1 from message_mentions x
                            where x.message_id = ${id} and x.user_id = n.user_id)
        )
        update ${messages} set mentions = ${mentionIdsOf(sql`1`)}, mentions_all = ${mentionsAllOf(sql`1`)}
        where ${messages.id} = ${id}
        returning mentions, mentions_all`,
  );
  return {
    ...row,
    mentions: getTableColumns(messages).mentions.mapFromDriverValue(updated!.mentions) as string[],
    mentionsAll: updated!.mentions_all,
  };
}

/**
 * THE deletion of messages, one or many, in ONE statement run after `lockRoom`: each live one among
 * `ids` (of this room) becomes a tombstone that keeps its seq and clientId (a retried send gets the
 * tombstone, never a new message), loses its content and reactions, and takes the room's next rev, in
 * seq order; the room's rev moves to the last. Returns the tombstones in rev order; ids gone or
 * already deleted are skipped and use no rev.
 */
export async function softDeleteMany(
  tx: Executor,
  roomId: string,
  ids: string[],
): Promise<StoredMessage[]> {
  if (ids.length === 0) return [];
  const rows = await queryRows<RecordRow>(
    tx,
    sql`with r as (
          select rev from ${rooms} where id = ${roomId}
        ), target as (
          select id, row_number() over (order by seq) as n from ${messages}
          where id = any(${sql.param(ids)}::uuid[]) and room_id = ${roomId} and deleted_at is null
        ), m as (
          update ${messages} as dm set rev = r.rev + t.n, content = '', deleted_at = now()
          from r, target t
          where dm.id = t.id
          returning ${columnsSql(messages, 'dm', '', NOT_READ)}
        ), b as (
          update ${rooms} set rev = (select max(rev) from m)
          where id = ${roomId} and exists (select 1 from m)
        ), x as (
          delete from ${messageReactions} where message_id in (select id from m)
        )
        select * from m order by rev`,
  );
  return rows.map((r) => storedMessage(r, ''));
}

/** One message's deletion (`softDeleteMany` of one id); undefined when it is gone or already deleted. */
export async function softDelete(
  tx: Executor,
  roomId: string,
  id: string,
): Promise<StoredMessage | undefined> {
  return (await softDeleteMany(tx, roomId, [id]))[0];
}

/** What a bulk deletion picks in a room: live messages older than a time, or of one sender. */
export interface DeletionFilter {
  createdBefore?: Date;
  senderId?: string;
}

/** The next `limit` live messages of a room that the filter picks, oldest (lowest seq) first. */
export async function listDeletableIds(
  tx: Executor,
  roomId: string,
  filter: DeletionFilter,
  limit: number,
): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`select id from ${messages}
        where room_id = ${roomId} and deleted_at is null
        ${filter.createdBefore ? sql`and created_at < ${filter.createdBefore.toISOString()}::timestamptz` : sql``}
        ${filter.senderId ? sql`and sender_id = ${filter.senderId}` : sql``}
        order by seq
        limit ${limit}`,
  );
  return rows.map((r) => r.id);
}

export interface ReactionGroup {
  emoji: string;
  count: number;
  userIds: string[];
}

/** Reactions grouped by emoji, in the order each emoji was first used. */
export async function reactionsOf(
  db: Executor,
  messageIds: string[],
): Promise<Map<string, ReactionGroup[]>> {
  const result = new Map<string, ReactionGroup[]>();
  if (messageIds.length === 0) return result;
  const rows = await db
    .select()
    .from(messageReactions)
    .where(inArray(messageReactions.messageId, messageIds))
    .orderBy(asc(messageReactions.createdAt), asc(messageReactions.userId));
  for (const r of rows) {
    const groups = result.get(r.messageId) ?? [];
    let group = groups.find((g) => g.emoji === r.emoji);
    if (!group) {
      group = { emoji: r.emoji, count: 0, userIds: [] };
      groups.push(group);
    }
    group.count += 1;
    group.userIds.push(r.userId);
    result.set(r.messageId, groups);
  }
  return result;
}

export async function removeReaction(
  tx: Executor,
  messageId: string,
  userId: string,
  emoji: string,
): Promise<boolean> {
  const rows = await tx
    .delete(messageReactions)
    .where(
      and(
        eq(messageReactions.messageId, messageId),
        eq(messageReactions.userId, userId),
        eq(messageReactions.emoji, emoji),
      ),
    )
    .returning({ emoji: messageReactions.emoji });
  return rows.length > 0;
}

export async function distinctEmojiCount(
  tx: Executor,
  messageId: string,
  emoji: string,
): Promise<{ distinct: number; hasEmoji: boolean }> {
  const rows = await queryRows<{ distinct: number; has_emoji: boolean }>(
    tx,
    sql`select count(distinct emoji)::int as distinct, bool_or(emoji = ${emoji}) as has_emoji
        from ${messageReactions} where message_id = ${messageId}`,
  );
  return { distinct: Number(rows[0]?.distinct ?? 0), hasEmoji: rows[0]?.has_emoji ?? false };
}

export async function addReaction(
  tx: Executor,
  messageId: string,
  userId: string,
  emoji: string,
): Promise<void> {
  await tx.insert(messageReactions).values({ messageId, userId, emoji }).onConflictDoNothing();
}

export interface SearchHit {
  id: string;
  rank: number;
  /** created_at in microseconds since the epoch, as text (exact, unlike a JS Date). */
  createdUs: string;
  snippet: string;
}

/** Where the previous page ended: results sort by (rank, created_at, id), all descending. */
export interface SearchAfter {
  rank: number;
  createdUs: string;
  id: string;
}

/**
 * Full-text search over the rooms the user is a member of: prefix-matching tsquery on the GIN index,
 * ranked, with a highlighted snippet (\u0001 and \u0002 mark the hits, to be turned into HTML safely).
 * The caller's rooms are one array (`= any(array(...))`), so the planner ANDs one bitmap of their
 * messages with one bitmap of the matches and ranks only what is in both; a join with the memberships
 * made it scan the search index once per room (3–10× slower at 1 M messages, `bench/results`).
 * Keyset-paginated, so messages arriving between pages neither repeat nor hide a hit.
 */
export async function searchMessages(
  db: Executor,
  params: { userId: string; tsquery: string; roomId?: string; after?: SearchAfter; limit: number },
): Promise<SearchHit[]> {
  const rank = sql`ts_rank(m.search_vector, q)`;
  const createdUs = sql`(extract(epoch from m.created_at) * 1000000)::bigint`;
  const { after } = params;
  const rows = await queryRows<{ id: string; rank: number; created_us: string; snippet: string }>(
    db,
    // Rank and sort the matches first, then build snippets (costly) for the page's rows only.
    sql`select p.id, p.rank, p.created_us::text as created_us,
               ts_headline('simple', m.content, to_tsquery('simple', ${params.tsquery}),
                 'StartSel=' || chr(1) || ', StopSel=' || chr(2) ||
                 ', MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "') as snippet
        from (
          select m.id, ${rank} as rank, ${createdUs} as created_us
          from ${messages} m, to_tsquery('simple', ${params.tsquery}) q
          where m.search_vector @@ q
            and m.room_id = any(array(select rm.room_id from ${roomMembers} rm
                                      where rm.user_id = ${params.userId}))
            and m.deleted_at is null
            ${params.roomId ? sql`and m.room_id = ${params.roomId}` : sql``}
            ${after ? sql`and (${rank}, ${createdUs}, m.id) < (${after.rank}::real, ${after.createdUs}::bigint, ${after.id}::uuid)` : sql``}
          order by 2 desc, 3 desc, m.id desc
          limit ${params.limit}
        ) p
        join ${messages} m on m.id = p.id
        order by p.rank desc, p.created_us desc, p.id desc`,
  );
  return rows.map((r) => ({
    id: r.id,
    rank: Number(r.rank),
    createdUs: r.created_us,
    snippet: r.snippet,
  }));
}
