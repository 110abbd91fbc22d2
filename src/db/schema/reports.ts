import { index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { messages } from './messages.js';
import { users } from './users.js';

export const REPORT_ACTIONS = ['dismiss', 'delete-message', 'deactivate-sender'] as const;
export type ReportAction = (typeof REPORT_ACTIONS)[number];

/** A member's report of a message (SPEC "Reports"): once per reporter and message, resolved by admins. */
export const reports = pgTable(
  'reports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    messageId: uuid('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    reporterId: uuid('reporter_id').references(() => users.id, { onDelete: 'set null' }),
    reason: text('reason').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, mode: 'date' }),
    resolvedBy: uuid('resolved_by').references(() => users.id, { onDelete: 'set null' }),
    action: text('action').$type<ReportAction>(),
    note: text('note'),
  },
  (t) => [
    uniqueIndex('reports_message_reporter_uq').on(t.messageId, t.reporterId),
    index('reports_open_idx').on(t.resolvedAt, t.createdAt),
  ],
);

export type ReportRow = typeof reports.$inferSelect;
