import { and, asc, desc, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import {
  files,
  messages,
  users,
  type FileKind,
  type FileRow,
  type UserRow,
} from '../../db/schema/index.js';

export async function insertFile(
  db: Executor,
  values: typeof files.$inferInsert,
): Promise<FileRow> {
  const [row] = await db.insert(files).values(values).returning();
  return row!;
}

export async function filesOfMessages(db: Executor, messageIds: string[]): Promise<FileRow[]> {
  if (messageIds.length === 0) return [];
  return db.select().from(files).where(inArray(files.messageId, messageIds));
}

/** Deletes the file rows of a message and returns them, so their stored objects can be removed. */
export async function deleteFilesOfMessage(db: Executor, messageId: string): Promise<FileRow[]> {
  return db.delete(files).where(eq(files.messageId, messageId)).returning();
}

/** A page of the files a user uploaded into one room, by message seq (their data export). */
export async function uploadsInRoom(
  db: Executor,
  params: { uploaderId: string; roomId: string; afterSeq: number; limit: number },
): Promise<FileRow[]> {
  return db
    .select()
    .from(files)
    .where(
      and(
        eq(files.roomId, params.roomId),
        eq(files.uploaderId, params.uploaderId),
        gt(files.messageSeq, params.afterSeq),
      ),
    )
    .orderBy(asc(files.messageSeq))
    .limit(params.limit);
}

/** Deletes up to `limit` file rows of an uploader and returns them, so their objects can go too. */
export async function deleteUploadsOf(
  db: Executor,
  uploaderId: string,
  limit: number,
): Promise<FileRow[]> {
  return db
    .delete(files)
    .where(
      inArray(
        files.id,
        db
          .select({ id: files.id })
          .from(files)
          .where(eq(files.uploaderId, uploaderId))
          .limit(limit),
      ),
    )
    .returning();
}

export async function filesOfRoom(db: Executor, roomId: string): Promise<FileRow[]> {
  return db.select().from(files).where(eq(files.roomId, roomId));
}

/** A room's files of live messages, newest first, keyset on the message seq. */
export async function listRoomFiles(
  db: Executor,
  params: { roomId: string; kind?: FileKind; beforeSeq?: number; limit: number },
): Promise<{ file: FileRow; uploader: UserRow | null }[]> {
  return db
    .select({ file: files, uploader: users })
    .from(files)
    .innerJoin(messages, and(eq(messages.id, files.messageId), isNull(messages.deletedAt)))
    .leftJoin(users, eq(users.id, files.uploaderId))
    .where(
      and(
        eq(files.roomId, params.roomId),
        params.kind ? eq(files.kind, params.kind) : undefined,
        params.beforeSeq !== undefined ? lt(files.messageSeq, params.beforeSeq) : undefined,
      ),
    )
    .orderBy(desc(files.messageSeq))
    .limit(params.limit);
}

export async function roomFileStats(
  db: Executor,
  roomId: string,
): Promise<{ kind: FileKind; count: number; bytes: number }[]> {
  const rows = await queryRows<{ kind: FileKind; count: string | number; bytes: string | number }>(
    db,
    sql`select f.kind, count(*) as count, coalesce(sum(f.size), 0) as bytes
        from ${files} f join ${messages} m on m.id = f.message_id and m.deleted_at is null
        where f.room_id = ${roomId}
        group by f.kind`,
  );
  return rows.map((r) => ({ kind: r.kind, count: Number(r.count), bytes: Number(r.bytes) }));
}
