import { bigint, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { messages } from './messages.js';
import { rooms } from './rooms.js';
import { users } from './users.js';

export const FILE_KINDS = ['image', 'video', 'document'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/** An uploaded file, posted into its room as a `file` message; the bytes live in the storage driver. */
export const files = pgTable(
  'files',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    messageId: uuid('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    roomId: uuid('room_id')
      .notNull()
      .references(() => rooms.id, { onDelete: 'cascade' }),
    /** The message's seq: a stable, gapless-enough keyset for the media listing. */
    messageSeq: bigint('message_seq', { mode: 'number' }).notNull(),
    uploaderId: uuid('uploader_id').references(() => users.id, { onDelete: 'set null' }),
    storageKey: text('storage_key').notNull(),
    thumbnailKey: text('thumbnail_key'),
    name: text('name').notNull(),
    mime: text('mime').notNull(),
    kind: text('kind').$type<FileKind>().notNull(),
    size: integer('size').notNull(),
    width: integer('width'),
    height: integer('height'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('files_message_idx').on(t.messageId),
    index('files_room_seq_idx').on(t.roomId, t.messageSeq),
    index('files_room_kind_seq_idx').on(t.roomId, t.kind, t.messageSeq),
  ],
);

export type FileRow = typeof files.$inferSelect;
