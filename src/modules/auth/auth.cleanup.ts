import type { Db } from '../../db/client.js';
import type { Logger } from '../../logger.js';
import * as authRepo from './auth.repo.js';

/**
 * A session or token is deleted only once it has been dead this long, so that a request that checked
 * it just before it expired (a refresh inserting the next token) does not find it gone under its feet.
 */
const DEAD_GRACE_MS = 5 * 60_000;
/** Revoked sessions stay a week: the log line of a reuse revocation names one, to look up its client. */
const REVOKED_KEEP_MS = 7 * 24 * 3_600_000;
/** Rows per transaction: a backlog is cleared in short transactions rather than one long one. */
const BATCH_SIZE = 1000;

export interface CleanupResult {
  sessions: number;
  refreshTokens: number;
  /** True when another node held the lock and did (or is doing) this run's work. */
  skipped: boolean;
}

/**
 * Deletes dead sessions (expired, or revoked a week ago) with their refresh tokens, and refresh tokens
 * past their expiry. Each batch is one transaction holding a try-lock, so several nodes running this at
 * once never do the same work: whoever does not get the lock stops.
 */
export async function cleanupAuth(
  db: Db,
  options: { batchSize?: number; shouldStop?: () => boolean } = {},
): Promise<CleanupResult> {
  const limit = options.batchSize ?? BATCH_SIZE;
  const total: CleanupResult = { sessions: 0, refreshTokens: 0, skipped: false };
  while (!options.shouldStop?.()) {
    const batch = await db.transaction(async (tx) => {
      if (!(await authRepo.tryLockCleanup(tx))) return undefined;
      const sessions = await authRepo.deleteDeadSessions(tx, {
        expiredForMs: DEAD_GRACE_MS,
        revokedForMs: REVOKED_KEEP_MS,
        limit,
      });
      const refreshTokens = await authRepo.deleteExpiredRefreshTokens(tx, {
        expiredForMs: DEAD_GRACE_MS,
        limit,
      });
      return { sessions, refreshTokens };
    });
    if (!batch) {
      total.skipped = true;
      break;
    }
    total.sessions += batch.sessions;
    total.refreshTokens += batch.refreshTokens;
    if (batch.sessions < limit && batch.refreshTokens < limit) break;
  }
  return total;
}

export interface AuthCleanupJob {
  /** Runs now, or joins the run in progress. */
  run(): Promise<CleanupResult | undefined>;
  /** Stops the timer and waits for a run in progress to finish its batch. */
  stop(): Promise<void>;
}

/** Runs `cleanupAuth` at start and then every `intervalMs` (0: never), on an unref'd timer. */
export function startAuthCleanup(
  deps: { db: Db; log: Logger },
  intervalMs: number,
): AuthCleanupJob {
  const { db, log } = deps;
  let stopped = false;
  let running: Promise<CleanupResult | undefined> | undefined;

  function run(): Promise<CleanupResult | undefined> {
    running ??= cleanupAuth(db, { shouldStop: () => stopped })
      .then((result) => {
        if (result.sessions > 0 || result.refreshTokens > 0) log.info(result, 'auth cleanup');
        return result;
      })
      .catch((err: unknown) => {
        log.warn({ err }, 'auth cleanup failed; retried at the next interval');
        return undefined;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  const timer = intervalMs > 0 ? setInterval(() => void run(), intervalMs) : undefined;
  timer?.unref();
  if (timer) void run();

  return {
    run,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
