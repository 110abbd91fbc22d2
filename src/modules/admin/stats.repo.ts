import { sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { queryRows, type Executor } from '../../db/client.js';
import { files, messages, users, type RoomType } from '../../db/schema/index.js';

/**
 * Activity figures (SPEC "Activity"), counted from the rows kept: a message counts on the UTC day it
 * was sent, deleted ones included (they were sent; the tombstone keeps `created_at`), `system`
 * notices not; a deleted room's messages and a deleted file no longer count. One statement per
 * figure set, each an aggregate the database does; the days come from `generate_series`, so a day
 * without activity is a row of zeros (PostgreSQL and PGlite alike).
 */

/** A range of UTC days, both ends included, as `YYYY-MM-DD`. */
export interface DayRange {
  from: string;
  to: string;
}

export interface DayActivity {
  day: string;
  messages: number;
  activeSenders: number;
  newUsers: number;
  uploads: number;
  uploadBytes: number;
}

export interface ActivityTotals {
  users: number;
  rooms: number;
  /** Live (not deleted) text and file messages. */
  messages: number;
  /** The sizes of the files kept (originals; thumbnails and avatars not counted). */
  storageBytes: number;
}

export interface BusyRoom {
  room: { id: string; slug: string; name: string; type: RoomType };
  messages: number;
}

/** `created_at` within the range's UTC days; constant bounds, so an index on the column could serve. */
function within(column: AnyPgColumn, range: DayRange): SQL {
  return sql`${column} >= (${range.from}::date)::timestamp at time zone 'UTC'
    and ${column} < (${range.to}::date + 1)::timestamp at time zone 'UTC'`;
}

const utcDay = (column: AnyPgColumn): SQL => sql`(${column} at time zone 'UTC')::date`;

/** Every day of the range, oldest first, zeros included. */
export async function dailyActivity(db: Executor, range: DayRange): Promise<DayActivity[]> {
  return queryRows<DayActivity>(
    db,
    sql`with days as (
        select ${range.from}::date + i as day
        from generate_series(0, ${range.to}::date - ${range.from}::date) as i
      ),
      sent as (
        select ${utcDay(messages.createdAt)} as day, count(*) as n,
          count(distinct ${messages.senderId}) as senders
        from ${messages}
        where ${messages.type} <> 'system' and ${within(messages.createdAt, range)}
        group by 1
      ),
      joined as (
        select ${utcDay(users.createdAt)} as day, count(*) as n
        from ${users}
        where ${within(users.createdAt, range)}
        group by 1
      ),
      uploaded as (
        select ${utcDay(files.createdAt)} as day, count(*) as n, sum(${files.size}) as bytes
        from ${files}
        where ${within(files.createdAt, range)}
        group by 1
      )
      select to_char(days.day, 'YYYY-MM-DD') as "day",
        coalesce(sent.n, 0)::int as "messages",
        coalesce(sent.senders, 0)::int as "activeSenders",
        coalesce(joined.n, 0)::int as "newUsers",
        coalesce(uploaded.n, 0)::int as "uploads",
        coalesce(uploaded.bytes, 0)::float8 as "uploadBytes"
      from days
      left join sent on sent.day = days.day
      left join joined on joined.day = days.day
      left join uploaded on uploaded.day = days.day
      order by days.day`,
  );
}

/** What the instance holds now. */
export async function activityTotals(db: Executor): Promise<ActivityTotals> {
  const [row] = await queryRows<ActivityTotals>(
    db,
    sql`select
        (select count(*) from users)::float8 as "users",
        (select count(*) from rooms)::float8 as "rooms",
        (select count(*) from messages where deleted_at is null and type <> 'system')::float8
          as "messages",
        (select coalesce(sum(size), 0) from files)::float8 as "storageBytes"`,
  );
  return row!;
}

/** The rooms with the most messages sent in the range, most first (then by name). */
export async function busiestRooms(db: Executor, range: DayRange, limit = 10): Promise<BusyRoom[]> {
  const rows = await queryRows<{
    id: string;
    slug: string;
    name: string;
    type: RoomType;
    messages: number;
  }>(
    db,
    sql`select r.id, r.slug, r.name, r.type, busy.n::int as "messages"
      from (
        select ${messages.roomId} as room_id, count(*) as n
        from ${messages}
        where ${messages.type} <> 'system' and ${within(messages.createdAt, range)}
        group by 1
      ) busy
      join rooms r on r.id = busy.room_id
      order by busy.n desc, r.name, r.id
      limit ${limit}`,
  );
  return rows.map(({ messages, ...room }) => ({ room, messages }));
}
