import type { Actor, AppContext } from '../../context.js';
import { transaction } from '../../db/tx.js';
import { forbidden, pgCode, unauthorized } from '../../errors.js';
import { appendAudit } from '../admin/admin.port.js';
import * as blocksRepo from './blocks.repo.js';
import * as usersRepo from './users.repo.js';
import { toOwnUser } from './users.presenter.js';

/** Rows per query while an export walks a history: memory stays bounded however much I wrote. */
const EXPORT_PAGE = 500;

interface SentPage {
  seq: number;
}

/** What the export and the erasure need of the other features, handed over by app.ts. */
export interface MyDataDeps {
  verifyPassword: (passwordHash: string, password: string) => Promise<boolean>;
  revokeAllSessions: (userId: string) => Promise<number>;
  rooms: {
    membershipsOf: (userId: string) => Promise<unknown[]>;
    leaveEverywhere: (userId: string) => Promise<number>;
  };
  messages: {
    roomsSentIn: (userId: string) => Promise<string[]>;
    sentInRoom: (params: {
      senderId: string;
      roomId: string;
      afterSeq: number;
      limit: number;
    }) => Promise<SentPage[]>;
    removeAllSentBy: (userId: string) => Promise<number>;
  };
  files: {
    uploadsInRoom: (params: {
      uploaderId: string;
      roomId: string;
      afterSeq: number;
      limit: number;
    }) => Promise<SentPage[]>;
    purgeUploadsOf: (userId: string) => Promise<number>;
  };
  removeAvatar: (userId: string) => Promise<void>;
  unsubscribeAll: (userId: string) => Promise<number>;
}

/** What an erasure did, as `DELETE /api/users/me` answers it. */
export interface Erasure {
  erased: true;
  messagesDeleted: number;
  filesDeleted: number;
  roomsLeft: number;
}

export type MyDataService = ReturnType<typeof createMyDataService>;

/** How many times a `deleted-user-<n>` taken by a registered name is skipped before giving up. */
const ANONYMISE_ATTEMPTS = 5;

/**
 * My data (SPEC "My data"): the export of everything I put in, and the erasure of my account. The
 * other features' parts are reached through their services (`deps`).
 */
export function createMyDataService(ctx: AppContext, deps: MyDataDeps) {
  const { db, log } = ctx;

  /**
   * Every page of one kind of my rows, room after room, as comma-separated JSON: each room's
   * rows are read by seq along its own index, EXPORT_PAGE at a time.
   */
  async function* pages(
    roomIds: string[],
    read: (roomId: string, afterSeq: number) => Promise<SentPage[]>,
  ): AsyncGenerator<string> {
    let first = true;
    for (const roomId of roomIds) {
      let afterSeq = 0;
      for (;;) {
        const page = await read(roomId, afterSeq);
        if (page.length > 0) {
          yield (first ? '' : ',') + page.map((row) => JSON.stringify(row)).join(',');
          first = false;
        }
        if (page.length < EXPORT_PAGE) break;
        afterSeq = page.at(-1)!.seq;
      }
    }
  }

  /** Tries the next `deleted-user-<n>` when a registered name took one. */
  async function anonymise(userId: string, counts: Omit<Erasure, 'erased'>): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await transaction(db, async (tx) => {
          if (!(await usersRepo.anonymiseUser(tx, userId))) return;
          await appendAudit(tx, {
            actorId: userId,
            action: 'user.erase',
            targetType: 'user',
            targetId: userId,
            details: counts,
          });
        });
        return;
      } catch (err) {
        if (pgCode(err) !== '23505' || attempt >= ANONYMISE_ATTEMPTS) throw err;
      }
    }
  }

  return {
    /**
     * My data as one JSON document: my profile (as I see it), my rooms (with my role and since when),
     * every message I sent (left rooms included; a deleted one without its content) and my files
     * (with fresh signed URLs). The profile and the rooms are read now (a failure is an ordinary
     * error answer); `body` then produces the rest as it is written, page by page.
     */
    async exportData(actor: Actor): Promise<{ filename: string; body: AsyncGenerator<string> }> {
      const user = await usersRepo.findUserById(db, actor.userId);
      if (!user) throw unauthorized('Session expired or revoked');
      const [rooms, sentIn] = await Promise.all([
        deps.rooms.membershipsOf(user.id),
        deps.messages.roomsSentIn(user.id),
      ]);
      const head = { exportedAt: new Date().toISOString(), user: toOwnUser(user), rooms };
      const me = user.id;
      async function* body(): AsyncGenerator<string> {
        yield `${JSON.stringify(head).slice(0, -1)},"messages":[`;
        yield* pages(sentIn, (roomId, afterSeq) =>
          deps.messages.sentInRoom({ senderId: me, roomId, afterSeq, limit: EXPORT_PAGE }),
        );
        yield '],"files":[';
        // My files are in rooms I sent in: each upload is a message of mine.
        yield* pages(sentIn, (roomId, afterSeq) =>
          deps.files.uploadsInRoom({ uploaderId: me, roomId, afterSeq, limit: EXPORT_PAGE }),
        );
        yield ']}';
      }
      log.info({ userId: user.id, rooms: sentIn.length }, 'data export');
      return { filename: `export-${user.username}.json`, body: body() };
    },

    /**
     * Erases my account, given my password (403 when it is not right). In order: every session revoked
     * and socket closed; my messages deleted room by room as ordinary deletions (tombstones, revs,
     * `message-deleted`); my files and avatar deleted with their stored objects; every room left (an
     * owner hands it on; a room left empty is deleted); my push subscriptions and blocks gone; then
     * the account anonymised and deactivated, with its audit entry. Each step is safe to run again, and
     * the anonymisation is last: an erasure that failed midway is finished by asking again (signing in
     * still works until then).
     */
    async erase(actor: Actor, password: string): Promise<Erasure> {
      const user = await usersRepo.findUserById(db, actor.userId);
      if (!user || user.erasedAt) throw unauthorized('Session expired or revoked');
      if (!(await deps.verifyPassword(user.passwordHash, password)))
        throw forbidden('The password is not right');
      const userId = user.id;
      await deps.revokeAllSessions(userId);
      const messagesDeleted = await deps.messages.removeAllSentBy(userId);
      const filesDeleted = await deps.files.purgeUploadsOf(userId);
      await deps.removeAvatar(userId);
      const roomsLeft = await deps.rooms.leaveEverywhere(userId);
      await deps.unsubscribeAll(userId);
      await blocksRepo.deleteBlocksOf(db, userId);
      const counts = { messagesDeleted, filesDeleted, roomsLeft };
      await anonymise(userId, counts);
      // A session opened with the password while the steps above ran: refused from now on (the
      // account is deactivated), its sockets closed, and anything it sent deleted too.
      await deps.revokeAllSessions(userId);
      const late = await deps.messages.removeAllSentBy(userId);
      log.info({ userId, ...counts, late }, 'account erased');
      return { erased: true, ...counts, messagesDeleted: messagesDeleted + late };
    },
  };
}
