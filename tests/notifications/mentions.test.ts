import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  addMember,
  createRoom,
  createUser,
  myRoom,
  openDirect,
  sendMessage,
  setRole,
  type TestMessage,
  type TestUser,
} from '../helpers/factories.js';
import { parseMentions } from '../../src/modules/messages/mentions.js';

// SPEC "Mentions and notifications": mentions parsed on the server, `mentions`/`mentionsAll` on every
// message, exact `mentionCount` beside `unreadCount`, `GET /api/mentions`, notification levels.

let t: TestApp;
let owner: TestUser;
let bob: TestUser;
let carol: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  owner = await createUser(t);
  bob = await createUser(t);
  carol = await createUser(t);
});
afterAll(async () => {
  await t?.stop();
});

const count = async (user: TestUser, room: string) => {
  const r = await myRoom(t, user, room);
  return { unread: r?.unreadCount, mentions: r?.mentionCount };
};
const edit = (user: TestUser, id: string, content: string) =>
  t.http.put(`/api/messages/${id}`).set(user.auth).send({ content });
const remove = (user: TestUser, id: string) => t.http.delete(`/api/messages/${id}`).set(user.auth);
const read = (user: TestUser, id: string) => t.http.post(`/api/messages/${id}/read`).set(user.auth);
const mentionsOf = async (user: TestUser, query = '') => {
  const res = await t.http.get(`/api/mentions${query}`).set(user.auth);
  expect(res.status).toBe(200);
  return res.body as { data: TestMessage[]; page: { nextCursor: string | null } };
};

describe('parseMentions', () => {
  it('finds @names at word starts, never in emails, and @all apart', () => {
    expect(parseMentions('hi @Bob and @carol_1, mail bob@example.com')).toEqual({
      names: ['bob', 'carol_1'],
      all: false,
    });
    expect(parseMentions('thanks @dave. @all!')).toEqual({ names: ['dave.', 'dave'], all: true });
    expect(parseMentions('@ab @@x @ALL.')).toEqual({ names: [], all: true });
    expect(parseMentions('no mention here')).toEqual({ names: [], all: false });
  });
});

describe('mentions on messages', () => {
  it('@username of a member (any case) is in `mentions`; a non-member, myself and emails are not', async () => {
    const outsider = await createUser(t);
    const room = await createRoom(t, owner, { members: [bob, carol] });
    const m = await sendMessage(
      t,
      owner,
      room.id,
      `@${bob.username.toUpperCase()} and @${carol.username}. cc @${outsider.username} @${owner.username} ${bob.username}@example.com`,
    );
    expect(new Set(m.mentions)).toEqual(new Set([bob.id, carol.id]));
    expect(m.mentions).toHaveLength(2);
    expect(m.mentionsAll).toBe(false);
    // The same on every read.
    const page = await t.http.get(`/api/messages?room=${room.id}`).set(owner.auth);
    expect(page.body.data[0]).toMatchObject({ id: m.id, mentionsAll: false });
    expect(new Set(page.body.data[0].mentions)).toEqual(new Set([bob.id, carol.id]));
  });

  it('@all counts only from the owner or an admin in a room of more than 10 members', async () => {
    const many: TestUser[] = [];
    for (let i = 0; i < 10; i += 1) many.push(await createUser(t));
    const small = await createRoom(t, owner, { members: many.slice(0, 9) }); // 10 members
    expect((await sendMessage(t, owner, small.id, 'hey @all')).mentionsAll).toBe(false);
    const big = await createRoom(t, owner, { admins: [many[0]!], members: many.slice(1) }); // 11
    expect((await sendMessage(t, owner, big.id, 'hey @all')).mentionsAll).toBe(true);
    expect((await sendMessage(t, many[0]!, big.id, '@ALL.')).mentionsAll).toBe(true);
    expect((await sendMessage(t, many[1]!, big.id, 'hey @all')).mentionsAll).toBe(false);
    await setRole(t, owner, big.id, many[1]!, 'admin');
    expect((await sendMessage(t, many[1]!, big.id, 'hey @all')).mentionsAll).toBe(true);
    // Counted for every member but the sender.
    expect((await count(many[5]!, big.id)).mentions).toBe(3);
    expect((await count(owner, big.id)).mentions).toBe(2);
  });

  it('an edit that adds or removes a mention moves mentions and mentionCount', async () => {
    const room = await createRoom(t, owner, { members: [bob, carol] });
    const m = await sendMessage(t, owner, room.id, 'nobody yet');
    expect(m.mentions).toEqual([]);
    expect((await count(bob, room.id)).mentions).toBe(0);
    const added = await edit(owner, m.id, `now @${bob.username}`);
    expect(added.status).toBe(200);
    expect(added.body.data.mentions).toEqual([bob.id]);
    expect(await count(bob, room.id)).toEqual({ unread: 1, mentions: 1 });
    const moved = await edit(owner, m.id, `rather @${carol.username}`);
    expect(moved.body.data.mentions).toEqual([carol.id]);
    expect((await count(bob, room.id)).mentions).toBe(0);
    expect((await count(carol, room.id)).mentions).toBe(1);
    expect((await mentionsOf(carol)).data.map((x) => x.id)).toContain(m.id);
    expect((await mentionsOf(bob)).data.map((x) => x.id)).not.toContain(m.id);
  });
});

describe('mentionCount', () => {
  it('counts unread mentions exactly: my own never, deleted ones stop, reading moves it', async () => {
    const room = await createRoom(t, owner, { members: [bob, carol] });
    expect(await count(bob, room.id)).toEqual({ unread: 0, mentions: 0 });
    const m1 = await sendMessage(t, owner, room.id, `@${bob.username} one`);
    await sendMessage(t, owner, room.id, 'plain');
    const m3 = await sendMessage(t, carol, room.id, `@${bob.username} three`);
    await sendMessage(t, bob, room.id, `@${bob.username} talking to myself`);
    // Bob's own send marked everything before it read.
    expect(await count(bob, room.id)).toEqual({ unread: 0, mentions: 0 });
    const m5 = await sendMessage(t, owner, room.id, `@${bob.username} five`);
    const m6 = await sendMessage(t, carol, room.id, `hey @${bob.username}`);
    expect(await count(bob, room.id)).toEqual({ unread: 2, mentions: 2 });
    expect((await remove(carol, m6.id)).status).toBe(200);
    expect(await count(bob, room.id)).toEqual({ unread: 1, mentions: 1 });
    expect((await read(bob, m5.id)).status).toBe(200);
    expect(await count(bob, room.id)).toEqual({ unread: 0, mentions: 0 });
    expect([m1, m3].every((m) => m.mentions[0] === bob.id)).toBe(true);
  });

  it('a reply to my message mentions me; every message of a direct room does', async () => {
    const room = await createRoom(t, owner, { members: [bob] });
    const mine = await sendMessage(t, bob, room.id, 'a question');
    const answer = await sendMessage(t, owner, room.id, 'an answer', { replyTo: mine.id });
    expect(answer.mentions).toEqual([]);
    expect(await count(bob, room.id)).toEqual({ unread: 1, mentions: 1 });
    // Replying to myself mentions nobody.
    await sendMessage(t, bob, room.id, 'and more', { replyTo: mine.id });
    expect((await count(bob, room.id)).mentions).toBe(0);

    const dm = await openDirect(t, carol, bob);
    await sendMessage(t, carol, dm.id, 'psst');
    await sendMessage(t, carol, dm.id, 'psst again');
    expect(await count(bob, dm.id)).toEqual({ unread: 2, mentions: 2 });
    expect(await count(carol, dm.id)).toEqual({ unread: 0, mentions: 0 });
  });

  it('a mention stops counting when I leave the room and I am not listed there', async () => {
    const room = await createRoom(t, owner, { type: 'public', members: [bob] });
    const m = await sendMessage(t, owner, room.id, `@${bob.username} before you go`);
    expect((await mentionsOf(bob)).data.map((x) => x.id)).toContain(m.id);
    expect((await t.http.post(`/api/rooms/${room.id}/leave`).set(bob.auth)).status).toBe(200);
    expect((await mentionsOf(bob)).data.map((x) => x.id)).not.toContain(m.id);
  });
});

describe('GET /api/mentions', () => {
  it('lists the messages that mention me, newest first, page by page without repeats', async () => {
    const me = await createUser(t);
    const room = await createRoom(t, owner, { members: [me, bob] });
    const sent: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      const who = i % 2 ? owner : bob;
      sent.push((await sendMessage(t, who, room.id, `@${me.username} number ${i}`)).id);
      await sendMessage(t, who, room.id, `not for you ${i}`);
    }
    const seen: string[] = [];
    let query = '?limit=3';
    for (;;) {
      const page = await mentionsOf(me, query);
      expect(page.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.data.map((m) => m.id));
      if (!page.page.nextCursor) break;
      query = `?limit=3&before=${page.page.nextCursor}`;
    }
    expect(seen).toEqual([...sent].reverse());
    expect((await t.http.get('/api/mentions?before=bm90LWEtY3Vyc29y').set(me.auth)).status).toBe(
      400,
    );
  });
});

describe('notification level', () => {
  it('defaults to `all` in direct rooms and `mentions` elsewhere; PUT changes mine only', async () => {
    const room = await createRoom(t, owner, { members: [bob] });
    expect((await myRoom(t, bob, room.id))?.notifyLevel).toBe('mentions');
    const dm = await openDirect(t, bob, carol);
    expect((await myRoom(t, bob, dm.id))?.notifyLevel).toBe('all');

    const res = await t.http
      .put(`/api/rooms/${room.id}/notifications`)
      .set(bob.auth)
      .send({ level: 'none' });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: room.id, notifyLevel: 'none' });
    expect((await myRoom(t, bob, room.id))?.notifyLevel).toBe('none');
    expect((await myRoom(t, owner, room.id))?.notifyLevel).toBe('mentions');
    // `none` mutes push, not counts.
    await sendMessage(t, owner, room.id, `@${bob.username} still counted`);
    expect(await count(bob, room.id)).toEqual({ unread: 1, mentions: 1 });

    const bad = await t.http
      .put(`/api/rooms/${room.id}/notifications`)
      .set(bob.auth)
      .send({ level: 'loud' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    const stranger = await t.http
      .put(`/api/rooms/${room.id}/notifications`)
      .set(carol.auth)
      .send({ level: 'all' });
    expect(stranger.status).toBe(404);
    await addMember(t, owner, room.id, carol);
    expect(
      (
        await t.http
          .put(`/api/rooms/${room.id}/notifications`)
          .set(carol.auth)
          .send({ level: 'all' })
      ).body.data.notifyLevel,
    ).toBe('all');
  });
});
