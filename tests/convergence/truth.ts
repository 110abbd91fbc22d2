import pg from 'pg';
import type { AckedSend } from './actions.js';
import { canonicalMentions, type RoomView, type VisibleMessage } from './model.js';

/**
 * The server's history read straight from the private PostgreSQL (independent of the API under test),
 * and the end checks: each client's view against it, every acknowledged send stored exactly once,
 * seq 1..n with no gap and revisions unique per room.
 */

interface Row {
  id: string;
  room_id: string;
  seq: string;
  rev: string;
  content: string;
  edited: boolean;
  deleted: boolean;
  sender_id: string | null;
  client_id: string | null;
  mentions: string[];
  mentions_all: boolean;
}

export interface TruthRoom {
  id: string;
  lastSeq: number;
  rev: number;
  rows: { id: string; seq: number; rev: number; deleted: boolean }[];
  /** Non-deleted messages as a user sees them, in seq order. */
  visible: VisibleMessage[];
}

export interface Truth {
  rooms: Map<string, TruthRoom>;
  /** `senderId clientId` → the ids stored under it. */
  byClientId: Map<string, { id: string; room: string }[]>;
}

export async function readTruth(databaseUrl: string, roomIds: string[]): Promise<Truth> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const rooms = await db.query<{ id: string; last_seq: string; rev: string }>(
      'select id, last_seq, rev from rooms where id = any($1::uuid[])',
      [roomIds],
    );
    const rows = await db.query<Row>(
      `select id, room_id, seq, rev, content, edited_at is not null as edited,
              deleted_at is not null as deleted, sender_id, client_id,
              mentions::text[] as mentions, mentions_all
         from messages where room_id = any($1::uuid[]) order by room_id, seq`,
      [roomIds],
    );
    const reactions = await db.query<{ message_id: string; emoji: string; ids: string[] }>(
      `select r.message_id, r.emoji, array_agg(r.user_id::text order by r.user_id) as ids
         from message_reactions r join messages m on m.id = r.message_id
        where m.room_id = any($1::uuid[]) group by 1, 2`,
      [roomIds],
    );
    const reactionsOf = new Map<string, string[]>();
    for (const r of reactions.rows) {
      const list = reactionsOf.get(r.message_id) ?? [];
      list.push(`${r.emoji}:${[...r.ids].sort().join(',')}`);
      reactionsOf.set(r.message_id, list);
    }
    const truth: Truth = { rooms: new Map(), byClientId: new Map() };
    for (const r of rooms.rows)
      truth.rooms.set(r.id, {
        id: r.id,
        lastSeq: Number(r.last_seq),
        rev: Number(r.rev),
        rows: [],
        visible: [],
      });
    for (const row of rows.rows) {
      const room = truth.rooms.get(row.room_id)!;
      const seq = Number(row.seq);
      room.rows.push({ id: row.id, seq, rev: Number(row.rev), deleted: row.deleted });
      if (!row.deleted)
        room.visible.push({
          id: row.id,
          seq,
          content: row.content,
          edited: row.edited,
          reactions: (reactionsOf.get(row.id) ?? []).sort(),
          mentions: canonicalMentions(row.mentions, row.mentions_all),
        });
      if (row.client_id !== null) {
        const key = `${row.sender_id} ${row.client_id}`;
        const list = truth.byClientId.get(key) ?? [];
        list.push({ id: row.id, room: row.room_id });
        truth.byClientId.set(key, list);
      }
    }
    return truth;
  } finally {
    await db.end();
  }
}

/** seq is 1..n with no gap and matches last_seq; revisions are unique and the latest is the room's. */
export function auditRooms(truth: Truth): string[] {
  const problems: string[] = [];
  for (const room of truth.rooms.values()) {
    const seqs = room.rows.map((r) => r.seq);
    const gapless = seqs.every((s, i) => s === i + 1);
    if (!gapless || seqs.length !== room.lastSeq)
      problems.push(
        `room ${room.id}: ${seqs.length} rows, seqs not 1..${room.lastSeq} ` +
          `(first break after ${seqs.find((s, i) => s !== i + 1) ?? seqs.length})`,
      );
    const revs = room.rows.map((r) => r.rev).sort((a, b) => a - b);
    const duplicates = revs.filter((r, i) => i > 0 && r === revs[i - 1]);
    if (duplicates.length > 0)
      problems.push(`room ${room.id}: rev taken twice: ${duplicates.slice(0, 5).join(', ')}`);
    if (revs.some((r) => !(r >= 1)) || (revs.at(-1) ?? 0) !== room.rev)
      problems.push(`room ${room.id}: message revs up to ${revs.at(-1)}, room rev ${room.rev}`);
  }
  return problems;
}

/** Every acknowledged clientId is stored exactly once, as the message it was acknowledged with. */
export function auditAcked(truth: Truth, acked: AckedSend[]): string[] {
  const problems: string[] = [];
  for (const send of acked) {
    const stored = truth.byClientId.get(`${send.userId} ${send.clientId}`) ?? [];
    if (stored.length !== 1 || stored[0]!.id !== send.id || stored[0]!.room !== send.room)
      problems.push(
        `acked ${send.clientId} as ${send.id} in ${send.room}: stored ${JSON.stringify(stored)}`,
      );
  }
  for (const [key, stored] of truth.byClientId)
    if (stored.length > 1) problems.push(`clientId ${key} stored ${stored.length} times`);
  return problems;
}

/** What differs between a client's view of a room and the server's (empty when they agree). */
export function compareView(who: string, view: RoomView, room: TruthRoom): string[] {
  const problems: string[] = [];
  if (view.rev !== room.rev)
    problems.push(`${who}: room ${room.id} at rev ${view.rev}, server at ${room.rev}`);
  const mine = new Map(view.visible().map((m) => [m.id, m]));
  const theirs = new Map(room.visible.map((m) => [m.id, m]));
  const missing = [...theirs.keys()].filter((id) => !mine.has(id));
  const extra = [...mine.keys()].filter((id) => !theirs.has(id));
  if (missing.length > 0)
    problems.push(`${who}: room ${room.id} misses ${missing.length}: ${missing.slice(0, 3)}`);
  if (extra.length > 0)
    problems.push(
      `${who}: room ${room.id} shows ${extra.length} deleted/unknown: ${extra.slice(0, 3)}`,
    );
  for (const [id, m] of mine) {
    const t = theirs.get(id);
    if (!t) continue;
    for (const field of ['seq', 'content', 'edited', 'reactions', 'mentions'] as const)
      if (JSON.stringify(m[field]) !== JSON.stringify(t[field]))
        problems.push(
          `${who}: message ${id} ${field} ${JSON.stringify(m[field])}, server ${JSON.stringify(t[field])}`,
        );
  }
  return problems;
}
