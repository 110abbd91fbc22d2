import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from './users.js';

export const ROOM_TYPES = ['public', 'private', 'direct'] as const;
export type RoomType = (typeof ROOM_TYPES)[number];
export const ROOM_ROLES = ['owner', 'admin', 'member'] as const;
export type RoomRole = (typeof ROOM_ROLES)[number];
export const NOTIFY_LEVELS = ['all', 'mentions', 'none'] as const;
export type NotifyLevel = (typeof NOTIFY_LEVELS)[number];

export const rooms = pgTable(
  'rooms',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    type: text('type').$type<RoomType>().notNull(),
    description: text('description'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    /** The seq of the newest message; bumped in the same transaction as each insert, so seq has no gaps. */
    lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(0),
    /**
     * The room's revision: the rev of its latest message change (new, edited, reacted, deleted). Taken
     * only by `takeRevisions` / the insert statement, under this row's lock, so it is gapless and commits
     * in order.
     */
    rev: bigint('rev', { mode: 'number' }).notNull().default(0),
    lastMessageAt: timestamp('last_message_at', { withTimezone: true, mode: 'date' }),
    /** Kept in the same transaction as membership changes. */
    memberCount: integer('member_count').notNull().default(0),
    /** `smallerUserId:largerUserId` for direct rooms: one room per pair, whoever asks first. */
    directKey: text('direct_key'),
    /** Slow mode (SPEC "Room moderation"): members other than owner/admins send once per this many seconds; 0 off. */
    slowModeSeconds: integer('slow_mode_seconds').notNull().default(0),
    /** Messages older than this many days are deleted by the retention job; null: the instance's setting. */
    retentionDays: integer('retention_days'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('rooms_slug_uq').on(t.slug),
    uniqueIndex('rooms_direct_key_uq').on(t.directKey),
    index('rooms_public_name_idx')
      .on(sql`lower(${t.name})`, t.id)
      .where(sql`${t.type} = 'public'`),
  ],
);

export const roomMembers = pgTable(
  'room_members',
  {
    roomId: uuid('room_id')
      .notNull()
      .references(() => rooms.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role').$type<RoomRole>().notNull().default('member'),
    /** Read watermark: every message with seq <= this is read. */
    lastReadSeq: bigint('last_read_seq', { mode: 'number' }).notNull().default(0),
    lastReadAt: timestamp('last_read_at', { withTimezone: true, mode: 'date' }),
    joinedAt: timestamp('joined_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** The member's notification level for the room; null: the default of its type (`notifyLevelOf`). */
    notifyLevel: text('notify_level').$type<NotifyLevel>(),
    /** When the member last sent a message of their own (not a system message): slow mode's clock. */
    lastSentAt: timestamp('last_sent_at', { withTimezone: true, mode: 'date' }),
    /** Muted (cannot send, react or edit) since this time, until `mutedUntil` (null: until unmuted). */
    mutedAt: timestamp('muted_at', { withTimezone: true, mode: 'date' }),
    mutedUntil: timestamp('muted_until', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    primaryKey({ columns: [t.roomId, t.userId] }),
    index('room_members_user_idx').on(t.userId, t.roomId),
  ],
);

/** A user banned from a room: removed, and refused on join and add until unbanned. */
export const roomBans = pgTable(
  'room_bans',
  {
    roomId: uuid('room_id')
      .notNull()
      .references(() => rooms.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    bannedBy: uuid('banned_by').references(() => users.id, { onDelete: 'set null' }),
    reason: text('reason'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.userId] })],
);

export type RoomRow = typeof rooms.$inferSelect;
export type RoomBanRow = typeof roomBans.$inferSelect;
export type RoomMemberRow = typeof roomMembers.$inferSelect;
