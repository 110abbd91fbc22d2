import { sql } from 'drizzle-orm';
import {
  index,
  pgSequence,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const USER_STATUSES = ['online', 'away', 'busy', 'offline'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];
export const USER_ROLES = ['user', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** Numbers the anonymised names of erased accounts: `deleted-user-<n>`. */
export const erasedUserSeq = pgSequence('erased_user_seq');

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    username: text('username').notNull(),
    /** Null once the account is erased (SPEC "My data"): the address is free again. */
    email: text('email'),
    passwordHash: text('password_hash').notNull(),
    displayName: text('display_name'),
    bio: text('bio'),
    avatarUrl: text('avatar_url'),
    avatarKey: text('avatar_key'),
    status: text('status').$type<UserStatus>().notNull().default('online'),
    /** Instance role: `admin` only through `npm run admin -- grant` (SPEC "Instance admins"). */
    role: text('role').$type<UserRole>().notNull().default('user'),
    /** Set by an admin: every session revoked, login refused, until reactivated. */
    deactivatedAt: timestamp('deactivated_at', { withTimezone: true, mode: 'date' }),
    deactivationReason: text('deactivation_reason'),
    /** The last sign-in or token refresh. */
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }),
    /** Set when the user erased their account: anonymised as `deleted-user-<n>`, no sign-in ever again. */
    erasedAt: timestamp('erased_at', { withTimezone: true, mode: 'date' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    // text_pattern_ops serves both the case-insensitive uniqueness check and prefix search (LIKE 'ab%').
    uniqueIndex('users_username_lower_uq').using(
      'btree',
      sql`lower(${t.username}) text_pattern_ops`,
    ),
    uniqueIndex('users_email_lower_uq').using('btree', sql`lower(${t.email})`),
    index('users_display_name_lower_idx').using(
      'btree',
      sql`lower(${t.displayName}) text_pattern_ops`,
    ),
  ],
);

export type UserRow = typeof users.$inferSelect;

/** `blocker` blocked `blocked`: no push of the blocked's messages, no direct room between them. */
export const userBlocks = pgTable(
  'user_blocks',
  {
    blockerId: uuid('blocker_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    blockedId: uuid('blocked_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.blockerId, t.blockedId] }),
    index('user_blocks_blocked_idx').on(t.blockedId, t.blockerId),
  ],
);

export type UserBlockRow = typeof userBlocks.$inferSelect;
