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

export interface MessageRecord {
  message: MessageRow;
  sender: UserRow | null;
  reply: { message: MessageRow; sender: UserRow | null } | null;
}

const replyMessages = alias(messages, 'reply_message');
const replySenders = alias(users, 'reply_sender');
const senders = alias(users, 'sender');

function selectRecords(db: Executor) {
  return db
    .select({
      message: messages,
      sender: senders,
      replyMessage: replyMessages,
      replySender: replySenders,
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

/** Bumps the room's seq and returns the new value; the row lock orders concurrent senders. */
export async function allocateSeq(tx: Executor, roomId: string): Promise<number> {
  const [row] = await tx
    .update(rooms)
    .set({ lastSeq: sql`${rooms.lastSeq} + 1`, lastMessageAt: sql`now()` })
    .where(eq(rooms.id, roomId))
    .returning({ seq: rooms.lastSeq });
  if (!row) throw new Error(`room ${roomId} vanished while sending`);
  return row.seq;
}

/** Inserts a message; returns undefined when the (sender, clientId) pair already exists. */
export async function insertMessage(
  tx: Executor,
  values: {
    roomId: string;
    seq: number;
    senderId: string | null;
    type: MessageRow['type'];
    content: string;
    replyToId?: string | null;
    clientId?: string | null;
  },
): Promise<MessageRow | undefined> {
  const [row] = await tx
    .insert(messages)
    .values(values)
    .onConflictDoNothing({
      target: [messages.senderId, messages.clientId],
      where: sql`${messages.clientId} is not null`,
    })
    .returning();
  return row;
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
  snippet: string;
}

/**
 * Full-text search over the rooms the user is a member of: prefix-matching tsquery on the GIN index,
 * ranked, with a highlighted snippet (\u0001 and \u0002 mark the hits, to be turned into HTML safely).
 */
export async function searchMessages(
  db: Executor,
  params: { userId: string; tsquery: string; roomId?: string; offset: number; limit: number },
): Promise<SearchHit[]> {
  const rows = await queryRows<{ id: string; rank: number; snippet: string }>(
    db,
    sql`select m.id,
               ts_rank(m.search_vector, q) as rank,
               ts_headline('simple', m.content, q,
                 'StartSel=' || chr(1) || ', StopSel=' || chr(2) || ', MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "') as snippet
        from ${messages} m
        join ${roomMembers} rm on rm.room_id = m.room_id and rm.user_id = ${params.userId},
             to_tsquery('simple', ${params.tsquery}) q
        where m.search_vector @@ q
          and m.deleted_at is null
          ${params.roomId ? sql`and m.room_id = ${params.roomId}` : sql``}
        order by rank desc, m.created_at desc, m.id
        offset ${params.offset} limit ${params.limit}`,
  );
  return rows.map((r) => ({ id: r.id, rank: Number(r.rank), snippet: r.snippet }));
}
