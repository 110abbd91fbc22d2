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
let alice: TestUser;
let bob: TestUser;
let room: TestRoom;
beforeAll(async () => {
  t = await startTestApp();
  [alice, bob] = await Promise.all([createUser(t), createUser(t)]);
  room = await createRoom(t, alice, { members: [bob] });
});
afterAll(async () => {
  await t?.stop();
});

function react(user: TestUser, messageId: string, emoji: string) {
  return t.http.post(`/api/messages/${messageId}/react`).set(user.auth).send({ emoji });
}

/** The reactions of a message as the history shows them. */
async function storedReactions(id: string): Promise<TestMessage['reactions']> {
  const page = await listMessages(t, alice, room.id, 'limit=100');
  return (page.data as TestMessage[]).find((m) => m.id === id)!.reactions;
}

// A fresh run of distinct emoji, enough for the 20-per-message limit and one more.
const EMOJI = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙🥲😚🙂🤗🤩🤔🫡🤨'];

describe('POST /api/messages/:id/react', () => {
  it('toggles on, then off again, and the history shows the same', async () => {
    const msg = await sendMessage(t, alice, room.id, 'react to me');
    const on = await react(bob, msg.id, '👍');
    expect(on.status).toBe(200);
    // SPEC.md: the response data is the message's reactions.
    expect(on.body.data).toEqual([{ emoji: '👍', count: 1, userIds: [bob.id] }]);
    expect(await storedReactions(msg.id)).toEqual([{ emoji: '👍', count: 1, userIds: [bob.id] }]);
    const off = await react(bob, msg.id, '👍');
    expect(off.status).toBe(200);
    expect(off.body.data).toEqual([]);
    expect(await storedReactions(msg.id)).toEqual([]);
  });

  it('groups by emoji with a count and the users, in the order each emoji was first used', async () => {
    const msg = await sendMessage(t, alice, room.id, 'group us');
    await react(alice, msg.id, '🎉').expect(200);
    await react(bob, msg.id, '❤️').expect(200);
    const res = await react(bob, msg.id, '🎉');
    const expected = [
      { emoji: '🎉', count: 2, userIds: [alice.id, bob.id] },
      { emoji: '❤️', count: 1, userIds: [bob.id] },
    ];
    expect(res.body.data).toEqual(expected);
    expect(await storedReactions(msg.id)).toEqual(expected);
    // Alice takes hers back: Bob's stays.
    const after = await react(alice, msg.id, '🎉');
    const byEmoji = (a: { emoji: string }, b: { emoji: string }) => a.emoji.localeCompare(b.emoji);
    expect([...after.body.data].sort(byEmoji)).toEqual(
      [
        { emoji: '🎉', count: 1, userIds: [bob.id] },
        { emoji: '❤️', count: 1, userIds: [bob.id] },
      ].sort(byEmoji),
    );
  });

  it('allows 20 distinct emoji; the 21st distinct one is 409 and is not stored', async () => {
    const msg = await sendMessage(t, alice, room.id, 'so many feelings');
    for (const emoji of EMOJI.slice(0, 20)) await react(alice, msg.id, emoji).expect(200);
    const res = await react(bob, msg.id, EMOJI[20]!);
    expectError(res, 409, 'CONFLICT');
    const stored = await storedReactions(msg.id);
    expect(stored).toHaveLength(20);
    expect(stored.map((r) => r.emoji)).not.toContain(EMOJI[20]);
  });

  it('25 different emoji at once: exactly 20 are stored, the other 5 get 409', async () => {
    const msg = await sendMessage(t, alice, room.id, 'stampede');
    const results = await Promise.all(EMOJI.slice(0, 25).map((e) => react(alice, msg.id, e)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(20);
    for (const r of results.filter((x) => x.status !== 200)) expectError(r, 409, 'CONFLICT');
    expect(await storedReactions(msg.id)).toHaveLength(20);
  });

  it('at the limit, another user can still add one of the 20 existing emoji', async () => {
    const msg = await sendMessage(t, alice, room.id, 'full but friendly');
    for (const emoji of EMOJI.slice(0, 20)) await react(alice, msg.id, emoji).expect(200);
    const res = await react(bob, msg.id, EMOJI[0]!);
    expect(res.status).toBe(200);
    expect(res.body.data[0]).toEqual({
      emoji: EMOJI[0],
      count: 2,
      userIds: [alice.id, bob.id],
    });
  });

  it.each([
    ['a shortcode', ':thumbsup:'],
    ['a skin-toned emoji', '👍🏽'],
    ['a ZWJ family emoji', '👩‍👩‍👧'],
    ['a flag', '🇫🇷'],
    ['an emoji with surrounding spaces', ' 🔥 '],
  ])('accepts %s', async (_label, emoji) => {
    const msg = await sendMessage(t, alice, room.id, 'emoji zoo');
    const res = await react(bob, msg.id, emoji);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([{ emoji: emoji.trim(), count: 1, userIds: [bob.id] }]);
  });

  it.each([
    ['plain text', 'like'],
    ['two emoji', '👍👍'],
    ['an emoji with text', '👍 nice'],
    ['an empty string', ''],
    ['a broken shortcode', ':thumbs up:'],
    ['markup', '<b>x</b>'],
    ['a digit', '1'],
  ])('rejects %s with 400', async (_label, emoji) => {
    const msg = await sendMessage(t, alice, room.id, 'picky');
    expectError(await react(bob, msg.id, emoji), 400, 'VALIDATION_ERROR');
    expect(await storedReactions(msg.id)).toEqual([]);
  });

  it('a body without emoji, or with extra keys, is 400', async () => {
    const msg = await sendMessage(t, alice, room.id, 'strict');
    const missing = await t.http.post(`/api/messages/${msg.id}/react`).set(bob.auth).send({});
    expectError(missing, 400, 'VALIDATION_ERROR');
    const extra = await t.http
      .post(`/api/messages/${msg.id}/react`)
      .set(bob.auth)
      .send({ emoji: '👍', count: 5 });
    expectError(extra, 400, 'VALIDATION_ERROR');
  });

  it('concurrent toggles by different users are all counted', async () => {
    const users = await Promise.all(Array.from({ length: 8 }, () => createUser(t)));
    const shared = await createRoom(t, alice, { members: users });
    const msg = await sendMessage(t, alice, shared.id, 'pile on');
    const results = await Promise.all(users.map((u) => react(u, msg.id, '🔥')));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    const page = await listMessages(t, alice, shared.id);
    const [reaction] = (page.data[0] as TestMessage).reactions;
    expect(reaction?.count).toBe(8);
    expect([...reaction!.userIds].sort()).toEqual(users.map((u) => u.id).sort());
  });
});
