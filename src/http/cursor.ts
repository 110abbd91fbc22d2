import { isId } from '../db/ids.js';
import { validationError } from '../errors.js';

/** Cursors are opaque to clients: a tagged, base64url-encoded position. */
export function encodeCursor(kind: string, value: string | number): string {
  return Buffer.from(`${kind}:${value}`, 'utf8').toString('base64url');
}

/** Decodes a cursor of the expected kind or throws VALIDATION_ERROR. */
export function decodeCursor(kind: string, cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const prefix = `${kind}:`;
  if (!decoded.startsWith(prefix) || decoded.length === prefix.length) {
    throw validationError('Invalid cursor', [
      { path: 'cursor', message: 'not a cursor from this list' },
    ]);
  }
  return decoded.slice(prefix.length);
}

/** Decodes a cursor holding JSON (a keyset of several values) and checks its shape. */
export function decodeJsonCursor<T>(
  kind: string,
  cursor: string,
  check: (v: unknown) => v is T,
): T {
  let value: unknown;
  try {
    value = JSON.parse(decodeCursor(kind, cursor));
  } catch {
    throw validationError('Invalid cursor');
  }
  if (!check(value)) throw validationError('Invalid cursor');
  return value;
}

/** Decodes a numeric cursor (a sequence number). */
export function decodeSeqCursor(kind: string, cursor: string): number {
  const raw = decodeCursor(kind, cursor);
  if (!/^\d{1,15}$/.test(raw)) {
    throw validationError('Invalid cursor', [
      { path: 'cursor', message: 'not a cursor from this list' },
    ]);
  }
  return Number(raw);
}

/**
 * A (time, id) keyset as `[ISO 8601 time, uuid]`, the position of a list ordered by a time and an id
 * (my rooms by activity, my blocks, my mentions); an impossible date or a non-id is refused.
 */
export const isTimeIdPair = (v: unknown): v is [string, string] =>
  Array.isArray(v) &&
  v.length === 2 &&
  typeof v[0] === 'string' &&
  typeof v[1] === 'string' &&
  isId(v[1]) &&
  !Number.isNaN(Date.parse(v[0])) &&
  Math.abs(Date.parse(v[0])) < 8.64e15;

/**
 * One page of a list read with `limit + 1` rows on a (time, id) keyset: the first `limit` rows, and the
 * cursor of the last one when there were more (`decodeJsonCursor(kind, …, isTimeIdPair)` reads it back).
 */
export function timeIdPage<T>(
  rows: T[],
  limit: number,
  kind: string,
  /** The row's time (a Date, or a timestamp string kept at the database's precision) and id. */
  key: (row: T) => [Date | string, string],
): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  if (rows.length <= limit || !last) return { page, nextCursor: null };
  const [at, id] = key(last);
  const time = typeof at === 'string' ? at : at.toISOString();
  return { page, nextCursor: encodeCursor(kind, JSON.stringify([time, id])) };
}
