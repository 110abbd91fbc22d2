import {
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/**
 * The durable job queue (an outbox): rows written in the same transaction as what causes them, run by
 * any node that claims them (`FOR UPDATE SKIP LOCKED`), retried until done or given up. Push uses it;
 * outgoing webhooks and retention are meant to (src/jobs/queue.ts).
 */
export const jobs = pgTable(
  'jobs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** What to do (`push.message`, `push.send`, ...): the handler registered under that name. */
    kind: text('kind').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    /** At most one job per key: enqueueing a key already queued does nothing. */
    dedupeKey: text('dedupe_key'),
    /** Not before then (backoff, Retry-After). */
    runAt: timestamp('run_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** Claimed by a node until then; a node that died lets it go when it passes. */
    lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'date' }),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('jobs_dedupe_key_uq').on(t.dedupeKey), index('jobs_run_at_idx').on(t.runAt)],
);

export type JobRow = typeof jobs.$inferSelect;
