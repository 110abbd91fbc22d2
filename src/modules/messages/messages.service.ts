import type { Actor, AppContext } from '../../context.js';
import type { Executor, Tx } from '../../db/client.js';
import { isId } from '../../db/ids.js';
import type { MessageRow } from '../../db/schema/index.js';
import { conflict, forbidden, notFound, toAppError, validationError } from '../../errors.js';
import { decodeJsonCursor, encodeCursor } from '../../http/cursor.js';
import type { PageInfo } from '../../http/respond.js';
import {
  assertMember,
  isModerator,
  requireMember,
  type RoomAccess,
} from '../rooms/rooms.access.js';
import * as roomsRepo from '../rooms/rooms.repo.js';
import { parseSeqCursor } from './message-cursor.js';
import { toMessageView, type MessageView, type Tombstone } from './messages.presenter.js';
import * as repo from './messages.repo.js';
import type {
  InsertedMessage,
  ReactionGroup,
  SearchAfter,
  StoredMessage,
} from './messages.repo.js';
import type { SendMessageInput } from './messages.schemas.js';
import { hydrate, loadMessageViews, noFiles, type FileViewLoader } from './messages.views.js';
import { snippetToHtml, toPrefixTsquery } from './search-query.js';
import { createSendBatcher } from './send-batcher.js';

export const MAX_DISTINCT_REACTIONS = 20;

export interface MessagesHooks {
  loadFiles?: FileViewLoader;
  /** Called after a message is deleted (its stored files go with it). */
  onMessageDeleted?: (message: MessageRow) => Promise<void>;
}

export interface SendResult {
  message: MessageView;
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

export const SYNC_PAGE = 100;

export type SyncEntry =
  | { room: string; messages: (MessageView | Tombstone)[]; hasMore: boolean }
  | { room: string; error: { code: string; message: string } };

export type SearchResult = MessageView & { snippet: string; rank: number };

export interface SendOptions {
  type?: MessageRow['type'];
  /** The room, when the sending socket follows it: its membership is already known. */
  subscribedRoomId?: string;
  /** Runs inside the send's transaction, after the insert (a file message stores its file row here). */
  attach?: (tx: Tx, message: StoredMessage) => Promise<void>;
}

class DuplicateClientId extends Error {}

const isSearchKey = (v: unknown): v is [number, string, string] =>
  Array.isArray(v) &&
  typeof v[0] === 'number' &&
  typeof v[1] === 'string' &&
  /^-?\d{1,20}$/.test(v[1]) &&
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

  async function viewOf(id: string): Promise<MessageView> {
    const view = (await loadMessageViews(db, [id], loadFiles)).get(id);
    if (!view) throw notFound('Message');
    return view;
  }

  /** A live message and the caller's membership of its room, with the room ACL applied. */
  async function messageAccess(
    actor: Actor,
    id: string,
  ): Promise<RoomAccess & { message: MessageRow }> {
    const message = isId(id) ? await repo.findMessageById(db, id) : undefined;
    if (!message || message.deletedAt) throw notFound('Message');
    const found = await roomsRepo.findRoomWithMembership(db, message.roomId, actor.userId);
    // A message in a room hidden from the caller answers exactly like a message that does not exist.
    if (!found || (!found.member && found.room.type !== 'public')) throw notFound('Message');
    return { ...assertMember(found), message };
  }

  async function validateReply(roomId: string, replyTo: string): Promise<void> {
    const parent = isId(replyTo) ? await repo.findMessageById(db, replyTo) : undefined;
    if (!parent || parent.deletedAt || parent.roomId !== roomId) {
      throw validationError('Invalid reply', [
        { path: 'replyTo', message: 'must be a message in the same room' },
      ]);
    }
  }

  return {
    /**
     * Sends a message: the one path for REST and sockets. Seq is allocated by the insert statement itself
     * (gapless per room); a clientId already used by this sender returns the first message instead.
     */
    async send(
      actor: Actor,
      input: SendMessageInput,
      options: SendOptions = {},
    ): Promise<SendResult> {
      const type = options.type ?? 'text';
      // A socket follows exactly its user's rooms (kept in step on every node), so a send from a socket
      // to a room it follows needs no membership query; anything else is checked in the database.
      const room =
        options.subscribedRoomId && options.subscribedRoomId === input.room
          ? { id: input.room }
          : (await requireMember(db, input.room, actor.userId)).room;
      if (input.replyTo) await validateReply(room.id, input.replyTo);
      const values = {
        roomId: room.id,
        senderId: actor.userId,
        type,
        content: input.content,
        replyToId: input.replyTo ?? null,
        clientId: input.clientId ?? null,
      };
      const insert = async (executor: Executor) => {
        const inserted = await repo.insertNextMessage(executor, values);
        if (!inserted) throw new DuplicateClientId();
        return inserted;
      };
      let inserted: InsertedMessage;
      try {
        const attach = options.attach;
        if (attach) {
          inserted = await db.transaction(async (tx) => {
            const result = await insert(tx);
            await attach(tx, result.message);
            return result;
          });
        } else if (type === 'text') {
          const batched = await batcher.send(room.id, values);
          if (!batched) throw new DuplicateClientId();
          inserted = batched;
        } else {
          inserted = await insert(db);
        }
      } catch (err) {
        if (!(err instanceof DuplicateClientId)) throw err;
        // Nothing inserted and no earlier message with this clientId: the room itself is gone.
        const first = input.clientId
          ? await repo.findByClientId(db, actor.userId, input.clientId)
          : undefined;
        if (!first) throw notFound('Room');
        return { message: await viewOf(first.id), created: false };
      }
      ctx.metrics.messagesSent.inc();
      // A plain text message needs no second query: the insert returned its row and sender.
      const message =
        type === 'text' && !values.replyToId
          ? toMessageView({ message: inserted.message, sender: inserted.sender, reply: null })
          : await viewOf(inserted.message.id);
      broadcaster.toRoom(room.id, 'new-message', message);
      return { message, created: true };
    },

    /** History newest first (`before`), or catch-up oldest first with tombstones (`after`). */
    async list(
      actor: Actor,
      query: { room: string; limit: number; before?: string; after?: string },
    ): Promise<{ items: (MessageView | Tombstone)[]; page: PageInfo }> {
      const { room } = await requireMember(db, query.room, actor.userId);
      const limit = query.limit;
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
      const updated = await repo.updateContent(db, message.id, content);
      if (!updated) throw notFound('Message');
      const view = await viewOf(message.id);
      broadcaster.toRoom(room.id, 'message-updated', view);
      return view;
    },

    /** Deletes a message for everyone: the sender, or an owner/admin of the room. */
    async remove(actor: Actor, id: string): Promise<{ id: string; room: string }> {
      const { message, room, member } = await messageAccess(actor, id);
      if (message.senderId !== actor.userId && !isModerator(member)) {
        throw forbidden('Only the sender or a room owner/admin can delete this message');
      }
      const deleted = await db.transaction((tx) => repo.softDelete(tx, message.id));
      if (!deleted) throw notFound('Message');
      await hooks.onMessageDeleted?.(message);
      const event = { id: message.id, room: room.id };
      broadcaster.toRoom(room.id, 'message-deleted', event);
      return event;
    },

    /** Toggles my reaction with this emoji and returns the message's reactions. */
    async react(
      actor: Actor,
      id: string,
      emoji: string,
    ): Promise<{ messageId: string; room: string; reactions: ReactionGroup[] }> {
      const { message, room } = await messageAccess(actor, id);
      await db.transaction(async (tx) => {
        if (!(await repo.lockLiveMessage(tx, message.id))) throw notFound('Message');
        if (await repo.removeReaction(tx, message.id, actor.userId, emoji)) return;
        const { distinct, hasEmoji } = await repo.distinctEmojiCount(tx, message.id, emoji);
        if (!hasEmoji && distinct >= MAX_DISTINCT_REACTIONS) {
          throw conflict(
            `A message can have at most ${MAX_DISTINCT_REACTIONS} different reactions`,
          );
        }
        await repo.addReaction(tx, message.id, actor.userId, emoji);
      });
      const reactions = (await repo.reactionsOf(db, [message.id])).get(message.id) ?? [];
      const event = { messageId: message.id, room: room.id, reactions };
      broadcaster.toRoom(room.id, 'message-reaction', event);
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
      broadcaster.toRoom(room.id, 'message-read-receipt', receipt);
      return receipt;
    },

    /**
     * What a reconnecting client missed: per room, messages with seq > after, oldest first, tombstones
     * included, at most SYNC_PAGE a room. A room the caller cannot read answers with its error code.
     */
    async sync(actor: Actor, requests: { room: string; after: number }[]): Promise<SyncEntry[]> {
      return Promise.all(
        requests.map(async ({ room: ref, after }): Promise<SyncEntry> => {
          try {
            const { room } = await requireMember(db, ref, actor.userId);
            const records = await repo.listAfter(db, room.id, after, SYNC_PAGE + 1);
            const page = records.slice(0, SYNC_PAGE);
            return {
              room: ref,
              messages: await hydrate(db, page, loadFiles),
              hasMore: records.length > SYNC_PAGE,
            };
          } catch (err) {
            const appError = toAppError(err);
            if (appError.status >= 500) throw err;
            return { room: ref, error: { code: appError.code, message: appError.message } };
          }
        }),
      );
    },

    /** Full-text search over the rooms I am a member of, best matches first. */
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
