import { and, asc, desc, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { queryRows, type Executor } from '../../db/client.js';
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
  sender: SenderRow | null;
  reply: { message: StoredMessage; sender: SenderRow | null } | null;
}

const replyMessages = alias(messages, 'reply_message');
const replySenders = alias(users, 'reply_sender');
const senders = alias(users, 'sender');

function pick<T, K extends keyof T>(table: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, table[k]])) as Pick<T, K>;
}

const MESSAGE_KEYS = [
  'id',
  'roomId',
  'seq',
  'senderId',
  'type',
  'content',
  'replyToId',
  'clientId',
  'createdAt',
  'editedAt',
  'deletedAt',
] as const;
const SENDER_KEYS = ['id', 'username', 'displayName', 'avatarUrl'] as const;

function selectRecords(db: Executor) {
  return db
    .select({
      message: pick(messages, MESSAGE_KEYS),
      sender: pick(senders, SENDER_KEYS),
      replyMessage: pick(replyMessages, MESSAGE_KEYS),
      replySender: pick(replySenders, SENDER_KEYS),
    })
    .from(messages)
    .leftJoin(senders, eq(senders.id, messages.senderId))
    .leftJoin(replyMessages, eq(replyMessages.id, messages.replyToId))
    .leftJoin(replySenders, eq(replySenders.id, replyMessages.senderId));
}

type RawRecord = Awaited<ReturnType<ReturnType<typeof selectRecords>['execute']>>[number];

function toRecord(r: RawRecord): MessageRecord {
  return {
    message: r.message,
    sender: r.sender,
    reply: r.replyMessage ? { message: r.replyMessage, sender: r.replySender } : null,
  };
}

export async function findMessageRecords(db: Executor, ids: string[]): Promise<MessageRecord[]> {
  if (ids.length === 0) return [];
  const rows = await selectRecords(db).where(inArray(messages.id, ids));
  return rows.map(toRecord);
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

interface InsertedRow {
  id: string;
  room_id: string;
  seq: string | number;
  sender_id: string | null;
  type: MessageRow['type'];
  content: string;
  reply_to_id: string | null;
  client_id: string | null;
  created_at: Date | string;
  edited_at: Date | string | null;
  deleted_at: Date | string | null;
  username: string | null;
  display_name: string | null;
  avatar_url: string | null;
}

const toDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));

function toInserted(r: InsertedRow): InsertedMessage {
  const message: StoredMessage = {
    id: r.id,
    roomId: r.room_id,
    seq: Number(r.seq),
    senderId: r.sender_id,
    type: r.type,
    content: r.content,
    replyToId: r.reply_to_id,
    clientId: r.client_id,
    createdAt: toDate(r.created_at),
    editedAt: r.edited_at ? toDate(r.edited_at) : null,
    deletedAt: r.deleted_at ? toDate(r.deleted_at) : null,
  };
  const sender = r.username
    ? ({
        id: r.sender_id,
        username: r.username,
        displayName: r.display_name,
        avatarUrl: r.avatar_url,
      } as UserRow)
    : null;
  return { message, sender };
}

/**
 * Inserts a message with the room's next seq in ONE statement: the room row is locked (FOR UPDATE) while
 * its last_seq + 1 is taken, and last_seq moves only if the row went in, so neither concurrency nor a
 * duplicate clientId (ON CONFLICT DO NOTHING → undefined) can leave a gap. The sender's read watermark
 * moves in the same statement, and the sender's profile comes back with the row.
 */
export async function insertNextMessage(
  db: Executor,
  values: {
    roomId: string;
    senderId: string;
    type: MessageRow['type'];
    content: string;
    replyToId: string | null;
    clientId: string | null;
  },
): Promise<InsertedMessage | undefined> {
  const rows = await queryRows<InsertedRow>(
    db,
    sql`with ins as (
          insert into ${messages} (room_id, seq, sender_id, type, content, reply_to_id, client_id)
          select r.id, r.last_seq + 1, ${values.senderId}, ${values.type}, ${values.content},
                 ${values.replyToId}, ${values.clientId}
          from ${rooms} r where r.id = ${values.roomId}
          for update
          on conflict (sender_id, client_id) where client_id is not null do nothing
          returning id, room_id, seq, sender_id, type, content, reply_to_id, client_id,
                    created_at, edited_at, deleted_at
        ), bump as (
          update ${rooms} set last_seq = ins.seq, last_message_at = ins.created_at
          from ins where ${rooms.id} = ins.room_id
        ), mark as (
          update ${roomMembers} set last_read_seq = greatest(last_read_seq, ins.seq), last_read_at = now()
          from ins where ${roomMembers.roomId} = ins.room_id and ${roomMembers.userId} = ins.sender_id
        )
        select ins.*, u.username, u.display_name, u.avatar_url
        from ins left join ${users} u on u.id = ins.sender_id`,
  );
  const r = rows[0];
  return r ? toInserted(r) : undefined;
}

export interface BatchedSend {
  senderId: string;
  content: string;
  replyToId: string | null;
  clientId: string | null;
}

/**
 * Inserts several text messages into one room in ONE statement: one lock on the room row and one commit
 * for the whole batch, seqs last_seq + 1 … + n in the given order. There is no ON CONFLICT here: a
 * duplicate clientId fails the whole statement (nothing is written, no seq is used), and the caller
 * retries those sends one by one.
 */
export async function insertMessageBatch(
  db: Executor,
  roomId: string,
  sends: BatchedSend[],
): Promise<InsertedMessage[]> {
  const rows = await queryRows<InsertedRow>(
    db,
    sql`with input as (
          select * from unnest(
            ${sql.param(sends.map((m) => m.senderId))}::uuid[],
            ${sql.param(sends.map((m) => m.content))}::text[],
            ${sql.param(sends.map((m) => m.replyToId))}::uuid[],
            ${sql.param(sends.map((m) => m.clientId))}::text[]
          ) with ordinality as t(sender_id, content, reply_to_id, client_id, ord)
        ), room as (
          select id, last_seq from ${rooms} where id = ${roomId} for update
        ), ins as (
          insert into ${messages} (room_id, seq, sender_id, type, content, reply_to_id, client_id)
          select room.id, room.last_seq + t.ord, t.sender_id, 'text', t.content, t.reply_to_id, t.client_id
          from input t cross join room
          returning id, room_id, seq, sender_id, type, content, reply_to_id, client_id,
                    created_at, edited_at, deleted_at
        ), bump as (
          update ${rooms} set last_seq = (select max(seq) from ins), last_message_at = now()
          where ${rooms.id} = ${roomId}
        ), mark as (
          update ${roomMembers} set last_read_seq = greatest(last_read_seq, x.seq), last_read_at = now()
          from (select sender_id, max(seq) as seq from ins group by sender_id) x
          where ${roomMembers.roomId} = ${roomId} and ${roomMembers.userId} = x.sender_id
        )
        select ins.*, u.username, u.display_name, u.avatar_url
        from ins left join ${users} u on u.id = ins.sender_id
        order by ins.seq`,
  );
  return rows.map(toInserted);
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
export async function listBefore(
  db: Executor,
  roomId: string,
  before: number | undefined,
  limit: number,
): Promise<MessageRecord[]> {
  const rows = await selectRecords(db)
    .where(
      and(
        eq(messages.roomId, roomId),
        isNull(messages.deletedAt),
        before !== undefined ? lt(messages.seq, before) : undefined,
      ),
    )
    .orderBy(desc(messages.seq))
    .limit(limit);
  return rows.map(toRecord);
}

/** Catch-up: everything after `after`, oldest first, tombstones included so clients can drop them. */
export async function listAfter(
  db: Executor,
  roomId: string,
  after: number,
  limit: number,
): Promise<MessageRecord[]> {
  const rows = await selectRecords(db)
    .where(and(eq(messages.roomId, roomId), gt(messages.seq, after)))
    .orderBy(asc(messages.seq))
    .limit(limit);
  return rows.map(toRecord);
}

export async function updateContent(
  db: Executor,
  id: string,
  content: string,
): Promise<MessageRow | undefined> {
  const [row] = await db
    .update(messages)
    .set({ content, editedAt: sql`now()` })
    .where(and(eq(messages.id, id), isNull(messages.deletedAt)))
    .returning();
  return row;
}

/** Erases a message's content and reactions, leaving a tombstone that keeps its seq. */
export async function softDelete(tx: Executor, id: string): Promise<MessageRow | undefined> {
  const [row] = await tx
    .update(messages)
    .set({ content: '', deletedAt: sql`now()`, clientId: null })
    .where(and(eq(messages.id, id), isNull(messages.deletedAt)))
    .returning();
  if (row) await tx.delete(messageReactions).where(eq(messageReactions.messageId, id));
  return row;
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

/** Locks the message row so concurrent reactions on it are counted one after another. */
export async function lockLiveMessage(tx: Executor, id: string): Promise<MessageRow | undefined> {
  const [row] = await tx
    .select()
    .from(messages)
    .where(and(eq(messages.id, id), isNull(messages.deletedAt)))
    .for('update')
    .limit(1);
  return row;
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
          from ${messages} m
          join ${roomMembers} rm on rm.room_id = m.room_id and rm.user_id = ${params.userId},
               to_tsquery('simple', ${params.tsquery}) q
          where m.search_vector @@ q
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
