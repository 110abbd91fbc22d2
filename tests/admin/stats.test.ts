import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type Database } from '../../src/db/client.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  expectError,
  sendMessage,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';
import { pdf, uploadOk } from '../files/support.js';

// SPEC "Activity": GET /api/admin/stats counts per UTC day from the rows kept, and /metrics shows the
// same figures. Every row the per-day assertions count is placed on a known day by SQL, so the test
// does not depend on the hour it runs at.

const DAY_MS = 86_400_000;
/** `YYYY-MM-DD` of the UTC day `offset` days from today. */
const day = (offset: number) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);

let t: TestApp;
let boss: TestUser;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let roomA: TestRoom;
let roomB: TestRoom;
let general: string;
let uploadBytes: number;

/** Moves rows of `table` to noon UTC of `when` (a `YYYY-MM-DD`). */
async function placeOn(table: 'messages' | 'users' | 'files', ids: string[], when: string) {
  const column = table === 'files' ? sql.raw('message_id') : sql.raw('id');
  await queryRows(
    t.ctx.db,
    sql`update ${sql.raw(table)} set created_at = (${when}::date + time '12:00') at time zone 'UTC'
      where ${column} in (${sql.join(
        ids.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`,
  );
}

const stats = (query = '', user: TestUser = boss) =>
  t.http.get(`/api/admin/stats${query}`).set(user.auth);

beforeAll(async () => {
  t = await startTestApp();
  boss = await createUser(t);
  await queryRows(t.ctx.db, sql`update users set role = 'admin' where id = ${boss.id}`);
  alice = await createUser(t);
  bob = await createUser(t);
  carol = await createUser(t);
  roomA = await createRoom(t, alice, { name: 'Alpha', members: [bob] });
  roomB = await createRoom(t, alice, { name: 'Bravo', type: 'public' });
  general = (await t.http.get('/api/rooms/general').set(alice.auth)).body.data.id;

  // Four days ago: Alice and Bob join, Alice sends 2 and Bob 1 in Alpha, and a system notice.
  await placeOn('users', [boss.id], day(-40));
  await placeOn('users', [alice.id, bob.id], day(-4));
  const a1 = await sendMessage(t, alice, roomA.id, 'a1');
  const a2 = await sendMessage(t, alice, roomA.id, 'a2');
  const b1 = await sendMessage(t, bob, roomA.id, 'b1');
  await placeOn('messages', [a1.id, a2.id, b1.id], day(-4));
  await queryRows(
    t.ctx.db,
    sql`insert into messages (room_id, seq, rev, type, content, created_at)
      values (${roomA.id}, 1000, 1000, 'system', 'notice', (${day(-4)}::date + time '13:00') at time zone 'UTC')`,
  );
  // Three days ago: nothing.
  // Two days ago: Carol joins and sends a message in Bravo (deleted since: it still counts as sent);
  // Bob uploads a file into general (a file message, and an upload).
  await placeOn('users', [carol.id], day(-2));
  expect((await t.http.post(`/api/rooms/${roomB.id}/join`).set(carol.auth)).status).toBe(200);
  const c1 = await sendMessage(t, carol, roomB.id, 'c1');
  expect((await t.http.delete(`/api/messages/${c1.id}`).set(carol.auth)).status).toBe(200);
  const upload = await uploadOk(t, bob, pdf(), 'notes.pdf', { room: general });
  uploadBytes = upload.file.size;
  await placeOn('messages', [c1.id, upload.message.id], day(-2));
  await placeOn('files', [upload.message.id], day(-2));
  // Yesterday: Alice sends one in Alpha and one in Bravo.
  const a3 = await sendMessage(t, alice, roomA.id, 'a3');
  const a4 = await sendMessage(t, alice, roomB.id, 'a4');
  await placeOn('messages', [a3.id, a4.id], day(-1));
  // Today: the boss says hello in general and uploads one file (left at now(), for /metrics).
  await sendMessage(t, boss, general, 'hello');
  await uploadOk(t, boss, Buffer.from('plain text notes\n'), 'today.txt', { room: general });
});
afterAll(async () => {
  await t?.stop();
});

const zero = { messages: 0, activeSenders: 0, newUsers: 0, uploads: 0, uploadBytes: 0 };

describe('GET /api/admin/stats', () => {
  it('counts each day of the range, zeros included, with totals and the busiest rooms', async () => {
    const res = await stats(`?from=${day(-5)}&to=${day(-1)}`);
    expect(res.status).toBe(200);
    const data = res.body.data;
    expect(data.from).toBe(day(-5));
    expect(data.to).toBe(day(-1));
    expect(data.days).toEqual([
      { day: day(-5), ...zero },
      { day: day(-4), ...zero, messages: 3, activeSenders: 2, newUsers: 2 },
      { day: day(-3), ...zero },
      { day: day(-2), messages: 2, activeSenders: 2, newUsers: 1, uploads: 1, uploadBytes },
      { day: day(-1), ...zero, messages: 2, activeSenders: 1 },
    ]);
    const [todayFile] = await queryRows<{ size: number }>(
      t.ctx.db,
      sql`select size from files where name = 'today.txt'`,
    );
    expect(data.totals).toEqual({
      users: 4,
      rooms: 3,
      // a1 a2 b1 a3 in Alpha, a4 in Bravo, the upload, hello and today's upload in general; c1
      // is deleted and the notice is a system message.
      messages: 8,
      storageBytes: uploadBytes + todayFile!.size,
    });
    const room = (r: TestRoom | { id: string; slug: string; name: string; type: string }) => ({
      id: r.id,
      slug: r.slug,
      name: r.name,
      type: r.type,
    });
    const generalRoom = (await t.http.get('/api/rooms/general').set(alice.auth)).body.data;
    expect(data.busiestRooms).toEqual([
      { room: room(roomA), messages: 4 },
      { room: room(roomB), messages: 2 },
      { room: room(generalRoom), messages: 1 },
    ]);
  });

  it('defaults to the 30 days ending today', async () => {
    const res = await stats();
    expect(res.status).toBe(200);
    const { from, to, days } = res.body.data;
    expect([from, to, days.length]).toEqual([day(-29), day(0), 30]);
    expect(days.at(-1)).toMatchObject({ day: day(0), messages: 2, uploads: 1 });
    expect(days.find((d: { day: string }) => d.day === day(-4)).messages).toBe(3);
    // Only `to`: the 30 days ending then.
    const until = await stats(`?to=${day(-10)}`);
    expect([until.body.data.from, until.body.data.days.length]).toEqual([day(-39), 30]);
  });

  it('answers up to 366 days, and 400 beyond or when from is after to', async () => {
    const leapYear = await stats('?from=2024-01-01&to=2024-12-31');
    expect(leapYear.status).toBe(200);
    expect(leapYear.body.data.days).toHaveLength(366);
    expect(leapYear.body.data.days[59]).toEqual({ day: '2024-02-29', ...zero });
    expect((await stats('?from=2023-01-01&to=2024-01-01')).status).toBe(200);
    expectError(await stats('?from=2023-01-01&to=2024-01-02'), 400, 'VALIDATION_ERROR');
    expectError(await stats(`?from=${day(-1)}&to=${day(-2)}`), 400, 'VALIDATION_ERROR');
    expectError(await stats('?from=2024-02-30'), 400, 'VALIDATION_ERROR');
    expectError(await stats('?from=yesterday'), 400, 'VALIDATION_ERROR');
    expectError(await stats('?from=0001-01-01&to=0001-01-02'), 400, 'VALIDATION_ERROR');
    // The edges of the calendar both databases and JavaScript agree on.
    for (const edge of ['?from=1970-01-01&to=1970-01-01', '?from=9999-12-30&to=9999-12-31'])
      expect((await stats(edge)).status).toBe(200);
    // Only `from`, long ago: up to today is too long.
    expectError(await stats('?from=2000-01-01'), 400, 'VALIDATION_ERROR');
  });

  it('answers 403 to a plain user', async () => {
    expectError(await stats('', alice), 403, 'FORBIDDEN');
  });
});

describe('/metrics', () => {
  it('reads the figures once per scrape (two statements), and NaN when the database fails', async () => {
    let statements = 0;
    const broken = {
      db: {
        execute: () => {
          statements += 1;
          return Promise.reject(new Error('database down'));
        },
      },
      poolStats: () => ({ total: 0, idle: 0, waiting: 0 }),
      onQuery: () => undefined,
    } as unknown as Database;
    const metrics = createMetrics(broken, () => 0);
    const text = await metrics.registry.metrics();
    // prom-client writes NaN as `Nan`; Prometheus reads it either way (case-insensitive).
    expect(text).toMatch(/^chat_users nan$/im);
    expect(text).toMatch(/^chat_messages_today nan$/im);
    expect(text).toMatch(/^socket_connections 0$/m);
    expect(statements).toBe(2);
    await metrics.registry.metrics();
    expect(statements).toBe(4);
  });

  it('shows the totals and today’s figures as gauges', async () => {
    const res = await t.http.get('/metrics');
    expect(res.status).toBe(200);
    const value = (name: string) => {
      const line = res.text.split('\n').find((l) => l.startsWith(`${name} `));
      return line === undefined ? undefined : Number(line.split(' ')[1]);
    };
    const { totals, days } = (await stats(`?from=${day(0)}&to=${day(0)}`)).body.data;
    const [today] = days;
    expect({
      users: value('chat_users'),
      rooms: value('chat_rooms'),
      messages: value('chat_messages'),
      storageBytes: value('chat_storage_bytes'),
    }).toEqual(totals);
    expect(totals.messages).toBe(8);
    expect({
      day: today.day,
      messages: value('chat_messages_today'),
      activeSenders: value('chat_active_senders_today'),
      newUsers: value('chat_new_users_today'),
      uploads: value('chat_uploads_today'),
      uploadBytes: value('chat_upload_bytes_today'),
    }).toEqual(today);
    expect(today).toMatchObject({ messages: 2, activeSenders: 1, uploads: 1 });
  });
});
