import pg from 'pg';
import { runTag } from '../lib/api.js';
import type { BenchContext } from '../lib/context.js';
import { Histogram, nowMs, type LatencySummary } from '../lib/histogram.js';

export interface LoopResult {
  name: string;
  connections: number;
  perSec: number;
  total: number;
  latency: LatencySummary;
}

export interface PersistenceResult {
  loops: LoopResult[];
}

/** Runs `op` in `lanes` concurrent loops for `seconds`; counts completions per second. */
async function loop(
  name: string,
  lanes: number,
  seconds: number,
  op: (lane: number) => Promise<void>,
): Promise<LoopResult> {
  const hist = new Histogram();
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      while (performance.now() < end) {
        const s = performance.now();
        await op(lane);
        hist.record(performance.now() - s);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  return {
    name,
    connections: lanes,
    perSec: Math.round(hist.count / elapsed),
    total: hist.count,
    latency: hist.summary(),
  };
}

/**
 * The persistence ceiling: single-row inserts into the real `messages` table (its indexes, generated
 * tsvector and GIN index included) over one connection and over a pool, and the whole send transaction
 * the server runs per message (seq bump, insert, read-position update) over the pool.
 */
export async function persistenceScenario(
  ctx: BenchContext,
  print: (l: string) => void,
): Promise<PersistenceResult> {
  const poolSize = Number(process.env.DATABASE_POOL_MAX || 20);
  const seconds = ctx.opts.duration;
  const pool = new pg.Pool({ connectionString: ctx.db.url, max: poolSize });
  pool.on('error', () => {});
  try {
    const { rows: u } = await pool.query<{ id: string }>(
      `insert into users (username, email, password_hash) values ($1, $1 || '@bench.test', 'x') returning id`,
      [`p${runTag}`],
    );
    const userId = u[0]!.id;
    const { rows: r } = await pool.query<{ id: string }>(
      `insert into rooms (slug, name, type, created_by)
       select 'persist-' || $1 || '-' || i, 'Persist ' || i, 'public', $2::uuid from generate_series(1, 101) i
       returning id`,
      [runTag, userId],
    );
    // The plain inserts go to a room of their own; the send transactions bump the seq of the other 100.
    const insertRoom = r.pop()!.id;
    const rooms = r.map((x) => x.id);
    await pool.query(
      `insert into room_members (room_id, user_id, role) select unnest($1::uuid[]), $2::uuid, 'member'`,
      [rooms, userId],
    );
    let seq = 0;
    const content = () => JSON.stringify({ t: nowMs(), k: 1 });
    const clientId = () => (ctx.opts.clientId ? `p-${seq}` : null);
    const insert = async (client: pg.Pool | pg.PoolClient) => {
      seq += 1;
      await client.query(
        `insert into messages (room_id, seq, rev, sender_id, type, content, client_id) values ($1, $2, $2, $3, 'text', $4, $5)`,
        [insertRoom, seq, userId, content(), clientId()],
      );
    };
    const loops: LoopResult[] = [];
    const one = await pool.connect();
    try {
      loops.push(await loop('insert, 1 connection', 1, seconds, () => insert(one)));
    } finally {
      one.release();
    }
    loops.push(await loop(`insert, pool of ${poolSize}`, poolSize, seconds, () => insert(pool)));
    let n = 0;
    loops.push(
      await loop(
        `send transaction, pool of ${poolSize}, 100 rooms`,
        poolSize,
        seconds,
        async () => {
          const room = rooms[n++ % rooms.length]!;
          const c = await pool.connect();
          try {
            await c.query('begin');
            const { rows: s } = await c.query<{ last_seq: string; rev: string }>(
              `update rooms set last_seq = last_seq + 1, rev = rev + 1, last_message_at = now() where id = $1 returning last_seq, rev`,
              [room],
            );
            const next = Number(s[0]!.last_seq);
            await c.query(
              `insert into messages (room_id, seq, rev, sender_id, type, content, client_id) values ($1, $2, $3, $4, 'text', $5, $6)
             on conflict (sender_id, client_id) where client_id is not null do nothing returning *`,
              [
                room,
                next,
                Number(s[0]!.rev),
                userId,
                content(),
                ctx.opts.clientId ? `tx-${room}-${next}` : null,
              ],
            );
            await c.query(
              `update room_members set last_read_seq = greatest(last_read_seq, $3), last_read_at = now()
             where room_id = $1 and user_id = $2 returning last_read_seq, last_read_at`,
              [room, userId, next],
            );
            await c.query('commit');
          } finally {
            c.release();
          }
        },
      ),
    );
    for (const l of loops)
      print(`[persistence] ${l.name}: ${l.perSec}/s, p50 ${l.latency.p50} p99 ${l.latency.p99} ms`);
    return { loops };
  } finally {
    await pool.end();
  }
}
