import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import type { BenchUser } from '../lib/api.js';
import { explain } from '../lib/db.js';
import { WORDS } from '../lib/words.js';
import type { Db } from '../../src/db/client.js';
import * as schema from '../../src/db/schema/index.js';
import * as messagesRepo from '../../src/modules/messages/messages.repo.js';
import * as roomsRepo from '../../src/modules/rooms/rooms.repo.js';

export interface Seeded {
  roomIds: string[];
  perRoom: number;
  /** Rooms each user is a member of. */
  userRooms: Map<string, string[]>;
  seconds: number;
}

/**
 * Seeds `messages` messages evenly over `rooms` new public rooms in SQL (INSERT … SELECT over
 * generate_series, words drawn with a skew), the GIN search index dropped during the load and rebuilt
 * after, rooms.last_seq set, 0.1 % of messages soft-deleted, and each bench user made a member of
 * `memberRooms` rooms with a few unread messages. Ends with VACUUM ANALYZE.
 */
export async function seedHistory(
  pool: pg.Pool,
  users: BenchUser[],
  opts: { messages: number; rooms: number; memberRooms: number; tag: string },
  print: (l: string) => void,
): Promise<Seeded> {
  const t0 = performance.now();
  const perRoom = Math.max(1, Math.floor(opts.messages / opts.rooms));
  const { rows } = await pool.query<{ id: string }>(
    `insert into rooms (slug, name, type, created_by)
     select 'hist-' || $1 || '-' || i, 'History ' || $1 || ' ' || i, 'public', $2::uuid
     from generate_series(1, $3::int) i returning id`,
    [opts.tag, users[0]!.id, opts.rooms],
  );
  const roomIds = rows.map((r) => r.id);
  const { rows: idx } = await pool.query<{ indexdef: string }>(
    `select indexdef from pg_indexes where indexname = 'messages_search_idx'`,
  );
  if (idx[0]) await pool.query('drop index messages_search_idx');
  const userRooms = new Map<string, string[]>();
  const client = await pool.connect();
  try {
    await client.query('set synchronous_commit = off');
    const batch = Math.max(1, Math.floor(200_000 / perRoom));
    const senders = users.map((u) => u.id);
    for (let i = 0; i < roomIds.length; i += batch) {
      await client.query(
        `insert into messages (room_id, seq, rev, sender_id, type, content, created_at)
         select r.id, s.i, s.i, ($2::uuid[])[1 + (s.i % $3::int)], 'text',
           (select string_agg(($4::text[])[1 + floor(power(random(), 2.2) * $5::int)::int], ' ')
              from generate_series(1, 3 + (s.i * 7 + length(r.id::text)) % 11) g),
           now() - make_interval(secs => ($6::int - s.i) * 20)
         from unnest($1::uuid[]) r(id), generate_series(1, $6::int) s(i)`,
        [roomIds.slice(i, i + batch), senders, senders.length, WORDS, WORDS.length, perRoom],
      );
      const done = Math.min(roomIds.length, i + batch) * perRoom;
      print(
        `[history] seeded ${done} messages (${Math.round(done / ((performance.now() - t0) / 1000))}/s)`,
      );
    }
    await client.query(
      `update messages set deleted_at = now(), content = '', rev = $2::int + seq / 997
      where room_id = any($1::uuid[]) and seq % 997 = 0`,
      [roomIds, perRoom],
    );
    // Every message took a revision (seq), each deletion the next one after
    // them (perRoom + 1, + 2, ...), as if deleted after the last send.
    await client.query(
      `update rooms r set last_seq = $2, last_message_at = now(),
         rev = $2 + (select count(*) from messages m where m.room_id = r.id and m.deleted_at is not null)
       where id = any($1::uuid[])`,
      [roomIds, perRoom],
    );
    if (idx[0]) {
      await client.query(`set maintenance_work_mem = '512MB'`);
      await client.query(idx[0].indexdef);
    }
    for (const [u, user] of users.entries()) {
      const mine = Array.from(
        { length: opts.memberRooms },
        (_, j) => roomIds[(u * opts.memberRooms + j) % roomIds.length]!,
      );
      userRooms.set(user.id, mine);
      await client.query(
        `insert into room_members (room_id, user_id, role, last_read_seq)
         select r, $2::uuid, 'member', greatest(0, $3::int - floor(random() * 30)::int) from unnest($1::uuid[]) r
         on conflict do nothing`,
        [mine, user.id, perRoom],
      );
    }
    await client.query(
      `update rooms r set member_count = (select count(*) from room_members m where m.room_id = r.id)
      where r.id = any($1::uuid[])`,
      [roomIds],
    );
    await client.query('vacuum analyze messages');
    await client.query('analyze rooms');
    await client.query('analyze room_members');
  } finally {
    client.release();
  }
  const seconds = (performance.now() - t0) / 1000;
  print(
    `[history] ${perRoom * roomIds.length} messages in ${roomIds.length} rooms seeded, indexed and vacuumed in ${seconds.toFixed(1)} s`,
  );
  return { roomIds, perRoom, userRooms, seconds };
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the queries behind the four endpoints. The SQL is not copied by hand:
 * the app's own repository functions run against a drizzle instance whose logger captures each query
 * and its parameters, which are then explained.
 */
export async function explainQueries(
  pool: pg.Pool,
  sample: { userId: string; roomId: string; afterSeq: number; term: string },
): Promise<Record<string, { sql: string; plan: string }>> {
  const captured: { sql: string; params: unknown[] }[] = [];
  const db = drizzle(pool, {
    schema,
    logger: { logQuery: (sql: string, params: unknown[]) => void captured.push({ sql, params }) },
  }) as unknown as Db;
  const capture = async (run: () => Promise<unknown>) => {
    captured.length = 0;
    await run();
    return captured[0]!;
  };
  const queries = {
    historyPage: await capture(() => messagesRepo.listBefore(db, sample.roomId, undefined, 51)),
    catchUp: await capture(() => messagesRepo.listAfter(db, sample.roomId, sample.afterSeq, 51)),
    search: await capture(() =>
      messagesRepo.searchMessages(db, {
        userId: sample.userId,
        tsquery: `${sample.term}:*`,
        limit: 21,
      }),
    ),
    myRooms: await capture(() => roomsRepo.listMyRooms(db, sample.userId, { limit: 51 })),
    membership: await capture(() =>
      roomsRepo.findRoomWithMembership(db, sample.roomId, sample.userId),
    ),
  };
  const out: Record<string, { sql: string; plan: string }> = {};
  for (const [name, q] of Object.entries(queries)) {
    out[name] = { sql: q.sql, plan: await explain(pool, q.sql, q.params) };
  }
  return out;
}
