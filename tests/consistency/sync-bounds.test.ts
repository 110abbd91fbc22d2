import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createRoom, createUser, type TestRoom, type TestUser } from '../helpers/factories.js';
import { socketPool, type AckResult, type RecordedSocket } from '../helpers/sockets.js';
import { generalRoomId } from '../realtime/support.js';
import { notConsecutive, okEntry, oneTo, type SyncEntry } from './support.js';

// SPEC.md "Consistency", Bounds: one `sync` names at most 100 rooms, each at most once (a repeated room
// is VALIDATION_ERROR); it returns at most 100 messages per room and at most 1,000 in all; rooms past
// that come back with what fits and `hasMore: true`. Before the fix a sync could name 200 rooms, the same
// one 200 times, and answer each with 100 messages: one ack of megabytes, read in parallel.

let t: TestApp;
let user: TestUser;
let socket: RecordedSocket | undefined;
const sockets = socketPool();

beforeAll(async () => {
  t = await startTestApp({ env: { SOCKET_EVENT_LIMIT: '1000000' } });
  user = await createUser(t);
});
afterEach(() => sockets.closeAll());
afterAll(async () => {
  await t?.stop();
});

type SyncRoom = { room: string; after: number } | { room: string; rev: number };

async function sync(rooms: SyncRoom[]): Promise<AckResult<SyncEntry[]>> {
  // afterEach closes the sockets: each test opens its own on its first sync.
  if (!socket?.socket.connected) socket = await sockets.connect(t.url, user.accessToken);
  return socket.ack<SyncEntry[]>('sync', { rooms });
}

function expectValidationError(reply: AckResult<unknown>): void {
  expect(reply).toMatchObject({
    success: false,
    error: { code: 'VALIDATION_ERROR', message: expect.any(String) },
  });
  expect(reply.data).toBeUndefined();
}

describe('sync: how many rooms, how often each', () => {
  it('naming 101 rooms is refused with VALIDATION_ERROR; naming 100 is answered, one entry a room', async () => {
    const hundred = [
      { room: 'general', after: 0 },
      ...oneTo(99).map((i) => ({ room: `r-${i}`, after: 0 })),
    ];
    expectValidationError(await sync([...hundred, { room: 'r-100', after: 0 }]));

    const reply = await sync(hundred);
    expect(reply.success).toBe(true);
    expect(reply.data).toHaveLength(100);
    expect(reply.data![0]).toMatchObject({ room: 'general', hasMore: false });
    expect(reply.data![1]).toMatchObject({ room: 'r-1', error: { code: 'NOT_FOUND' } });
  });

  it('naming the same room twice is refused with VALIDATION_ERROR', async () => {
    const room = await createRoom(t, user);
    expectValidationError(
      await sync([
        { room: room.id, after: 0 },
        { room: room.id, after: 5 },
      ]),
    );
    expectValidationError(
      await sync([
        { room: room.id, after: 0 },
        { room: room.id, rev: 0 },
      ]),
    );
  });

  it('naming the same room by its slug and by its id is refused with VALIDATION_ERROR', async () => {
    const general = await generalRoomId(t, user);
    expectValidationError(
      await sync([
        { room: 'general', after: 0 },
        { room: general, after: 0 },
      ]),
    );
  });

  it('200 copies of { room: general, after: 0 } are refused with VALIDATION_ERROR, not answered', async () => {
    const reply = await sync(Array.from({ length: 200 }, () => ({ room: 'general', after: 0 })));
    expectValidationError(reply);
    // The refusal is small: no message of the room was read into it.
    expect(JSON.stringify(reply).length).toBeLessThan(20_000);
  });
});

describe('sync: how many messages', () => {
  const ROOMS = 12;
  const PER_ROOM = 120;
  let rooms: TestRoom[];

  beforeAll(async () => {
    const owner = await createUser(t);
    rooms = await Promise.all(
      Array.from({ length: ROOMS }, () => createRoom(t, owner, { members: [user] })),
    );
    // Every room at once, 40 sends in flight a room: the send batcher takes them in a few statements.
    for (let from = 1; from <= PER_ROOM; from += 40) {
      const results = await Promise.all(
        rooms.flatMap((room) =>
          Array.from({ length: 40 }, (_, i) =>
            t.http
              .post('/api/messages')
              .set(owner.auth)
              .send({ room: room.id, content: `message ${from + i}` }),
          ),
        ),
      );
      expect(results.filter((r) => r.status !== 201)).toEqual([]);
    }
  }, 180_000);

  /**
   * Syncs all the rooms from the start and asks again from where each stopped until none has more.
   * Returns the replies and, per room, the seqs received in order.
   */
  async function syncToTheEnd(mode: 'after' | 'rev') {
    const from = new Map<string, number>(rooms.map((r) => [r.id, 0]));
    const received = new Map<string, number[]>(rooms.map((r) => [r.id, []]));
    const replies: SyncEntry[][] = [];
    let open = rooms.map((r) => r.id);
    while (open.length > 0 && replies.length < 10) {
      const reply = await sync(
        open.map((room) =>
          mode === 'after' ? { room, after: from.get(room)! } : { room, rev: from.get(room)! },
        ),
      );
      expect(reply.success).toBe(true);
      replies.push(reply.data!);
      for (const raw of reply.data!) {
        const entry = okEntry(raw);
        received.get(entry.room)!.push(...entry.messages.map((m) => m.seq));
        const last = entry.messages.at(-1);
        if (mode === 'after') from.set(entry.room, last ? last.seq : from.get(entry.room)!);
        else from.set(entry.room, entry.rev);
      }
      open = reply.data!.filter((e) => okEntry(e).hasMore).map((e) => e.room);
    }
    return { replies, received };
  }

  for (const mode of ['after', 'rev'] as const) {
    it(`12 rooms of 120 messages from ${mode} 0: at most 100 a room and 1,000 in all, the rooms past that empty with hasMore`, async () => {
      const reply = await sync(rooms.map((r) => ({ room: r.id, [mode]: 0 }) as SyncRoom));
      expect(reply.success).toBe(true);
      const entries = reply.data!.map(okEntry);
      expect(entries.map((e) => e.room)).toEqual(rooms.map((r) => r.id));
      const counts = entries.map((e) => e.messages.length);
      for (const n of counts) expect(n).toBeLessThanOrEqual(100);
      expect(counts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1000);
      // Rooms are answered in the order named: the first ten fill the budget, the last two get nothing.
      expect(counts).toEqual([...Array(10).fill(100), 0, 0]);
      expect(entries.map((e) => e.hasMore)).toEqual(Array(ROOMS).fill(true));
      for (const e of entries.slice(0, 10))
        expect(e.messages.map((m) => m.seq)).toEqual(oneTo(100));
    });

    it(`12 rooms of 120 messages, asked again by ${mode} from where each stopped: every message once, no gap`, async () => {
      const { replies, received } = await syncToTheEnd(mode);
      for (const reply of replies) {
        const counts = reply.map((e) => okEntry(e).messages.length);
        for (const n of counts) expect(n).toBeLessThanOrEqual(100);
        expect(counts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1000);
      }
      for (const room of rooms) {
        const seqs = received.get(room.id)!;
        expect(notConsecutive(seqs)).toEqual([]);
        expect(seqs).toEqual(oneTo(PER_ROOM));
      }
      // 1,440 messages at 1,000 a sync: the second sync finishes the first ten rooms and starts the
      // last two, the third finishes those.
      expect(replies).toHaveLength(3);
    });
  }
});
