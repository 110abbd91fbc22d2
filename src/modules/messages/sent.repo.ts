import { sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { messages } from '../../db/schema/index.js';

/** One message a user sent, as their data export lists it: no content once deleted. */
export interface SentMessage {
  id: string;
  room: string;
  seq: number;
  type: 'text' | 'file' | 'system';
  content: string | null;
  replyTo: string | null;
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
}

/** The rooms a user ever sent a message in (left ones too), by id. */
export async function roomsSentIn(db: Executor, senderId: string): Promise<string[]> {
  const rows = await queryRows<{ room_id: string }>(
    db,
    sql`select distinct room_id from ${messages} where sender_id = ${senderId} order by room_id`,
  );
  return rows.map((r) => r.room_id);
}

const iso = (column: string) =>
  sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/**
 * A page of what a user sent in one room, by seq after `afterSeq`: a walk along the room's (room, seq)
 * index, so a long history is read page by page and never whole.
 */
export async function sentInRoom(
  db: Executor,
  params: { senderId: string; roomId: string; afterSeq: number; limit: number },
): Promise<SentMessage[]> {
  const rows = await queryRows<{
    id: string;
    room_id: string;
    seq: string | number;
    type: SentMessage['type'];
    content: string;
    reply_to_id: string | null;
    created_at: string;
    edited_at: string | null;
    deleted_at: string | null;
  }>(
    db,
    sql`select id, room_id, seq, type, content, reply_to_id,
               ${iso('created_at')} as created_at, ${iso('edited_at')} as edited_at,
               ${iso('deleted_at')} as deleted_at
        from ${messages}
        where room_id = ${params.roomId} and sender_id = ${params.senderId} and seq > ${params.afterSeq}
        order by seq
        limit ${params.limit}`,
  );
  return rows.map((r) => ({
    id: r.id,
    room: r.room_id,
    seq: Number(r.seq),
    type: r.type,
    content: r.deleted_at ? null : r.content,
    replyTo: r.reply_to_id,
    createdAt: r.created_at,
    editedAt: r.edited_at,
    deletedAt: r.deleted_at,
  }));
}
