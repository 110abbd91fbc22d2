import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  expectError,
  listMessages,
  sendMessage,
  sendMessages,
  type TestMessage,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';

let t: TestApp;
let alice: TestUser;
let room: TestRoom;
let sent: TestMessage[];
beforeAll(async () => {
  t = await startTestApp();
  alice = await createUser(t);
  room = await createRoom(t, alice);
  sent = await sendMessages(t, alice, room.id, 120, 'm');
});
afterAll(async () => {
  await t?.stop();
});

const q = (cursor: string) => encodeURIComponent(cursor);

describe('GET /api/messages history (newest first)', () => {
  it('without a cursor returns the newest page of 50 by default with a nextCursor', async () => {
    const res = await t.http.get(`/api/messages?room=${room.id}`).set(alice.auth);
    expect(res.status).toBe(200);
    expect(res.body.page).toEqual({ nextCursor: expect.any(String), limit: 50 });
    expect(res.body.data.map((m: TestMessage) => m.seq)).toEqual(
      Array.from({ length: 50 }, (_, i) => 120 - i),
    );
  });

  it('paging back with before through 120 messages at limit 50 returns each message once', async () => {
    const seen: TestMessage[] = [];
    const pageSizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await listMessages(
        t,
        alice,
        room.id,
        `limit=50${cursor ? `&before=${q(cursor)}` : ''}`,
      );
      pageSizes.push(page.data.length);
      seen.push(...(page.data as TestMessage[]));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pageSizes).toEqual([50, 50, 20]);
    expect(seen.map((m) => m.id)).toEqual([...sent].reverse().map((m) => m.id));
  });

  it('messages sent while paging back cause no skips and no repeats', async () => {
    const busy = await createRoom(t, alice);
    const old = await sendMessages(t, alice, busy.id, 30, 'old');
    const seen: string[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const page = await listMessages(
        t,
        alice,
        busy.id,
        `limit=7${cursor ? `&before=${q(cursor)}` : ''}`,
      );
      seen.push(...page.data.map((m) => m.id));
      cursor = page.nextCursor;
      round += 1;
      await sendMessages(t, alice, busy.id, 3, `new ${round}`);
    } while (cursor);
    expect(seen).toEqual([...old].reverse().map((m) => m.id));
  });

  it('before accepts a bare seq number', async () => {
    const page = await listMessages(t, alice, room.id, 'before=11&limit=100');
    expect(page.data.map((m) => m.seq)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(page.nextCursor).toBeNull();
  });

  it('the last page has nextCursor null, even when it is exactly full', async () => {
    const page = await listMessages(t, alice, room.id, 'before=21&limit=20');
    expect(page.data).toHaveLength(20);
    expect(page.nextCursor).toBeNull();
  });

  it('an empty room gives an empty page', async () => {
    const empty = await createRoom(t, alice);
    expect(await listMessages(t, alice, empty.id)).toEqual({ data: [], nextCursor: null });
  });
});

describe('GET /api/messages catch-up with after (oldest first)', () => {
  it('after a seq returns the later messages oldest first, paging with nextCursor', async () => {
    const first = await listMessages(t, alice, room.id, 'after=100&limit=15');
    expect(first.data.map((m) => m.seq)).toEqual(Array.from({ length: 15 }, (_, i) => 101 + i));
    const second = await listMessages(t, alice, room.id, `after=${q(first.nextCursor!)}&limit=15`);
    expect(second.data.map((m) => m.seq)).toEqual([116, 117, 118, 119, 120]);
    expect(second.nextCursor).toBeNull();
  });

  it('after the newest seq is empty', async () => {
    expect(await listMessages(t, alice, room.id, 'after=120')).toEqual({
      data: [],
      nextCursor: null,
    });
  });

  it('deleted messages appear as tombstones in catch-up but not in history', async () => {
    const r = await createRoom(t, alice);
    const [a, b, c] = await sendMessages(t, alice, r.id, 3);
    const gone = await t.http.delete(`/api/messages/${b!.id}`).set(alice.auth).expect(200);
    const catchUp = await listMessages(t, alice, r.id, 'after=0');
    const rev = gone.body.data.rev as number;
    expect(catchUp.data).toEqual([
      a,
      { id: b!.id, room: r.id, seq: b!.seq, rev, deleted: true },
      c,
    ]);
    const hist = await listMessages(t, alice, r.id);
    expect(hist.data.map((m) => m.id)).toEqual([c!.id, a!.id]);
    const older = await listMessages(t, alice, r.id, `before=${c!.seq}`);
    expect(older.data.map((m) => m.id)).toEqual([a!.id]);
  });

  it('a catch-up cursor keeps working while new messages arrive', async () => {
    const r = await createRoom(t, alice);
    await sendMessages(t, alice, r.id, 5);
    const page = await listMessages(t, alice, r.id, 'after=0&limit=3');
    await sendMessage(t, alice, r.id, 'late');
    const rest = await listMessages(t, alice, r.id, `after=${q(page.nextCursor!)}&limit=100`);
    expect(rest.data.map((m) => m.seq)).toEqual([4, 5, 6]);
  });
});

describe('invalid paging input', () => {
  it.each([
    ['limit=0', 'limit=0'],
    ['limit=101', 'limit=101'],
    ['limit=abc', 'limit=abc'],
    ['a garbage before cursor', 'before=not-a-cursor'],
    ['a garbage after cursor', 'after=%25%25%25'],
    ['a negative seq', 'before=-5'],
    ['a cursor of another list', `before=${Buffer.from('o:20').toString('base64url')}`],
    ['both before and after', 'before=5&after=2'],
  ])('%s is 400', async (_label, query) => {
    const res = await t.http.get(`/api/messages?room=${room.id}&${query}`).set(alice.auth);
    expectError(res, 400, 'VALIDATION_ERROR');
  });

  it('a missing room is 400', async () => {
    expectError(await t.http.get('/api/messages').set(alice.auth), 400, 'VALIDATION_ERROR');
  });

  it('limit=100 is the maximum and is accepted', async () => {
    const page = await listMessages(t, alice, room.id, 'limit=100');
    expect(page.data).toHaveLength(100);
  });
});
