import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import {
  createRoom,
  createUser,
  listMessages,
  sendMessage,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';
import { socketPool } from '../helpers/sockets.js';
import { jobsDrained } from '../push/support.js';
import { clearRedisPrefix, redisEnv } from '../realtime/support.js';
import { fetchFile, keyOf, text, uploadOk } from '../files/support.js';

// SPEC "Retention": MESSAGE_RETENTION_DAYS and a room's shorter `retention_days`; a job of the durable
// queue deletes older messages with their files as ordinary deletions (tombstones, revs, events), once
// even when two nodes run it at the same moment, and writes each deletion in the audit log.

const env = {
  ...redisEnv(),
  MESSAGE_RETENTION_DAYS: '30',
  JOBS_WORKER: 'true',
  JOBS_POLL_MS: '20',
  // Both nodes store files in one place, as a deployment's nodes share their storage.
  UPLOAD_DIR: mkdtempSync(join(tmpdir(), 'chat-retention-')),
};
let db: TestDatabase;
let nodeA: TestApp;
let nodeB: TestApp;
let alice: TestUser;
let bob: TestUser;
const sockets = socketPool();

beforeAll(async () => {
  db = await createTestDatabase();
  nodeA = await startTestApp({ env, testDb: db });
  nodeB = await startTestApp({ env, testDb: db });
  alice = await createUser(nodeA);
  bob = await createUser(nodeA);
});
afterAll(async () => {
  sockets.closeAll();
  await nodeA?.stop();
  await nodeB?.stop();
  await db?.drop();
  await clearRedisPrefix(env.REDIS_PREFIX);
});

/** Makes a message `days` old (and `extraMs` more), as if it had been sent then. */
async function age(messageId: string, days: number, extraMs = 60_000): Promise<void> {
  await queryRows(
    nodeA.ctx.db,
    sql`update messages set created_at = now() - make_interval(days => ${days})
                                                 - make_interval(secs => ${extraMs / 1000})
        where id = ${messageId}`,
  );
}

async function roomRev(roomId: string): Promise<number> {
  const [row] = await queryRows<{ rev: string | number }>(
    nodeA.ctx.db,
    sql`select rev from rooms where id = ${roomId}`,
  );
  return Number(row!.rev);
}

interface AuditRow {
  target_id: string;
  actor_id: string | null;
  details: { messages: number; days: number; cutoff: string };
}

async function retentionAudit(roomId: string): Promise<AuditRow[]> {
  const rows = await queryRows<AuditRow & { details: unknown }>(
    nodeA.ctx.db,
    sql`select target_id, actor_id, details from audit_log
        where action = 'retention.run' and target_type = 'room' and target_id = ${roomId}
        order by id`,
  );
  return rows.map((r) => ({
    ...r,
    details: (typeof r.details === 'string'
      ? JSON.parse(r.details)
      : r.details) as AuditRow['details'],
  }));
}

/**
 * Adds `count` messages of `sender` to a room as one statement, `days` old (a long history to
 * expire), taking seq and rev as sends would.
 */
async function seedOld(roomId: string, sender: string, count: number, days: number) {
  await nodeA.ctx.db.transaction(async (tx) => {
    await queryRows(tx, sql`select id from rooms where id = ${roomId} for update`);
    await queryRows(
      tx,
      sql`insert into messages (room_id, seq, rev, sender_id, type, content, created_at)
          select r.id, r.last_seq + g, r.rev + g, ${sender}, 'text', 'old ' || g,
                 now() - make_interval(days => ${days})
          from rooms r, generate_series(1, ${count}) g
          where r.id = ${roomId}`,
    );
    await queryRows(
      tx,
      sql`update rooms set last_seq = last_seq + ${count}, rev = rev + ${count} where id = ${roomId}`,
    );
  });
}

describe('retention', () => {
  it('deletes exactly the messages older than the instance or the shorter room retention, with their files, as tombstones with revs and events', async () => {
    const long = await createRoom(nodeA, alice, { type: 'private', members: [bob] });
    const short = await createRoom(nodeA, alice, { type: 'private', members: [bob] });
    // The room keeps 7 days (its owner set that through PATCH /api/rooms/:id).
    await queryRows(nodeA.ctx.db, sql`update rooms set retention_days = 7 where id = ${short.id}`);

    const oldText = await sendMessage(nodeA, alice, long.id, 'older than 30 days');
    const oldReply = await sendMessage(nodeA, bob, long.id, 'also older', { replyTo: oldText.id });
    const { file, message: oldFile } = await uploadOk(nodeA, bob, text(), 'old.txt', {
      room: long.id,
    });
    const young = await sendMessage(nodeA, alice, long.id, '29 days old: kept');
    const fresh = await sendMessage(nodeA, bob, long.id, 'fresh: kept');
    await age(oldText.id, 31);
    await age(oldReply.id, 30);
    await age(oldFile.id, 45);
    await age(young.id, 29);
    const weekOld = await sendMessage(nodeA, alice, short.id, '8 days old');
    const sixDays = await sendMessage(nodeA, alice, short.id, '6 days old: kept');
    await age(weekOld.id, 8);
    await age(sixDays.id, 6);
    const stored = join(env.UPLOAD_DIR, keyOf(file.url));
    expect(existsSync(stored)).toBe(true);

    const watching = await sockets.connect(nodeB.url, bob.accessToken);
    await watching.waitFor('online-users');
    const before = { long: await roomRev(long.id), short: await roomRev(short.id) };

    const result = await nodeA.retention.run();
    expect(result).toEqual({ rooms: 2, messages: 4 });

    // History keeps the young ones only.
    const history = async (room: TestRoom) =>
      (await listMessages(nodeA, bob, room.id, 'limit=100')).data.map((m) => m.id);
    const longIds = await history(long);
    expect(longIds).toEqual(expect.arrayContaining([young.id, fresh.id]));
    for (const gone of [oldText.id, oldReply.id, oldFile.id]) expect(longIds).not.toContain(gone);
    expect(await history(short)).toEqual(expect.arrayContaining([sixDays.id]));
    expect(await history(short)).not.toContain(weekOld.id);

    // The file's stored object is gone, and its URL loads nothing.
    expect(existsSync(stored)).toBe(false);
    expect((await fetchFile(nodeA, file.url)).status).toBe(404);

    // Each deletion took exactly one rev: catch-up by rev shows tombstones, one rev each.
    const changes = await nodeA.http
      .get(`/api/messages?room=${long.id}&rev=${before.long}`)
      .set(bob.auth);
    expect(changes.status).toBe(200);
    const tombstones = changes.body.data as { id: string; rev: number; deleted?: true }[];
    expect(tombstones.map((m) => m.id).sort()).toEqual(
      [oldText.id, oldReply.id, oldFile.id].sort(),
    );
    expect(tombstones.every((m) => m.deleted === true)).toBe(true);
    expect(tombstones.map((m) => m.rev)).toEqual([
      before.long + 1,
      before.long + 2,
      before.long + 3,
    ]);
    expect(await roomRev(long.id)).toBe(before.long + 3);
    expect(await roomRev(short.id)).toBe(before.short + 1);

    // A client connected to the other node hears every deletion, and `sync` by rev converges.
    for (const id of [oldText.id, oldReply.id, oldFile.id, weekOld.id])
      await watching.waitFor<{ id: string }>('message-deleted', (e) => e.id === id);
    const events = watching.payloads<{ id: string; room: string; rev: number }>('message-deleted');
    expect(events.filter((e) => e.room === long.id).map((e) => e.rev)).toEqual(
      tombstones.map((m) => m.rev),
    );
    const synced = await watching.ack<{ room: string; messages: { id: string }[]; rev: number }[]>(
      'sync',
      { rooms: [{ room: long.id, rev: before.long }] },
    );
    expect(synced.success).toBe(true);
    expect(synced.data![0]!.messages.map((m) => m.id)).toEqual(tombstones.map((m) => m.id));
    expect(synced.data![0]!.rev).toBe(before.long + 3);

    // In the audit log, with no actor, the room and what was deleted.
    const longAudit = await retentionAudit(long.id);
    expect(longAudit).toEqual([
      {
        target_id: long.id,
        actor_id: null,
        details: { messages: 3, days: 30, cutoff: expect.any(String) },
      },
    ]);
    const shortAudit = await retentionAudit(short.id);
    expect(shortAudit.map((a) => a.details.messages)).toEqual([1]);
    expect(shortAudit[0]!.details.days).toBe(7);

    // A run finding nothing more deletes nothing and writes nothing.
    expect(await nodeB.retention.run()).toEqual({ rooms: 0, messages: 0 });
    expect(await retentionAudit(long.id)).toHaveLength(1);
  });

  it('two nodes running it at the same time delete each message once (one rev each, batches audited once)', async () => {
    const room = await createRoom(nodeA, alice, { type: 'public', members: [bob] });
    const keep = await sendMessage(nodeA, alice, room.id, 'recent');
    await seedOld(room.id, bob.id, 450, 40);
    const before = await roomRev(room.id);

    const [a, b] = await Promise.all([nodeA.retention.run(), nodeB.retention.run()]);
    expect(a.messages + b.messages).toBe(450);

    // 450 deletions, 450 revisions: none twice, none skipped.
    expect(await roomRev(room.id)).toBe(before + 450);
    const [counts] = await queryRows<{ deleted: number; revs: number }>(
      nodeA.ctx.db,
      sql`select count(*) filter (where deleted_at is not null)::int as deleted,
                 count(distinct rev) filter (where rev > ${before})::int as revs
          from messages where room_id = ${room.id}`,
    );
    expect(counts).toEqual({ deleted: 450, revs: 450 });
    const audit = await retentionAudit(room.id);
    expect(audit.reduce((n, e) => n + e.details.messages, 0)).toBe(450);
    // In batches of at most 200 per transaction.
    expect(audit.every((e) => e.details.messages <= 200)).toBe(true);
    expect((await listMessages(nodeA, alice, room.id)).data.map((m) => m.id)).toContain(keep.id);
  });

  it('is queued once per period whichever nodes queue it, and the queue runs it', async () => {
    const hour = 3_600_000;
    await Promise.all([nodeA.retention.scheduleNext(hour), nodeB.retention.scheduleNext(hour)]);
    await nodeA.retention.scheduleNext(hour);
    const queued = await queryRows<{ run_at: string; dedupe_key: string }>(
      nodeA.ctx.db,
      sql`select run_at, dedupe_key from jobs where kind = 'retention.run'`,
    );
    expect(queued).toHaveLength(1);
    expect(new Date(queued[0]!.run_at).getTime() % hour).toBe(0);
    await queryRows(nodeA.ctx.db, sql`delete from jobs where kind = 'retention.run'`);

    // A period that is due: the workers of the two nodes run it once.
    const room = await createRoom(nodeA, alice, { type: 'private', members: [bob] });
    await seedOld(room.id, alice.id, 5, 31);
    const before = await roomRev(room.id);
    const now = Date.now() - 1000;
    await Promise.all([
      nodeA.retention.scheduleNext(1000, now),
      nodeB.retention.scheduleNext(1000, now),
    ]);
    await jobsDrained(nodeA.ctx.db);
    expect(await roomRev(room.id)).toBe(before + 5);
    expect((await retentionAudit(room.id)).map((e) => e.details.messages)).toEqual([5]);
  });
});
