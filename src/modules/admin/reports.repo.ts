import { sql } from 'drizzle-orm';
import { msTime, olderThan } from '../../db/keyset.js';
import { queryRows, type Executor } from '../../db/client.js';
import {
  messages,
  reports,
  rooms,
  users,
  type ReportAction,
  type ReportRow,
} from '../../db/schema/index.js';

/** Records a report; undefined when this reporter already reported this message. */
export async function insertReport(
  db: Executor,
  values: { messageId: string; reporterId: string; reason: string },
): Promise<ReportRow | undefined> {
  const [row] = await db.insert(reports).values(values).onConflictDoNothing().returning();
  return row;
}

export interface ReportListRow {
  id: string;
  reason: string;
  createdAt: Date;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  action: ReportAction | null;
  note: string | null;
  reporterId: string | null;
  reporterUsername: string | null;
  messageId: string;
  messageSeq: number;
  messageContent: string;
  messageDeleted: boolean;
  senderId: string | null;
  senderUsername: string | null;
  roomId: string;
  roomName: string;
  /** Reports of the same message, all reporters. */
  count: number;
}

const toDate = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));

/** Reports, open or resolved, newest first (keyset on created_at, id); or one by id. */
export async function listReports(
  db: Executor,
  params: {
    status?: 'open' | 'resolved';
    id?: string;
    before?: { at: Date; id: string };
    limit: number;
  },
): Promise<ReportListRow[]> {
  const { before } = params;
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select rp.id, rp.reason, rp.created_at, rp.resolved_at, rp.resolved_by, rp.action, rp.note,
               rp.reporter_id, ru.username as reporter_username,
               m.id as message_id, m.seq, m.content, m.deleted_at is not null as deleted,
               m.sender_id, su.username as sender_username, r.id as room_id, r.name as room_name,
               (select count(*) from ${reports} x where x.message_id = m.id)::int as count
        from ${reports} rp
        join ${messages} m on m.id = rp.message_id
        join ${rooms} r on r.id = m.room_id
        left join ${users} ru on ru.id = rp.reporter_id
        left join ${users} su on su.id = m.sender_id
        where true
          ${params.id ? sql`and rp.id = ${params.id}` : sql``}
          ${params.status === 'open' ? sql`and rp.resolved_at is null` : sql``}
          ${params.status === 'resolved' ? sql`and rp.resolved_at is not null` : sql``}
          ${before ? sql`and ${olderThan(sql`rp.created_at`, sql`rp.id`, before)}` : sql``}
        order by ${msTime(sql`rp.created_at`)} desc, rp.id desc
        limit ${params.limit}`,
  );
  return rows.map((r) => ({
    id: r.id as string,
    reason: r.reason as string,
    createdAt: toDate(r.created_at),
    resolvedAt: r.resolved_at ? toDate(r.resolved_at) : null,
    resolvedBy: (r.resolved_by as string | null) ?? null,
    action: (r.action as ReportAction | null) ?? null,
    note: (r.note as string | null) ?? null,
    reporterId: (r.reporter_id as string | null) ?? null,
    reporterUsername: (r.reporter_username as string | null) ?? null,
    messageId: r.message_id as string,
    messageSeq: Number(r.seq),
    messageContent: r.content as string,
    messageDeleted: r.deleted === true,
    senderId: (r.sender_id as string | null) ?? null,
    senderUsername: (r.sender_username as string | null) ?? null,
    roomId: r.room_id as string,
    roomName: r.room_name as string,
    count: Number(r.count),
  }));
}

/** Marks an open report resolved; false when it was not open (resolved meanwhile, or gone). */
export async function resolveReport(
  tx: Executor,
  id: string,
  by: string,
  action: ReportAction,
  note: string | null,
): Promise<boolean> {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`update ${reports} set resolved_at = now(), resolved_by = ${by}, action = ${action}, note = ${note}
        where id = ${id} and resolved_at is null returning id`,
  );
  return rows.length > 0;
}
