import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  expectError,
  listMessages,
  sendMessage,
  type TestMessage,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';

let t: TestApp;
let owner: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  owner = await createUser(t);
});
afterAll(async () => {
  await t?.stop();
});

/** Every message of a room, oldest first, by paging the catch-up list. */
async function allMessages(user: TestUser, room: string): Promise<TestMessage[]> {
  const all: TestMessage[] = [];
  let after = '0';
  for (;;) {
    const page = await listMessages(t, user, room, `limit=100&after=${encodeURIComponent(after)}`);
    all.push(...(page.data as TestMessage[]));
    if (!page.nextCursor) return all;
    after = page.nextCursor;
  }
}

// Hundreds of requests in flight: on the embedded database under a loaded machine this takes a while.
const SLOW = 120_000;

describe('seq under concurrent senders', () => {
  let users: TestUser[];
  let room: TestRoom;
  beforeAll(async () => {
    users = await Promise.all(Array.from({ length: 20 }, () => createUser(t)));
    room = await createRoom(t, owner, { type: 'private', members: users });
  }, SLOW);

  it(
    '20 users sending 200 messages at once get exactly the next 200 seqs, no gaps, no repeats',
    async () => {
      const before = await sendMessage(t, owner, room.id, 'already there');
      const results = await Promise.all(
        users.flatMap((u, ui) =>
          Array.from({ length: 10 }, (_, i) =>
            t.http
              .post('/api/messages')
              .set(u.auth)
              .send({ room: room.id, content: `user ${ui} message ${i}` }),
          ),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(200).fill(201));
      const seqs = results.map((r) => r.body.data.seq as number).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => before.seq + 1 + i));

      const stored = await allMessages(owner, room.id);
      expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 201 }, (_, i) => i + 1));
      expect(new Set(stored.map((m) => m.id)).size).toBe(201);
      // Each sender's own ten messages are all there, and each message came back with its stored seq.
      const bySeq = new Map(stored.map((m) => [m.seq, m]));
      for (const r of results) expect(bySeq.get(r.body.data.seq)?.id).toBe(r.body.data.id);
    },
    SLOW,
  );
});

describe('idempotent sends with clientId', () => {
  it(
    '50 concurrent sends with one clientId store one message: one 201 and 49 × 200, one id',
    async () => {
      const sender = await createUser(t);
      const room = await createRoom(t, owner, { members: [sender] });
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          t.http
            .post('/api/messages')
            .set(sender.auth)
            .send({ room: room.id, content: 'only once', clientId: 'retry-key-1' }),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 200)).toHaveLength(49);
      expect(new Set(results.map((r) => r.body.data.id)).size).toBe(1);

      const stored = await allMessages(owner, room.id);
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({
        id: results[0]!.body.data.id,
        seq: 1,
        content: 'only once',
      });
      // No seq was used up by the retries that lost: the next message is seq 2.
      expect((await sendMessage(t, owner, room.id, 'next')).seq).toBe(2);
    },
    SLOW,
  );

  it('the same clientId with other content is 409 CONFLICT, and nothing is stored', async () => {
    const room = await createRoom(t, owner);
    const first = await t.http
      .post('/api/messages')
      .set(owner.auth)
      .send({ room: room.id, content: 'first try', clientId: 'k-2' });
    expect(first.status).toBe(201);
    const retry = await t.http
      .post('/api/messages')
      .set(owner.auth)
      .send({ room: room.id, content: 'second try', clientId: 'k-2' });
    expectError(retry, 409, 'CONFLICT');
    expect(await allMessages(owner, room.id)).toHaveLength(1);
  });

  it('the same clientId from another user creates that user’s own message', async () => {
    const other = await createUser(t);
    const room = await createRoom(t, owner, { members: [other] });
    const mine = await sendMessage(t, owner, room.id, 'from owner', { clientId: 'shared-key' });
    const theirs = await t.http
      .post('/api/messages')
      .set(other.auth)
      .send({ room: room.id, content: 'from other', clientId: 'shared-key' });
    expect(theirs.status).toBe(201);
    expect(theirs.body.data.id).not.toBe(mine.id);
    expect(theirs.body.data.sender.id).toBe(other.id);
    const stored = await allMessages(owner, room.id);
    expect(stored.map((m) => m.content)).toEqual(['from owner', 'from other']);
  });

  it('sends without clientId are never merged', async () => {
    const room = await createRoom(t, owner);
    await Promise.all([1, 2, 3].map(() => sendMessage(t, owner, room.id, 'same text')));
    expect(await allMessages(owner, room.id)).toHaveLength(3);
  });
});
