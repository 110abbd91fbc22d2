import type { AppContext } from '../../context.js';
import type { Tx } from '../../db/client.js';
import { transaction } from '../../db/tx.js';
import { lockRoom } from '../rooms/rooms.port.js';
import { messageDeleted } from './messages.events.js';
import * as repo from './messages.repo.js';
import type { DeletionFilter, StoredMessage } from './messages.repo.js';

export type { DeletionFilter } from './messages.repo.js';

/** What `message-deleted` carries, and what a deletion answers. */
export interface DeletedEvent {
  id: string;
  room: string;
  seq: number;
  rev: number;
}

/** Messages tombstoned per transaction: a backlog never holds the room's lock long. */
export const DELETION_BATCH = 200;

export interface BulkDeletionOptions {
  /** Runs in each batch's transaction with how many it deleted (> 0): the audit entry of the batch. */
  record?: (tx: Tx, deleted: number) => Promise<void>;
  batchSize?: number;
}

/**
 * The deletion of messages, one or many: every path that deletes (the sender, a room moderator, an
 * instance admin, retention, erasure) tombstones with `repo.softDeleteMany` under the room's lock and
 * then `announce`s, so a deletion looks the same to clients whoever made it.
 */
export function createDeletions(
  ctx: AppContext,
  onMessageDeleted?: (message: StoredMessage) => Promise<void>,
) {
  const { db, broadcaster } = ctx;

  /**
   * After the commit: `message-deleted` to the room in rev order, then the messages' stored files go
   * (one after another: a batch of file messages does not open hundreds of storage requests at once).
   */
  async function announce(roomId: string, deleted: StoredMessage[]): Promise<DeletedEvent[]> {
    const events = deleted.map((m) => ({ id: m.id, room: roomId, seq: m.seq, rev: m.rev }));
    for (const event of events) broadcaster.toRoomInOrder(roomId, event.rev, messageDeleted, event);
    for (const message of deleted) {
      // The deletion is committed whatever happens to its files: a failure is logged, not answered.
      await onMessageDeleted?.(message).catch((err: unknown) =>
        ctx.log.error({ err, messageId: message.id }, 'files of a deleted message not purged'),
      );
    }
    return events;
  }

  return {
    announce,

    /**
     * Deletes one message as an ordinary deletion: under the room's lock, `check` (who may, decided at
     * this moment; it throws to refuse), the tombstone, `record` (an audit entry) in the same
     * transaction, then `announce`. Undefined when the room or the live message is gone.
     */
    async removeOne(
      roomId: string,
      messageId: string,
      steps: { check?: (tx: Tx) => Promise<void>; record?: (tx: Tx) => Promise<void> } = {},
    ): Promise<DeletedEvent | undefined> {
      const row = await transaction(db, async (tx) => {
        if (!(await lockRoom(tx, roomId))) return undefined;
        await steps.check?.(tx);
        const deleted = await repo.softDelete(tx, roomId, messageId);
        if (deleted) await steps.record?.(tx);
        return deleted;
      });
      return row ? (await announce(roomId, [row]))[0] : undefined;
    },

    /**
     * Deletes every live message of a room that `filter` picks, as ordinary deletions (a tombstone and
     * a rev each, `message-deleted`, files deleted), in batches of `batchSize` per transaction under
     * the room's lock; `record` writes each batch's audit entry in that transaction. A second caller
     * running the same at once waits for the lock and then finds those messages gone: nothing is
     * deleted twice. Returns how many this call deleted (0 when the room is gone).
     */
    async removeMatching(
      roomId: string,
      filter: DeletionFilter,
      options: BulkDeletionOptions = {},
    ): Promise<{ deleted: number }> {
      const size = options.batchSize ?? DELETION_BATCH;
      let total = 0;
      for (;;) {
        const batch = await transaction(db, async (tx) => {
          if (!(await lockRoom(tx, roomId))) return { ids: [], rows: [] };
          const ids = await repo.listDeletableIds(tx, roomId, filter, size);
          const rows = await repo.softDeleteMany(tx, roomId, ids);
          if (rows.length > 0) await options.record?.(tx, rows.length);
          return { ids, rows };
        });
        await announce(roomId, batch.rows);
        total += batch.rows.length;
        if (batch.ids.length < size) return { deleted: total };
      }
    },
  };
}
