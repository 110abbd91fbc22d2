import type { AppContext } from '../../context.js';
import { enqueue, type JobHandler } from '../../jobs/queue.js';
import { appendAudit } from '../admin/admin.port.js';
import type { BulkDeletionOptions, DeletionFilter } from './deletions.js';
import * as repo from './retention.repo.js';

export const RETENTION_JOB = 'retention.run';

export interface RetentionResult {
  /** Rooms in which this run deleted something. */
  rooms: number;
  messages: number;
}

export type RetentionService = ReturnType<typeof createRetentionService>;

/**
 * Retention (SPEC "Retention"): a job of the durable queue deletes the messages older than their
 * room's retention, with their files, as ordinary deletions (tombstones, revs, `message-deleted`).
 * Every node queues the next period's run under one key (`retention.run:<period>`), so each period
 * has one job whichever nodes queue it, and one node claims it (`FOR UPDATE SKIP LOCKED`). Should two
 * runs meet anyway (a run outliving its claim, a node whose clock is behind queueing a period again),
 * each room is deleted from under its lock, batch by batch: the second finds nothing left to delete.
 * Each batch that deleted something writes its `retention.run` audit entry in its own transaction.
 */
export function createRetentionService(
  ctx: AppContext,
  deps: {
    removeMatching: (
      roomId: string,
      filter: DeletionFilter,
      options?: BulkDeletionOptions,
    ) => Promise<{ deleted: number }>;
  },
) {
  const { db, config, log } = ctx;

  /** One run over every room with something past its retention; how much it deleted. */
  async function run(): Promise<RetentionResult> {
    const due = await repo.listRetentionDue(db, config.MESSAGE_RETENTION_DAYS ?? null);
    const result: RetentionResult = { rooms: 0, messages: 0 };
    for (const room of due) {
      const cutoff = room.cutoff.toISOString();
      const { deleted } = await deps.removeMatching(
        room.roomId,
        { createdBefore: room.cutoff },
        {
          record: (tx, messages) =>
            appendAudit(tx, {
              actorId: null,
              action: 'retention.run',
              targetType: 'room',
              targetId: room.roomId,
              details: { messages, days: room.days, cutoff },
            }),
        },
      );
      if (deleted > 0) {
        result.rooms += 1;
        result.messages += deleted;
      }
    }
    if (result.messages > 0) log.info(result, 'retention run');
    return result;
  }

  /** Queues the run of the period after `now`; a period already queued (by any node) is left as is. */
  async function scheduleNext(intervalMs: number, now = Date.now()): Promise<void> {
    const period = Math.floor(now / intervalMs) + 1;
    await enqueue(db, [
      {
        kind: RETENTION_JOB,
        payload: { period, intervalMs },
        dedupeKey: `${RETENTION_JOB}:${intervalMs}:${period}`,
        runAt: new Date(period * intervalMs),
      },
    ]);
  }

  const handler: JobHandler = async () => {
    await run();
    return { done: true };
  };

  return {
    jobs: { [RETENTION_JOB]: handler } as Record<string, JobHandler>,
    run,
    scheduleNext,

    /**
     * Queues the next period's run now and then on a timer (only queueing: the queue runs it once, on
     * whichever node claims it); `intervalMs` 0: this node queues nothing. Returns the stop function.
     */
    startSchedule(intervalMs: number): () => void {
      if (intervalMs <= 0) return () => {};
      const queue = () =>
        void scheduleNext(intervalMs).catch((err: unknown) =>
          log.warn({ err }, 'retention run not queued; retried at the next tick'),
        );
      queue();
      // Often enough that the next period is queued before it starts, whatever the interval.
      const timer = setInterval(queue, Math.min(intervalMs, 60_000));
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
