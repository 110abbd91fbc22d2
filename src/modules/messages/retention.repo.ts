import { sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { messages, rooms } from '../../db/schema/index.js';

/** A room with messages past its retention: how many days it keeps, and the cutoff they give now. */
export interface RetentionDue {
  roomId: string;
  days: number;
  cutoff: Date;
}

/**
 * The rooms that have live messages older than their retention (SPEC "Retention"): the room's
 * `retention_days` or the instance's `instanceDays`, the shorter where both are set (a room may only
 * shorten the instance's, so that is the room's whenever the rule held when it was set). The cutoff
 * is the database's `now()` minus those days, so every node agrees on it whatever its clock says.
 */
export async function listRetentionDue(
  db: Executor,
  instanceDays: number | null,
): Promise<RetentionDue[]> {
  const days = sql`least(r.retention_days, ${instanceDays}::int)`;
  const rows = await queryRows<{ id: string; days: number; cutoff: string }>(
    db,
    sql`select r.id, d.days,
               to_char(d.cutoff at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cutoff
        from ${rooms} r
        cross join lateral (
          select ${days} as days, now() - make_interval(days => ${days}) as cutoff
        ) d
        where d.days is not null
          and exists (select 1 from ${messages} m
                      where m.room_id = r.id and m.deleted_at is null and m.created_at < d.cutoff)
        order by r.id`,
  );
  return rows.map((r) => ({ roomId: r.id, days: Number(r.days), cutoff: new Date(r.cutoff) }));
}
