import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../convergence/random.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createRoom, createUser, myRoom, type TestUser } from '../helpers/factories.js';

// SPEC "Counts": `mentionCount` (and `unreadCount`) stay exact under concurrent sends, edits that add
// or remove a mention, deletions and reads. Seeded (MENTION_SEED) and checked against an oracle
// computed from the final history, as every member sees it.

const SEED = Number(process.env.MENTION_SEED ?? Date.now() % 1_000_000);
const OPS = 160;
const PARALLEL = 8;

interface Msg {
  id: string;
  seq: number;
  sender: { id: string } | null;
  mentions: string[];
  mentionsAll: boolean;
  replyPreview: { sender: { id: string } | null } | null;
}

let t: TestApp;
let users: TestUser[];
let roomId: string;

beforeAll(async () => {
  t = await startTestApp();
  users = [];
  for (let i = 0; i < 11; i += 1) users.push(await createUser(t));
  // Eleven members: `@all` by the owner (users[0]) and the admin (users[1]) counts.
  roomId = (await createRoom(t, users[0]!, { admins: [users[1]!], members: users.slice(2) })).id;
});
afterAll(async () => {
  await t?.stop();
});

async function history(viewer: TestUser): Promise<Msg[]> {
  const out: Msg[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: { data: Msg[]; page: { nextCursor: string | null } } } =
      await t.http
        .get(`/api/messages?room=${roomId}&limit=100${cursor ? `&before=${cursor}` : ''}`)
        .set(viewer.auth);
    expect(res.status).toBe(200);
    out.push(...res.body.data);
    cursor = res.body.page.nextCursor;
  } while (cursor);
  return out;
}

describe(`mentionCount under concurrency (MENTION_SEED=${SEED})`, () => {
  it('equals the oracle for every member after random concurrent sends, edits, deletions and reads', async () => {
    const rng = new Rng(SEED);
    const sent: { id: string; by: TestUser }[] = [];
    let failures = 0;
    // The last three members never act: nothing they do moves their read watermark, so every
    // mention of them (and every deletion or edit of one) stays in their count.
    const actors = users.slice(0, 8);
    const text = (r: Rng) => {
      const parts = ['note'];
      for (let i = r.int(0, 3); i > 0; i -= 1) parts.push(`@${r.pick(users).username}`);
      if (r.chance(0.15)) parts.push('@all');
      return parts.join(' ');
    };
    const op = async (r: Rng) => {
      const who = r.pick(actors);
      const kind = r.weighted({ send: 5, reply: 2, edit: 2, delete: 1, read: 2 });
      const mineSent = sent.filter((s) => s.by === who);
      let res: { status: number; body: unknown };
      if (kind === 'send' || kind === 'reply' || mineSent.length === 0 || sent.length === 0) {
        const replyTo = kind === 'reply' && sent.length ? r.pick(sent).id : undefined;
        res = await t.http
          .post('/api/messages')
          .set(who.auth)
          .send({ room: roomId, content: text(r), replyTo });
        if (res.status === 201)
          sent.push({ id: (res.body as { data: { id: string } }).data.id, by: who });
      } else if (kind === 'edit') {
        res = await t.http
          .put(`/api/messages/${r.pick(mineSent).id}`)
          .set(who.auth)
          .send({ content: text(r) });
      } else if (kind === 'delete') {
        res = await t.http.delete(`/api/messages/${r.pick(mineSent).id}`).set(who.auth);
      } else {
        res = await t.http.post(`/api/messages/${r.pick(sent).id}/read`).set(who.auth);
      }
      // A reply to a message deleted meanwhile, an edit of one: refused as such, never a 5xx.
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
      if (res.status >= 400) failures += 1;
    };
    for (let i = 0; i < OPS; i += PARALLEL) {
      await Promise.all(Array.from({ length: PARALLEL }, (_, k) => op(rng.fork(i * PARALLEL + k))));
    }
    expect(failures).toBeLessThan(OPS / 4);

    const live = await history(users[0]!);
    for (const user of users) {
      const view = await myRoom(t, user, roomId);
      const lastRead = view!.lastReadSeq;
      const unread = live.filter((m) => m.seq > lastRead);
      const mentions = unread.filter(
        (m) =>
          m.sender?.id !== user.id &&
          (m.mentionsAll || m.mentions.includes(user.id) || m.replyPreview?.sender?.id === user.id),
      );
      expect(
        { unread: view!.unreadCount, mentions: view!.mentionCount },
        `user ${users.indexOf(user)} (seed ${SEED})`,
      ).toEqual({ unread: unread.length, mentions: mentions.length });
    }
    // Something was counted, deleted and edited: the oracle is not trivially satisfied.
    const passive = users.slice(8);
    const counted = await Promise.all(passive.map((u) => myRoom(t, u, roomId)));
    expect(counted.every((v) => v!.mentionCount > 0)).toBe(true);
    expect(live.length).toBeLessThan(sent.length);
    expect(live.some((m) => (m as Msg & { editedAt: string | null }).editedAt)).toBe(true);
  });
});
