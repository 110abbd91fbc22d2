import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages, rooms } from '../../src/db/schema/index.js';
import { createSendBatcher } from '../../src/modules/messages/send-batcher.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createRoom, createUser, type TestRoom, type TestUser } from '../helpers/factories.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let room: TestRoom;
beforeAll(async () => {
  t = await startTestApp();
  alice = await createUser(t);
  bob = await createUser(t);
  room = await createRoom(t, alice, { type: 'public', members: [bob] });
});
afterAll(async () => {
  await t?.stop();
});

async function storedSeqs(roomId: string): Promise<number[]> {
  const rows = await t.ctx.db
    .select({ seq: messages.seq })
    .from(messages)
    .where(eq(messages.roomId, roomId));
  return rows.map((r) => r.seq).sort((a, b) => a - b);
}

// Text that stresses the array parameters of the batch statement.
const TRICKY = [
  'a "quoted" word',
  'back\\slash',
  '{braces,commas}',
  'NULL',
  'line\nbreak',
  'émoji 👍🏽',
  "it's",
  '',
];

describe('sends queued in one tick go in as one batch', () => {
  it('stores every message exactly as sent, in order, with gapless seqs', async () => {
    const batcher = createSendBatcher(t.ctx.db);
    const before = (await storedSeqs(room.id)).length;
    const sends = Array.from({ length: 40 }, (_, i) => ({
      senderId: i % 2 ? alice.id : bob.id,
      type: 'text' as const,
      content: `${TRICKY[i % TRICKY.length]} #${i}`,
      replyToId: null,
      clientId: `batch-${i}`,
    }));
    const results = await Promise.all(sends.map((m) => batcher.send(room.id, m)));
    expect(results.every(Boolean)).toBe(true);
    expect(results.map((r) => r!.message.content)).toEqual(sends.map((m) => m.content));
    const seqs = results.map((r) => r!.message.seq);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => before + i + 1));
    expect(await storedSeqs(room.id)).toEqual(Array.from({ length: before + 40 }, (_, i) => i + 1));
    const [roomRow] = await t.ctx.db.select().from(rooms).where(eq(rooms.id, room.id));
    expect(roomRow!.lastSeq).toBe(before + 40);
    // Each message took its own revision, in the same order as seq.
    const revs = results.map((r) => r!.message.rev);
    expect(revs).toEqual(Array.from({ length: 40 }, (_, i) => roomRow!.rev - 39 + i));
  });

  it('a duplicate clientId in a batch is stored once and leaves no gap', async () => {
    const batcher = createSendBatcher(t.ctx.db);
    const before = (await storedSeqs(room.id)).length;
    const sends = ['x', 'y', 'dup', 'z', 'dup'].map((c, i) => ({
      senderId: alice.id,
      type: 'text' as const,
      content: `${c} ${i}`,
      replyToId: null,
      clientId: c === 'dup' ? 'same-client-id' : `uniq-${i}`,
    }));
    const results = await Promise.all(sends.map((m) => batcher.send(room.id, m)));
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
    expect(await storedSeqs(room.id)).toEqual(Array.from({ length: before + 4 }, (_, i) => i + 1));
  });
});
