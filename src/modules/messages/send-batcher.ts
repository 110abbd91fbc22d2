import type { Db, Tx } from '../../db/client.js';
import { transaction } from '../../db/tx.js';
import { pgCode } from '../../errors.js';
import { lockRoom } from '../rooms/rooms.port.js';
import * as repo from './messages.repo.js';
import type { InsertedMessage, NewMessage } from './messages.repo.js';

type Inserted = InsertedMessage | undefined;

/**
 * Inserts sends into a room: one transaction that locks the room (the first lock, see db/tx.ts) and
 * runs the one seq/rev-allocating statement (`insertMessages`); `attach` runs in the same transaction
 * (a file message stores its file row). A unique violation means a concurrent send committed the same
 * clientId (to another room): the transaction is run again, and then sees it. Undefined entries are
 * sends the statement refused (not a member, or clientId used).
 */
export async function insertIntoRoom(
  db: Db,
  roomId: string,
  sends: NewMessage[],
  attach?: (tx: Tx, inserted: (InsertedMessage['message'] | undefined)[]) => Promise<void>,
): Promise<Inserted[]> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await transaction(db, async (tx) => {
        if (!(await lockRoom(tx, roomId))) return sends.map(() => undefined);
        const rows = await repo.insertMessages(tx, roomId, sends);
        await attach?.(
          tx,
          rows.map((r) => r?.message),
        );
        return rows;
      });
    } catch (err) {
      if (pgCode(err) !== '23505' || attempt >= 3) throw err;
    }
  }
}

interface Pending extends NewMessage {
  resolve(result: Inserted): void;
  reject(err: unknown): void;
}

const MAX_BATCH = 200;

/**
 * Groups concurrent text sends to the same room into one insert statement. Seq allocation serialises
 * the senders of a room on its row lock until commit; under load, the sends that queue up behind one
 * insert go in together with the next, so a busy room pays one lock and one commit per batch instead of
 * per message. An idle room's send goes at once (a batch of one): no added latency.
 * Resolves each send with its row, or undefined when the statement refused it.
 */
export function createSendBatcher(db: Db) {
  const queues = new Map<string, Pending[]>();

  async function drain(roomId: string, queue: Pending[]): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH);
      try {
        const rows = await insertIntoRoom(db, roomId, batch);
        batch.forEach((p, i) => p.resolve(rows[i]));
      } catch (err) {
        batch.forEach((p) => p.reject(err));
      }
    }
    queues.delete(roomId);
  }

  return {
    send(roomId: string, message: NewMessage): Promise<Inserted> {
      return new Promise((resolve, reject) => {
        const existing = queues.get(roomId);
        const pending: Pending = { ...message, resolve, reject };
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
