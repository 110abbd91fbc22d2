import { sql, type SQL } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  index,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import { rooms } from './rooms.js';
import { users } from './users.js';

export const MESSAGE_TYPES = ['text', 'file', 'system'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * Deleted messages are kept as tombstones (content erased, deleted_at set) so that seq stays gapless
 * and catch-up pages can tell clients to drop them.
 */
export const messages = pgTable(
  'messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    roomId: uuid('room_id')
      .notNull()
      .references(() => rooms.id, { onDelete: 'cascade' }),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    /** The room revision of this message's latest change. */
    rev: bigint('rev', { mode: 'number' }).notNull(),
    senderId: uuid('sender_id').references(() => users.id, { onDelete: 'set null' }),
    type: text('type').$type<MessageType>().notNull().default('text'),
    content: text('content').notNull(),
    replyToId: uuid('reply_to_id').references((): AnyPgColumn => messages.id, {
      onDelete: 'set null',
    }),
    clientId: text('client_id'),
    /** md5 of the content first sent with clientId: a retry with other content is a CONFLICT, also after deletion. */
    clientHash: text('client_hash'),
    /** The users mentioned by `@username` (members when it was sent or last edited), by id. */
    mentions: uuid('mentions')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    /** `@all`, as its sender was allowed to use it (owner or admin of a room of more than 10). */
    mentionsAll: boolean('mentions_all').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    editedAt: timestamp('edited_at', { withTimezone: true, mode: 'date' }),
    deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'date' }),
    // 'simple' rather than a language: chat is multilingual, and prefix queries (perm:*) cover most stemming.
    searchVector: tsvector('search_vector').generatedAlwaysAs(
      (): SQL => sql`to_tsvector('simple', ${messages.content})`,
    ),
  },
  (t) => [
    uniqueIndex('messages_room_seq_uq').on(t.roomId, t.seq),
    // Catch-up by revision; unique because each revision is taken by exactly one change.
    uniqueIndex('messages_room_rev_uq').on(t.roomId, t.rev),
    // The idempotency key: a retried send with the same clientId can never insert a second row.
    uniqueIndex('messages_sender_client_id_uq')
      .on(t.senderId, t.clientId)
      .where(sql`${t.clientId} is not null`),
    index('messages_room_deleted_seq_idx')
      .on(t.roomId, t.seq)
      .where(sql`${t.deletedAt} is not null`),
    index('messages_search_idx').using('gin', t.searchVector),
    index('messages_reply_to_idx')
      .on(t.replyToId)
      .where(sql`${t.replyToId} is not null`),
    // The `@all` messages of a room: counted and listed as mentions of every member.
    index('messages_room_mentions_all_idx')
      .on(t.roomId, t.seq)
      .where(sql`${t.mentionsAll}`),
  ],
);

/**
 * Who a message mentions, one row per (message, user), written with the message (and rewritten by an
 * edit): `@username` of a member, the sender of the message it replies to, the other members of a
 * direct room. `@all` is not expanded here (`messages.mentions_all`). `room_id`, `seq` and `created_at`
 * are the message's, so that counting unread mentions and listing mine are index lookups.
 */
export const messageMentions = pgTable(
  'message_mentions',
  {
    messageId: uuid('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    roomId: uuid('room_id')
      .notNull()
      .references(() => rooms.id, { onDelete: 'cascade' }),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.messageId, t.userId] }),
    index('message_mentions_user_room_seq_idx').on(t.userId, t.roomId, t.seq),
    index('message_mentions_user_created_idx').on(t.userId, t.createdAt, t.messageId),
  ],
);

export const messageReactions = pgTable(
  'message_reactions',
  {
    messageId: uuid('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    emoji: text('emoji').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.messageId, t.emoji, t.userId] })],
);

export type MessageRow = typeof messages.$inferSelect;
