import type { Executor } from '../../db/client.js';
import { toAppError } from '../../errors.js';
import * as repo from './messages.repo.js';
import type { BatchedSend, InsertedMessage } from './messages.repo.js';

interface Pending extends BatchedSend {
  resolve(result: InsertedMessage | undefined): void;
  reject(err: unknown): void;
}

const MAX_BATCH = 200;

/**
 * Groups concurrent text sends to the same room into one insert statement. Seq allocation serialises
 * the senders of a room on its row lock until commit; under load, the sends that queue up behind one
 * insert go in together with the next, so a busy room pays one lock and one commit per batch instead of
 * per message. An idle room's send goes at once (a batch of one): no added latency.
 * Resolves each send with its row, or undefined when its (sender, clientId) already exists.
 */
export function createSendBatcher(db: Executor) {
  const queues = new Map<string, Pending[]>();

  async function oneByOne(roomId: string, batch: Pending[]): Promise<void> {
    for (const p of batch) {
      try {
        p.resolve(await repo.insertNextMessage(db, { roomId, type: 'text', ...p }));
      } catch (err) {
        p.reject(err);
      }
    }
  }

  async function drain(roomId: string, queue: Pending[]): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH);
      if (batch.length === 1) {
        await oneByOne(roomId, batch);
        continue;
      }
      try {
        const rows = await repo.insertMessageBatch(db, roomId, batch);
        batch.forEach((p, i) => p.resolve(rows[i]));
      } catch (err) {
        // A duplicate clientId in the batch wrote nothing: retry each send on the single-row path,
        // which answers a duplicate with the first message.
        if (toAppError(err).code === 'CONFLICT') await oneByOne(roomId, batch);
        else batch.forEach((p) => p.reject(err));
      }
    }
    queues.delete(roomId);
  }

  return {
    send(roomId: string, message: BatchedSend): Promise<InsertedMessage | undefined> {
      return new Promise((resolve, reject) => {
        const existing = queues.get(roomId);
        const pending = { ...message, resolve, reject };
        if (existing) {
          existing.push(pending);
          return;
        }
        const queue = [pending];
        queues.set(roomId, queue);
        void drain(roomId, queue);
      });
    },
  };
}
