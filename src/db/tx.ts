import { AppError, pgCode } from '../errors.js';
import type { Db, Tx } from './client.js';

/** PostgreSQL's "try again" failures: a deadlock victim (40P01) or a serialization failure (40001). */
export function isRetryableConflict(err: unknown): boolean {
  const code = pgCode(err);
  return code === '40P01' || code === '40001';
}

const ATTEMPTS = 4;

/**
 * Runs `fn` in a transaction, retrying it from the start when PostgreSQL aborts it as a deadlock victim
 * or a serialization failure (with a short random backoff), and answering SERVICE_UNAVAILABLE with
 * `Retry-After` when it keeps failing. Every multi-statement write goes through here.
 *
 * Lock order (the one rule that keeps concurrent writes free of deadlocks): a transaction that touches
 * a room's rows locks the `rooms` row first (`lockRoom` in rooms.repo; other features call it through
 * rooms.port), then member rows, then message rows, then reactions and files. A statement that locks
 * several rooms' rows (the realtime re-check's share lock) takes them in id order.
 */
export async function transaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await db.transaction(fn);
    } catch (err) {
      if (!isRetryableConflict(err)) throw err;
      if (attempt >= ATTEMPTS) {
        const e = new AppError(
          'SERVICE_UNAVAILABLE',
          'The server is busy with conflicting changes, please retry',
          undefined,
          1,
        );
        e.cause = err;
        throw e;
      }
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20 * attempt));
    }
  }
}
