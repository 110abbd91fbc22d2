import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../db/client.js';
import { columnsSql, fromRow } from '../db/rows.js';
import { jobs, type JobRow } from '../db/schema/index.js';
import type { Logger } from '../logger.js';

/** Every column of a claimed job, as `fromRow` reads them back. */
const JOB_COLUMNS = columnsSql(jobs, 'jobs', '');

/**
 * The durable job queue (SPEC: background work that must not be lost): an outbox in PostgreSQL. A job
 * is a row written in the same transaction as what causes it (`enqueueSql` inside that statement, or
 * `enqueue` in that transaction); every node runs a worker that claims due jobs with
 * `FOR UPDATE SKIP LOCKED` (so nodes share the work and never run one job twice at once), for
 * `lockMs`: a node killed meanwhile lets the job go when the lock passes, and another node runs it.
 * A handler says whether the job is done, must be retried (when), or is given up; an exception is
 * retried with exponential backoff and jitter. Push uses it; outgoing webhooks and retention are meant
 * to (their kinds are just other handlers).
 */

export type JobOutcome = { done: true } | { retryAt: Date; error: string } | { giveUp: string };

export type JobHandler = (job: JobRow) => Promise<JobOutcome>;

export interface NewJob {
  kind: string;
  payload: Record<string, unknown>;
  /** At most one queued job per key (enqueueing a key already queued does nothing). */
  dedupeKey?: string;
  runAt?: Date;
}

/** Queues jobs (in the caller's transaction when `db` is one). */
export async function enqueue(db: Executor, list: NewJob[]): Promise<void> {
  if (list.length === 0) return;
  await db
    .insert(jobs)
    .values(
      list.map((j) => ({
        kind: j.kind,
        payload: j.payload,
        dedupeKey: j.dedupeKey ?? null,
        runAt: j.runAt ?? new Date(),
      })),
    )
    .onConflictDoNothing({ target: jobs.dedupeKey });
}

/**
 * An INSERT of jobs for a CTE of another statement: `select` yields the rows `(kind, payload, dedupe_key)`
 * (payload jsonb). Written in the same statement as what causes them, they commit with it or not at all.
 */
export function enqueueSql(select: SQL): SQL {
  return sql`insert into ${jobs} (kind, payload, dedupe_key) ${select}
             on conflict (dedupe_key) do nothing`;
}

/**
 * The backoff after `attempts` failed runs: `baseMs` (JOBS_RETRY_BASE_MS, 5 s) doubling to at most
 * 10 min, times a jitter of 0.5–1.5 so that jobs failed together do not retry together.
 */
export function backoffMs(attempts: number, baseMs: number, random = Math.random): number {
  const base = Math.min(baseMs * 2 ** Math.max(0, attempts - 1), 600_000);
  return Math.round(base * (0.5 + random()));
}

export interface JobWorkerOptions {
  pollMs: number;
  lockMs: number;
  retryBaseMs: number;
  /** Jobs claimed (and run concurrently) per round. */
  batch?: number;
}

export function createJobWorker(
  db: Executor,
  log: Logger,
  handlers: Record<string, JobHandler>,
  options: JobWorkerOptions,
) {
  const batch = options.batch ?? 20;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let running: Promise<number> | undefined;

  async function claim(): Promise<JobRow[]> {
    const rows = await queryRows<Record<string, unknown>>(
      db,
      sql`update ${jobs} set locked_until = now() + make_interval(secs => ${options.lockMs / 1000}),
                             attempts = attempts + 1
          where id in (
            select id from ${jobs}
            where run_at <= now() and (locked_until is null or locked_until < now())
            order by run_at, id
            limit ${batch}
            for update skip locked)
          returning ${JOB_COLUMNS}`,
    );
    return rows.map((r) => fromRow(jobs, r, ''));
  }

  /** Records what came of a run; only while the job is still this run's (same attempt). */
  async function settle(job: JobRow, outcome: JobOutcome): Promise<void> {
    const ours = sql`id = ${job.id} and attempts = ${job.attempts}`;
    if ('retryAt' in outcome) {
      await db.execute(
        sql`update ${jobs} set run_at = ${outcome.retryAt.toISOString()}::timestamptz,
                               locked_until = null, last_error = ${outcome.error.slice(0, 500)}
            where ${ours}`,
      );
      return;
    }
    if ('giveUp' in outcome)
      log.warn({ job: job.id, kind: job.kind, reason: outcome.giveUp }, 'job given up');
    await db.execute(sql`delete from ${jobs} where ${ours}`);
  }

  async function runOne(job: JobRow): Promise<void> {
    const handler = handlers[job.kind];
    let outcome: JobOutcome;
    if (!handler) outcome = { giveUp: `no handler for ${job.kind}` };
    else {
      try {
        outcome = await handler(job);
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        outcome = {
          retryAt: new Date(Date.now() + backoffMs(job.attempts, options.retryBaseMs)),
          error,
        };
      }
    }
    await settle(job, outcome);
  }

  /** Claims and runs one round of due jobs; how many. */
  async function runOnce(): Promise<number> {
    const claimed = await claim();
    await Promise.all(
      claimed.map((job) =>
        runOne(job).catch((err: unknown) =>
          log.warn({ err, job: job.id, kind: job.kind }, 'job run failed'),
        ),
      ),
    );
    return claimed.length;
  }

  function schedule(ms: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce();
      running
        .catch((err: unknown) => {
          log.warn({ err }, 'job queue round failed');
          return 0;
        })
        .then((n) => schedule(n >= batch ? 0 : options.pollMs));
    }, ms);
    timer.unref();
  }

  return {
    start(): void {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    /** Stops claiming; waits for the round under way. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => 0);
    },
    runOnce,
  };
}

export type JobWorker = ReturnType<typeof createJobWorker>;
