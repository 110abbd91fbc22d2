import { desc, sql, type AnyColumn, type SQL } from 'drizzle-orm';

/**
 * The (time, id) keyset of the lists paged newest first (`timeIdPage` in src/http/cursor.ts makes
 * their cursors). The time is compared truncated to milliseconds, as a cursor made from a JS Date
 * holds it: ordered and compared on the same truncated value, rows of one millisecond are neither
 * skipped nor repeated between pages.
 */
export const msTime = (time: AnyColumn | SQL): SQL => sql`date_trunc('milliseconds', ${time})`;

/** The rows after `before` in newest-first order; undefined (no condition) on the first page. */
export function olderThan(
  time: AnyColumn | SQL,
  id: AnyColumn | SQL,
  before: { at: Date; id: string } | undefined,
): SQL | undefined {
  if (!before) return undefined;
  return sql`(${msTime(time)}, ${id}) < (${before.at.toISOString()}::timestamptz, ${before.id}::uuid)`;
}

/** Newest first, in the keyset's order. */
export const newestFirst = (time: AnyColumn | SQL, id: AnyColumn | SQL): SQL[] => [
  desc(msTime(time)),
  desc(id),
];
