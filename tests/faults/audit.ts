import pg from 'pg';
import type { ChatClient, Msg } from './support.js';

/** The fault tests' final audit: what the clients were told against what PostgreSQL holds. */

/** The ids → seq a client knows of in a room (live and synced), failing on an id seen with two seqs. */
export function knownMessages(received: Msg[]): Map<string, number> {
  const byId = new Map<string, number>();
  for (const m of received) {
    const seq = byId.get(m.id);
    if (seq !== undefined && seq !== m.seq)
      throw new Error(`message ${m.id} seen with seq ${seq} and ${m.seq}`);
    byId.set(m.id, m.seq);
  }
  return byId;
}

export interface RoomAudit {
  /** rooms.last_seq */
  lastSeq: number;
  messages: number;
  distinctSeqs: number;
  /** clientIds stored more than once, anywhere. */
  duplicateClientIds: string[];
  /** clientId → stored count, for the clientIds asked about. */
  stored: Map<string, number>;
}

/** Reads the truth straight from PostgreSQL. */
export async function auditRoom(
  url: string,
  room: string,
  clientIds: string[],
): Promise<RoomAudit> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const last = await client.query<{ last_seq: string }>(
      'select last_seq from rooms where id = $1',
      [room],
    );
    const counts = await client.query<{ n: string; d: string }>(
      'select count(*) as n, count(distinct seq) as d from messages where room_id = $1',
      [room],
    );
    const dups = await client.query<{ client_id: string }>(
      'select client_id, count(*) from messages where client_id is not null group by 1 having count(*) > 1',
    );
    const stored = await client.query<{ client_id: string; n: string }>(
      'select client_id, count(*) as n from messages where client_id = any($1::text[]) group by 1',
      [clientIds],
    );
    return {
      lastSeq: Number(last.rows[0]?.last_seq ?? 0),
      messages: Number(counts.rows[0]?.n ?? 0),
      distinctSeqs: Number(counts.rows[0]?.d ?? 0),
      duplicateClientIds: dups.rows.map((r) => r.client_id),
      stored: new Map(stored.rows.map((r) => [r.client_id, Number(r.n)])),
    };
  } finally {
    await client.end();
  }
}

/**
 * The audit every fault test ends with: each client, with what it got live plus a sync from seq 0,
 * knows every acknowledged message, the room's seqs are exactly 1..lastSeq, and every clientId that
 * was acknowledged is stored exactly once.
 */
export async function expectNoLossNoDuplicate(
  clients: ChatClient[],
  room: string,
  databaseUrl: string,
): Promise<{ acked: number; lastSeq: number; problems: string[] }> {
  const problems: string[] = [];
  const acked = new Map<string, Msg>();
  for (const c of clients) for (const [clientId, m] of c.acked) acked.set(clientId, m);
  const ackedIds = new Map<string, number>();
  for (const m of acked.values()) {
    const seq = ackedIds.get(m.id);
    if (seq !== undefined && seq !== m.seq) problems.push(`acked ${m.id} with two seqs`);
    ackedIds.set(m.id, m.seq);
  }
  const audit = await auditRoom(databaseUrl, room, [...acked.keys()]);
  if (audit.duplicateClientIds.length > 0)
    problems.push(`clientIds stored twice: ${audit.duplicateClientIds.join(', ')}`);
  if (audit.messages !== audit.lastSeq || audit.distinctSeqs !== audit.lastSeq)
    problems.push(
      `room has ${audit.messages} rows, ${audit.distinctSeqs} seqs, last ${audit.lastSeq}`,
    );
  for (const clientId of acked.keys()) {
    const n = audit.stored.get(clientId) ?? 0;
    if (n !== 1) problems.push(`acked clientId ${clientId} stored ${n} times`);
  }
  const unacked = clients.flatMap((c) => c.unacked);
  if (unacked.length > 0) problems.push(`${unacked.length} clientIds never acknowledged`);

  await Promise.all(
    clients.map(async (c) => {
      const synced = await c.syncAll(room);
      for (let i = 1; i < synced.length; i += 1)
        if (synced[i]!.seq <= synced[i - 1]!.seq)
          problems.push(`${c.user.username}: sync out of order`);
      let known: Map<string, number>;
      try {
        known = knownMessages([...(c.live.get(room) ?? []), ...synced]);
      } catch (err) {
        problems.push(`${c.user.username}: ${(err as Error).message}`);
        return;
      }
      const seqs = [...known.values()].sort((a, b) => a - b);
      const gapless = seqs.length === audit.lastSeq && seqs.every((s, i) => s === i + 1);
      if (!gapless)
        problems.push(`${c.user.username}: ${seqs.length} messages, not seqs 1..${audit.lastSeq}`);
      for (const [id, seq] of ackedIds)
        if (known.get(id) !== seq) problems.push(`${c.user.username}: misses acked ${id}`);
    }),
  );
  return { acked: acked.size, lastSeq: audit.lastSeq, problems: problems.slice(0, 20) };
}
