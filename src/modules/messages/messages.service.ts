import { createHash } from 'node:crypto';
import type { Actor, AppContext } from '../../context.js';
import type { Tx } from '../../db/client.js';
import { transaction } from '../../db/tx.js';
import { isId } from '../../db/ids.js';
import type { MessageRow } from '../../db/schema/index.js';
import { appendAudit } from '../admin/admin.port.js';
import {
  AppError,
  conflict,
  forbidden,
  notFound,
  toAppError,
  validationError,
  type ErrorCode,
} from '../../errors.js';
import { decodeJsonCursor, encodeCursor, isTimeIdPair, timeIdPage } from '../../http/cursor.js';
import type { PageInfo } from '../../http/respond.js';
import {
  isModerator,
  assertNotMuted,
  lockRoomForMember,
  requireMember,
  slowModeWait,
  type RoomAccess,
} from '../rooms/rooms.port.js';
import { isDirectBlocked } from '../users/users.port.js';
import { parseSeqCursor } from './message-cursor.js';
import {
  toMessageView,
  toTombstone,
  type MessageView,
  type Tombstone,
} from './messages.presenter.js';
import { createDeletions, type DeletedEvent } from './deletions.js';
import {
  messageReaction,
  messageReadReceipt,
  messageUpdated,
  newMessage,
} from './messages.events.js';
import * as repo from './messages.repo.js';
import * as sentRepo from './sent.repo.js';
import type { SentMessage } from './sent.repo.js';
import type { NewMessage, ReactionGroup, SearchAfter, StoredMessage } from './messages.repo.js';
import { requireMessageAccess } from './messages.port.js';
import type { SendMessageInput } from './messages.schemas.js';
import { hydrate, loadMessageViews, noFiles, type FileViewLoader } from './messages.views.js';
import { snippetToHtml, toPrefixTsquery } from './search-query.js';
import { createSendBatcher, insertIntoRoom } from './send-batcher.js';

export const MAX_DISTINCT_REACTIONS = 20;

export interface MessagesHooks {
  loadFiles?: FileViewLoader;
  /** Called after a message is deleted (its stored files go with it). */
  onMessageDeleted?: (message: Pick<MessageRow, 'id' | 'type'>) => Promise<void>;
}

export interface SendResult {
  /** The message; a tombstone when a retried clientId names a message deleted since. */
  message: MessageView | Tombstone;
  /** False when a retry with the same clientId returned the first message. */
  created: boolean;
}

export interface ReadReceipt {
  room: string;
  userId: string;
  messageId: string;
  seq: number;
  lastReadSeq: number;
  readAt: string;
}

/** At most this many messages per room in one `sync`, and SYNC_TOTAL in all. */
export const SYNC_PAGE = 100;
export const SYNC_TOTAL = 1000;

/** Where a catch-up starts: after a seq (new messages), or after a revision (every change). */
export type SyncPosition = { after: number } | { rev: number };
/** One room of a `sync`. */
export type SyncRequest = { room: string } & SyncPosition;

export type SyncEntry =
  | { room: string; messages: (MessageView | Tombstone)[]; hasMore: boolean; rev: number }
  | { room: string; error: { code: ErrorCode; message: string } };

/** md5 of a send's content, as the insert statement stores it with a clientId (`clientHashSql`). */
const contentHash = (content: string) => createHash('md5').update(content, 'utf8').digest('hex');

export type SearchResult = MessageView & { snippet: string; rank: number };

export interface SendOptions {
  type?: MessageRow['type'];
  /** Runs inside the send's transaction, after the insert (a file message stores its file row here). */
  attach?: (tx: Tx, message: StoredMessage) => Promise<void>;
}

/** [rank, created_at in µs, id]: a rank PostgreSQL's `real` can hold, a time within bigint's range. */
const isSearchKey = (v: unknown): v is [number, string, string] =>
  Array.isArray(v) &&
  v.length === 3 &&
  typeof v[0] === 'number' &&
  Number.isFinite(v[0]) &&
  Math.abs(v[0]) < 1e30 &&
  typeof v[1] === 'string' &&
  /^-?\d{1,17}$/.test(v[1]) &&
  typeof v[2] === 'string' &&
  isId(v[2]);

/** The search cursor: where the previous page ended, as [rank, createdUs, id]. */
function parseSearchCursor(cursor: string): SearchAfter {
  const [rank, createdUs, id] = decodeJsonCursor('q', cursor, isSearchKey);
  return { rank, createdUs, id };
}

export type MessagesService = ReturnType<typeof createMessagesService>;

export function createMessagesService(ctx: AppContext, hooks: MessagesHooks = {}) {
  const { db, broadcaster } = ctx;
  const loadFiles = hooks.loadFiles ?? noFiles;
  const batcher = createSendBatcher(db);
  const deletions = createDeletions(ctx, hooks.onMessageDeleted);

  async function viewOf(id: string): Promise<MessageView> {
    const view = (await loadMessageViews(db, [id], loadFiles)).get(id);
    if (!view) throw notFound('Message');
    return view;
  }

  /** A live message and the caller's membership of its room, with the room ACL applied. */
  function messageAccess(actor: Actor, id: string): Promise<RoomAccess & { message: MessageRow }> {
    // A message in a room hidden from the caller answers exactly like a message that does not exist.
    return requireMessageAccess(db, id, actor.userId);
  }

  /**
   * Runs a change of a message in a transaction that first locks its room and then re-reads the
   * caller's membership: access is decided at the moment of the change, not by the earlier read.
   */
  function changeUnderRoomLock<T>(
    actor: Actor,
    roomId: string,
    fn: (tx: Tx, member: RoomAccess['member']) => Promise<T>,
  ): Promise<T> {
    return transaction(db, async (tx) => {
      const member = await lockRoomForMember(tx, roomId, actor.userId);
      if (!member) throw notFound('Message');
      return fn(tx, member);
    });
  }

  async function validateReply(roomId: string, replyTo: string): Promise<void> {
    const parent = isId(replyTo) ? await repo.findMessageById(db, replyTo) : undefined;
    if (!parent || parent.deletedAt || parent.roomId !== roomId) {
      throw validationError('Invalid reply', [
        { path: 'replyTo', message: 'must be a message in the same room' },
      ]);
    }
  }

  /**
   * A send the insert statement refused: a retry of a clientId (the first message, or its tombstone),
   * a clientId already used for another room or other content (CONFLICT), a sender in a direct room
   * with someone who blocked them or whom they blocked (FORBIDDEN), or a sender who is no longer a
   * member (the access error).
   */
  async function refusedSend(actor: Actor, roomId: string, input: SendMessageInput) {
    // Access first: a former member's retry answers like any other send of a non-member.
    const { member } = await requireMember(db, roomId, actor.userId);
    const first = input.clientId
      ? await repo.findByClientId(db, actor.userId, input.clientId)
      : undefined;
    if (first) {
      if (first.roomId !== roomId || first.clientHash !== contentHash(input.content)) {
        throw conflict('This clientId was already used for another message');
      }
      const [record] = await repo.findMessageRecords(db, [first.id]);
      if (!record) throw notFound('Message');
      const message = first.deletedAt ? toTombstone(record) : await viewOf(first.id);
      return { message, created: false };
    }
    assertNotMuted(member);
    const wait = await slowModeWait(db, roomId, actor.userId);
    if (wait > 0)
      throw new AppError(
        'RATE_LIMITED',
        `Slow mode: you can send again in ${wait} s`,
        undefined,
        wait,
      );
    if (await isDirectBlocked(db, roomId, actor.userId))
      throw forbidden('You cannot message this user');
    throw notFound('Room');
  }

  /**
   * What `sync` and `GET /messages?rev=` return for one room: new messages after a seq (`after`), or
   * every change after a revision (`rev`) in rev order; with the revision to ask from next time.
   */
  async function catchUp(roomId: string, from: SyncPosition, limit: number) {
    // Read first: every revision up to this one is committed (revisions commit in order, under the
    // room's lock), so what the query below returns covers at least all of them.
    const current = (await repo.roomRev(db, roomId)) ?? 0;
    const records =
      'rev' in from
        ? await repo.listChangedSince(db, roomId, from.rev, limit + 1)
        : await repo.listAfter(db, roomId, from.after, limit + 1);
    const page = records.slice(0, limit);
    const hasMore = records.length > limit;
    const lastRev = page.at(-1)?.message.rev;
    return {
      messages: await hydrate(db, page, loadFiles),
      hasMore,
      // By seq: the room's revision. By rev, complete: the room's (or a newer one the query saw); a
      // client that asked from past the room's revision is told the room's, to ask from there next.
      rev: !('rev' in from)
        ? current
        : hasMore && lastRev !== undefined
          ? lastRev
          : Math.max(current, lastRev ?? 0),
    };
  }

  return {
    /**
     * Sends a message: the one path for REST, sockets and uploads. Seq and rev come from the insert
     * statement, run under the room's lock, which also re-checks membership and the clientId.
     */
    async send(
      actor: Actor,
      input: SendMessageInput,
      options: SendOptions = {},
    ): Promise<SendResult> {
      const type = options.type ?? 'text';
      // A plain send to a room given by id goes straight to the insert, whose statement checks the
      // membership under the room's lock (the check that decides); only a refused send asks why
      // (refusedSend). Replies and slugs are checked first, so a non-member learns nothing of them.
      const direct = isId(input.room) && !input.replyTo && !options.attach;
      const roomId = direct
        ? input.room.toLowerCase()
        : (await requireMember(db, input.room, actor.userId)).room.id;
      if (input.replyTo) await validateReply(roomId, input.replyTo);
      const values: NewMessage = {
        senderId: actor.userId,
        type,
        content: input.content,
        replyToId: input.replyTo ?? null,
        clientId: input.clientId ?? null,
      };
      const attach = options.attach;
      const inserted = attach
        ? (
            await insertIntoRoom(db, roomId, [values], async (tx, [m]) => {
              if (m) await attach(tx, m);
            })
          )[0]
        : await batcher.send(roomId, values);
      if (!inserted) return refusedSend(actor, roomId, input);
      ctx.metrics.messagesSent.inc();
      // A plain text message needs no second query: the insert returned its row and sender. Others
      // are handed over as a promise, so that the revision is registered now, in commit order.
      const view =
        type === 'text' && !values.replyToId
          ? toMessageView({ message: inserted.message, sender: inserted.sender, reply: null })
          : viewOf(inserted.message.id).catch(() => null);
      broadcaster.toRoomInOrder(roomId, inserted.message.rev, newMessage, view);
      const message = await view;
      if (!message) throw notFound('Message');
      return { message, created: true };
    },

    /**
     * History newest first (`before`), catch-up oldest first with tombstones (`after`), or every
     * change after a revision in rev order (`rev`; `page.rev` is where to ask from next time).
     */
    async list(
      actor: Actor,
      query: { room: string; limit: number; before?: string; after?: string; rev?: number },
    ): Promise<{ items: (MessageView | Tombstone)[]; page: PageInfo }> {
      const { room } = await requireMember(db, query.room, actor.userId);
      const limit = query.limit;
      if (query.rev !== undefined) {
        const changes = await catchUp(room.id, { rev: query.rev }, limit);
        return {
          items: changes.messages,
          page: {
            nextCursor: changes.hasMore ? String(changes.rev) : null,
            limit,
            rev: changes.rev,
          },
        };
      }
      const after = query.after !== undefined ? parseSeqCursor(query.after) : undefined;
      const records =
        after !== undefined
          ? await repo.listAfter(db, room.id, after, limit + 1)
          : await repo.listBefore(
              db,
              room.id,
              query.before ? parseSeqCursor(query.before) : undefined,
              limit + 1,
            );
      const hasMore = records.length > limit;
      const pageRecords = records.slice(0, limit);
      const last = pageRecords.at(-1);
      return {
        items: await hydrate(db, pageRecords, loadFiles),
        page: { nextCursor: hasMore && last ? encodeCursor('s', last.message.seq) : null, limit },
      };
    },

    /** Edits the text of my own message. */
    async edit(actor: Actor, id: string, content: string): Promise<MessageView> {
      const { message, room } = await messageAccess(actor, id);
      if (message.senderId !== actor.userId) throw forbidden('Only the sender can edit a message');
      if (message.type === 'system') throw forbidden('System messages cannot be edited');
      const updated = await changeUnderRoomLock(actor, room.id, (tx, member) => {
        assertNotMuted(member);
        return repo.updateContent(tx, room.id, message.id, content);
      });
      if (!updated) throw notFound('Message');
      // The view is read after the commit (a file message's file view is read outside the
      // transaction: PGlite has one connection, which the transaction holds); its revision is
      // registered now, in commit order.
      const view = viewOf(message.id).catch(() => null);
      broadcaster.toRoomInOrder(room.id, updated.rev, messageUpdated, view);
      const edited = await view;
      if (!edited) throw notFound('Message');
      return edited;
    },

    /** Deletes a message for everyone: the sender, or an owner/admin of the room. */
    async remove(actor: Actor, id: string): Promise<DeletedEvent> {
      const { message, room } = await messageAccess(actor, id);
      const bySender = message.senderId === actor.userId;
      const deleted = await deletions.removeOne(room.id, message.id, {
        // The caller's membership, re-read under the room's lock (the lock is already held).
        check: async (tx) => {
          const member = await lockRoomForMember(tx, room.id, actor.userId);
          if (!member) throw notFound('Message');
          if (!bySender && !isModerator(member))
            throw forbidden('Only the sender or a room owner/admin can delete this message');
        },
        // SPEC "Audit log": a message deleted by someone other than its sender (a room moderator).
        record: async (tx) => {
          if (!bySender)
            await appendAudit(tx, {
              actorId: actor.userId,
              action: 'message.delete',
              targetType: 'message',
              targetId: message.id,
              details: { room: room.id, sender: message.senderId, by: 'room-moderator' },
            });
        },
      });
      if (!deleted) throw notFound('Message');
      return deleted;
    },

    /**
     * Deletes any message as its sender could (an instance admin, SPEC "Content"): under the room's
     * lock, with `record` (the audit entry) in the same transaction; 404 when gone or already deleted.
     */
    async removeAny(
      id: string,
      record: (tx: Tx, message: MessageRow) => Promise<void>,
    ): Promise<DeletedEvent> {
      const message = isId(id) ? await repo.findMessageById(db, id) : undefined;
      if (!message || message.deletedAt) throw notFound('Message');
      const deleted = await deletions.removeOne(message.roomId, message.id, {
        record: (tx) => record(tx, message),
      });
      if (!deleted) throw notFound('Message');
      return deleted;
    },

    /**
     * Deletes many messages of one room as ordinary deletions (retention, erasure): every live message
     * that `filter` picks, in batches under the room's lock, each batch's `record` in its transaction.
     */
    removeMatching: deletions.removeMatching,

    /** Deletes every live message a user sent, room by room, as ordinary deletions; how many. */
    async removeAllSentBy(userId: string): Promise<number> {
      let total = 0;
      for (const roomId of await sentRepo.roomsSentIn(db, userId))
        total += (await deletions.removeMatching(roomId, { senderId: userId })).deleted;
      return total;
    },

    /** The rooms a user ever sent a message in, left ones included (their data export). */
    roomsSentIn: (userId: string): Promise<string[]> => sentRepo.roomsSentIn(db, userId),

    /** A page of what a user sent in one room, by seq, deleted ones without content (their export). */
    sentInRoom: (params: {
      senderId: string;
      roomId: string;
      afterSeq: number;
      limit: number;
    }): Promise<SentMessage[]> => sentRepo.sentInRoom(db, params),

    /** Toggles my reaction with this emoji and returns the message's reactions. */
    async react(
      actor: Actor,
      id: string,
      emoji: string,
    ): Promise<{ messageId: string; room: string; reactions: ReactionGroup[]; rev: number }> {
      const { message, room } = await messageAccess(actor, id);
      const event = await changeUnderRoomLock(actor, room.id, async (tx, member) => {
        assertNotMuted(member);
        const live = await repo.findMessageById(tx, message.id);
        if (!live || live.deletedAt) throw notFound('Message');
        if (!(await repo.removeReaction(tx, message.id, actor.userId, emoji))) {
          const { distinct, hasEmoji } = await repo.distinctEmojiCount(tx, message.id, emoji);
          if (!hasEmoji && distinct >= MAX_DISTINCT_REACTIONS) {
            throw conflict(
              `A message can have at most ${MAX_DISTINCT_REACTIONS} different reactions`,
            );
          }
          await repo.addReaction(tx, message.id, actor.userId, emoji);
        }
        const changed = await repo.changeMessage(tx, room.id, message.id);
        if (!changed) throw notFound('Message');
        const reactions = (await repo.reactionsOf(tx, [message.id])).get(message.id) ?? [];
        return { messageId: message.id, room: room.id, reactions, rev: changed.rev };
      });
      broadcaster.toRoomInOrder(room.id, event.rev, messageReaction, event);
      return event;
    },

    /** Marks this message and everything before it in its room as read by me. */
    async markRead(actor: Actor, id: string): Promise<ReadReceipt> {
      const { message, room } = await messageAccess(actor, id);
      const mark = await repo.advanceReadSeq(db, room.id, actor.userId, message.seq);
      if (!mark) throw notFound('Room');
      const receipt: ReadReceipt = {
        room: room.id,
        userId: actor.userId,
        messageId: message.id,
        seq: message.seq,
        lastReadSeq: mark.lastReadSeq,
        readAt: mark.lastReadAt.toISOString(),
      };
      broadcaster.toRoom(room.id, messageReadReceipt, receipt);
      return receipt;
    },

    /**
     * What a reconnecting client missed, per room: new messages after a seq (`after`) or every change
     * after a revision (`rev`), at most SYNC_PAGE a room and SYNC_TOTAL in all (rooms past that come
     * back with what fits and `hasMore`). Rooms are read one after another, so one event costs a bounded
     * number of queries at a time. A room the caller cannot read answers with its error code.
     */
    async sync(actor: Actor, requests: SyncRequest[]): Promise<SyncEntry[]> {
      let budget = SYNC_TOTAL;
      const entries: SyncEntry[] = [];
      const seen = new Set<string>();
      for (const [index, request] of requests.entries()) {
        try {
          const { room } = await requireMember(db, request.room, actor.userId);
          // The schema refuses a room written twice; this, one named by its slug and by its id.
          if (seen.has(room.id)) {
            throw validationError('Invalid sync payload', [
              { path: `rooms.${index}.room`, message: 'names a room twice' },
            ]);
          }
          seen.add(room.id);
          const limit = Math.min(SYNC_PAGE, budget);
          // Past the total budget: nothing for this room, and ask again from where it was.
          const page =
            limit > 0
              ? await catchUp(room.id, request, limit)
              : { messages: [], hasMore: true, rev: 'rev' in request ? request.rev : 0 };
          budget -= page.messages.length;
          entries.push({ room: request.room, ...page });
        } catch (err) {
          const appError = toAppError(err);
          if (appError.status >= 500 || appError.code === 'VALIDATION_ERROR') throw err;
          entries.push({
            room: request.room,
            error: { code: appError.code, message: appError.message },
          });
        }
      }
      return entries;
    },

    /** Full-text search over the rooms I am a member of, best matches first. */
    /**
     * The messages that mention me, in rooms I can still read, newest first (SPEC "My mentions"):
     * `@me`, `@all`, replies to my messages, and the messages of my direct rooms.
     */
    async mentions(
      actor: Actor,
      query: { limit: number; before?: string },
    ): Promise<{ items: MessageView[]; page: PageInfo }> {
      const before = query.before ? decodeJsonCursor('m', query.before, isTimeIdPair) : undefined;
      const rows = await repo.listMentionIds(db, actor.userId, {
        before: before ? { at: before[0], id: before[1] } : undefined,
        limit: query.limit + 1,
      });
      // `at` is the database's microseconds as text: the cursor keeps them.
      const { page, nextCursor } = timeIdPage(rows, query.limit, 'm', (r) => [r.at, r.id]);
      const views = await loadMessageViews(
        db,
        page.map((r) => r.id),
        loadFiles,
      );
      return {
        items: page.flatMap((r) => views.get(r.id) ?? []),
        page: { nextCursor, limit: query.limit },
      };
    },

    async search(
      actor: Actor,
      query: { q: string; room?: string; limit: number; cursor?: string },
    ): Promise<{ items: SearchResult[]; page: PageInfo }> {
      const roomId = query.room
        ? (await requireMember(db, query.room, actor.userId)).room.id
        : undefined;
      const tsquery = toPrefixTsquery(query.q);
      const after = query.cursor ? parseSearchCursor(query.cursor) : undefined;
      if (!tsquery) return { items: [], page: { nextCursor: null, limit: query.limit } };
      const hits = await repo.searchMessages(db, {
        userId: actor.userId,
        tsquery,
        roomId,
        after,
        limit: query.limit + 1,
      });
      const pageHits = hits.slice(0, query.limit);
      const last = pageHits.at(-1);
      const views = await loadMessageViews(
        db,
        pageHits.map((h) => h.id),
        loadFiles,
      );
      const items: SearchResult[] = [];
      for (const hit of pageHits) {
        const view = views.get(hit.id);
        if (view) items.push({ ...view, snippet: snippetToHtml(hit.snippet), rank: hit.rank });
      }
      return {
        items,
        page: {
          nextCursor:
            hits.length > query.limit && last
              ? encodeCursor('q', JSON.stringify([last.rank, last.createdUs, last.id]))
              : null,
          limit: query.limit,
        },
      };
    },
  };
}
