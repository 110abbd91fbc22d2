import { randomUUID } from 'node:crypto';
import type { Actor, AppContext } from '../../context.js';
import type { FileKind, FileRow, MessageRow, RoomRow } from '../../db/schema/index.js';
import { AppError, notFound, validationError } from '../../errors.js';
import { encodeCursor } from '../../http/cursor.js';
import type { PageInfo } from '../../http/respond.js';
import {
  toSender,
  type FileView,
  type MessageView,
  type SenderView,
} from '../messages/messages.presenter.js';
import { parseSeqCursor, requireMessageAccess } from '../messages/messages.port.js';
import type { MessagesService } from '../messages/messages.service.js';
import { requireMember } from '../rooms/rooms.port.js';
import { assertArchiveHasNoExecutables } from './archive-scan.js';
import type { VirusScanner } from './clamav.js';
import { detectType } from './file-types.js';
import { sanitizeFilename } from './filename.js';
import { toFileView } from './files.presenter.js';
import * as repo from './files.repo.js';
import { processImage } from './images.js';
import type { StorageDriver, Visibility } from './storage/storage.js';

export interface UploadedFile {
  buffer: Buffer;
  originalname: string;
}

export type MediaItem = FileView & {
  kind: FileKind;
  messageId: string;
  seq: number;
  uploader: SenderView | null;
  createdAt: string;
};

export interface StoredObjectRef {
  key: string;
  contentType?: string;
  visibility?: Visibility;
}

export type FilesService = ReturnType<typeof createFilesService>;

export function createFilesService(
  ctx: AppContext,
  deps: { storage: StorageDriver; scanner?: VirusScanner; urlTtlSec: number },
) {
  const { db, log } = ctx;
  const { storage, scanner, urlTtlSec } = deps;
  const view = (file: FileRow) => toFileView(file, storage, urlTtlSec);

  /** Deletes stored objects, retrying a few times; a last failure is logged for cleanup, never thrown. */
  async function purge(objects: StoredObjectRef[]): Promise<void> {
    await Promise.all(
      objects.map(async ({ key, contentType, visibility }) => {
        for (let attempt = 1; attempt <= 3; attempt += 1) {
          try {
            await storage.delete(key, visibility ?? 'private', contentType);
            return;
          } catch (err) {
            if (attempt === 3)
              log.error({ err, key }, 'stored object could not be deleted; left for cleanup');
            else await new Promise((r) => setTimeout(r, 200 * attempt));
          }
        }
      }),
    );
  }

  const objectsOf = (rows: FileRow[]) =>
    rows.flatMap((f) => [
      { key: f.storageKey, contentType: f.mime },
      ...(f.thumbnailKey ? [{ key: f.thumbnailKey, contentType: 'image/webp' }] : []),
    ]);

  return {
    storage,

    /** File views of file messages, for every message listing. */
    async loadFiles(messageIds: string[]): Promise<Map<string, FileView>> {
      const rows = await repo.filesOfMessages(db, messageIds);
      const entries = await Promise.all(
        rows.map(async (f) => [f.messageId, await view(f)] as const),
      );
      return new Map(entries);
    },

    /**
     * Checks an upload by its bytes, stores it, and posts it into the room as a `file` message in one
     * transaction; if that fails, the stored objects are deleted again, so nothing is left orphaned.
     */
    async upload(
      actor: Actor,
      fields: { room: string; caption?: string; clientId?: string },
      upload: UploadedFile,
      send: MessagesService['send'],
    ): Promise<{ file: FileView; message: MessageView; created: boolean }> {
      const { room } = await requireMember(db, fields.room, actor.userId);
      if (upload.buffer.length === 0)
        throw validationError('The file is empty', [{ path: 'file', message: 'is empty' }]);
      const type = await detectType(upload.buffer);
      // Office documents are zips too: an executable hides in one as well as in a plain zip.
      if (
        type.mime === 'application/zip' ||
        type.ext === 'docx' ||
        type.ext === 'xlsx' ||
        type.ext === 'pptx'
      )
        await assertArchiveHasNoExecutables(upload.buffer);
      await scanner?.scan(upload.buffer);

      const image =
        type.kind === 'image' ? await processImage(upload.buffer, type.mime) : undefined;
      const body = image?.body ?? upload.buffer;
      const id = randomUUID();
      const storageKey = `rooms/${room.id}/${id}.${type.ext}`;
      const thumbnailKey = image ? `rooms/${room.id}/${id}.thumb.webp` : null;
      const stored: { key: string; contentType: string }[] = [];
      try {
        await storage.put({ key: storageKey, body, contentType: type.mime, visibility: 'private' });
        stored.push({ key: storageKey, contentType: type.mime });
        if (image && thumbnailKey) {
          await storage.put({
            key: thumbnailKey,
            body: image.thumbnail,
            contentType: 'image/webp',
            visibility: 'private',
          });
          stored.push({ key: thumbnailKey, contentType: 'image/webp' });
        }
        const result = await send(
          actor,
          { room: room.id, content: fields.caption ?? '', clientId: fields.clientId },
          {
            type: 'file',
            attach: async (tx, message) => {
              await repo.insertFile(tx, {
                id,
                messageId: message.id,
                roomId: room.id,
                messageSeq: message.seq,
                uploaderId: actor.userId,
                storageKey,
                thumbnailKey,
                name: sanitizeFilename(upload.originalname, type.ext),
                mime: type.mime,
                kind: type.kind,
                size: body.length,
                width: image?.width ?? null,
                height: image?.height ?? null,
              });
            },
          },
        );
        // A retried upload (same clientId) returns the first one; this copy of the bytes is not needed.
        if (!result.created) await purge(stored);
        const message = result.message;
        if ('deleted' in message)
          throw new AppError('CONFLICT', 'This clientId names a file message deleted since');
        if (!message.file)
          throw new AppError('CONFLICT', 'This clientId was already used for a text message');
        return { file: message.file, message, created: result.created };
      } catch (err) {
        await purge(stored);
        throw err;
      }
    },

    /** A room's files, newest first, optionally of one kind. */
    async listMedia(
      actor: Actor,
      roomRef: string,
      params: { kind?: FileKind; limit: number; cursor?: string },
    ): Promise<{ items: MediaItem[]; page: PageInfo }> {
      const { room } = await requireMember(db, roomRef, actor.userId);
      const rows = await repo.listRoomFiles(db, {
        roomId: room.id,
        kind: params.kind,
        beforeSeq: params.cursor ? parseSeqCursor(params.cursor) : undefined,
        limit: params.limit + 1,
      });
      const pageRows = rows.slice(0, params.limit);
      const items = await Promise.all(
        pageRows.map(async ({ file, uploader }) => ({
          ...(await view(file)),
          kind: file.kind,
          messageId: file.messageId,
          seq: file.messageSeq,
          uploader: toSender(uploader),
          createdAt: file.createdAt.toISOString(),
        })),
      );
      const last = pageRows.at(-1);
      return {
        items,
        page: {
          nextCursor:
            rows.length > params.limit && last ? encodeCursor('s', last.file.messageSeq) : null,
          limit: params.limit,
        },
      };
    },

    /** Counts and bytes by kind, and in total. */
    async stats(actor: Actor, roomRef: string) {
      const { room } = await requireMember(db, roomRef, actor.userId);
      const rows = await repo.roomFileStats(db, room.id);
      const byType: Record<FileKind, { count: number; bytes: number }> = {
        image: { count: 0, bytes: 0 },
        video: { count: 0, bytes: 0 },
        document: { count: 0, bytes: 0 },
      };
      for (const r of rows) byType[r.kind] = { count: r.count, bytes: r.bytes };
      const total = rows.reduce(
        (t, r) => ({ count: t.count + r.count, bytes: t.bytes + r.bytes }),
        { count: 0, bytes: 0 },
      );
      return { room: room.id, total, byType };
    },

    /** Only a file message may be deleted through the files API. */
    async assertFileMessage(actor: Actor, messageId: string): Promise<void> {
      // Access before kind: a stranger must not learn whether a hidden message is a file.
      const { message } = await requireMessageAccess(db, messageId, actor.userId);
      if (message.type !== 'file') throw notFound('Message');
    },

    /** After a message is deleted: its file rows go, then its stored objects. */
    async purgeMessageFiles(message: Pick<MessageRow, 'id' | 'type'>): Promise<void> {
      if (message.type !== 'file') return;
      await purge(objectsOf(await repo.deleteFilesOfMessage(db, message.id)));
    },

    /** A page of the files a user uploaded into one room, with fresh URLs (their data export). */
    async uploadsInRoom(params: {
      uploaderId: string;
      roomId: string;
      afterSeq: number;
      limit: number;
    }): Promise<
      (FileView & { messageId: string; room: string; seq: number; createdAt: string })[]
    > {
      const rows = await repo.uploadsInRoom(db, params);
      return Promise.all(
        rows.map(async (f) => ({
          ...(await view(f)),
          messageId: f.messageId,
          room: f.roomId,
          seq: f.messageSeq,
          createdAt: f.createdAt.toISOString(),
        })),
      );
    },

    /**
     * Deletes every file a user uploaded, rows then stored objects, in batches (erasure: what the
     * deletion of their messages left, e.g. after a crash between a deletion and its purge); how many.
     */
    async purgeUploadsOf(uploaderId: string): Promise<number> {
      let total = 0;
      for (;;) {
        const rows = await repo.deleteUploadsOf(db, uploaderId, 200);
        await purge(objectsOf(rows));
        total += rows.length;
        if (rows.length < 200) return total;
      }
    },

    /** Before a room is deleted: remembers its objects and returns the purge to run after the delete. */
    async prepareRoomDeletion(room: RoomRow): Promise<() => Promise<void>> {
      const objects = objectsOf(await repo.filesOfRoom(db, room.id));
      return () => purge(objects);
    },

    purge,
  };
}
