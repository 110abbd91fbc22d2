import { validationError } from '../../errors.js';
import type { DayRange } from './stats.repo.js';

/** The longest range `GET /admin/stats` answers, in days (a leap year). */
export const MAX_STATS_DAYS = 366;
/** Days in the default range, ending today. */
const DEFAULT_DAYS = 30;
const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of a moment, in UTC. */
export const utcDayOf = (at: Date): string => at.toISOString().slice(0, 10);

/** Midnight UTC of a `YYYY-MM-DD` (parsed as ISO, so years below 100 stay what they say). */
const dayMs = (day: string): number => Date.parse(`${day}T00:00:00Z`);

/**
 * The UTC days a stats request covers: `to` defaults to today, `from` to the 30 days ending at `to`.
 * 400 when `from` is after `to` or the range is longer than 366 days.
 */
export function statsRange(query: { from?: string; to?: string }, now = new Date()): DayRange {
  const to = query.to ?? utcDayOf(now);
  const from = query.from ?? utcDayOf(new Date(dayMs(to) - (DEFAULT_DAYS - 1) * DAY_MS));
  const days = (dayMs(to) - dayMs(from)) / DAY_MS + 1;
  if (days < 1)
    throw validationError('Invalid range', [{ path: 'from', message: 'must not be after to' }]);
  if (days > MAX_STATS_DAYS)
    throw validationError('Invalid range', [
      { path: 'to', message: `at most ${MAX_STATS_DAYS} days from from` },
    ]);
  return { from, to };
}
