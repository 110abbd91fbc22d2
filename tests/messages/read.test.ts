import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  expectError,
  myRoom,
  sendMessage,
  sendMessages,
  type TestUser,
} from '../helpers/factories.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  [alice, bob] = await Promise.all([createUser(t), createUser(t)]);
});
afterAll(async () => {
  await t?.stop();
});

async function unread(user: TestUser, roomId: string) {
  const listed = await myRoom(t, user, roomId);
  const single = (await t.http.get(`/api/rooms/${roomId}`).set(user.auth)).body.data;
  // The list and the single room agree on everything relative to the caller.
  expect(single).toMatchObject({
    unreadCount: listed?.unreadCount,
    lastReadSeq: listed?.lastReadSeq,
    lastMessage: listed?.lastMessage,
  });
  return {
    unreadCount: listed!.unreadCount,
    lastReadSeq: listed!.lastReadSeq,
    lastMessageId: listed!.lastMessage?.id ?? null,
  };
}

function markRead(user: TestUser, messageId: string) {
  return t.http.post(`/api/messages/${messageId}/read`).set(user.auth);
}

describe('unread counts in GET /api/rooms', () => {
  it('counts exactly the messages others sent since I last read; my own never count', async () => {
    const room = await createRoom(t, alice, { members: [bob] });
    const sent = await sendMessages(t, bob, room.id, 3);
    expect(await unread(alice, room.id)).toEqual({
      unreadCount: 3,
      lastReadSeq: 0,
      lastMessageId: sent[2]!.id,
    });
    expect(await unread(bob, room.id)).toMatchObject({ unreadCount: 0, lastReadSeq: 3 });
  });

  it('marking message N read leaves exactly the later ones unread', async () => {
    const room = await createRoom(t, alice, { members: [bob] });
    const sent = await sendMessages(t, bob, room.id, 5);
    const res = await markRead(alice, sent[1]!.id);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      room: room.id,
      userId: alice.id,
      messageId: sent[1]!.id,
      lastReadSeq: sent[1]!.seq,
      readAt: expect.any(String),
    });
    expect(await unread(alice, room.id)).toMatchObject({ unreadCount: 3, lastReadSeq: 2 });
    await markRead(alice, sent[4]!.id).expect(200);
    expect(await unread(alice, room.id)).toMatchObject({ unreadCount: 0, lastReadSeq: 5 });
  });

  it('marking an older message read never moves the read position back', async () => {
    const room = await createRoom(t, alice, { members: [bob] });
    const sent = await sendMessages(t, bob, room.id, 4);
    await markRead(alice, sent[2]!.id).expect(200);
    const res = await markRead(alice, sent[0]!.id);
    expect(res.status).toBe(200);
    expect(res.body.data.lastReadSeq).toBe(3);
    expect(await unread(alice, room.id)).toMatchObject({ unreadCount: 1, lastReadSeq: 3 });
  });

  it('sending moves my read position: what others sent before my message is read', async () => {
    const room = await createRoom(t, alice, { members: [bob] });
    await sendMessages(t, bob, room.id, 2);
    const mine = await sendMessage(t, alice, room.id, 'caught up');
    expect(await unread(alice, room.id)).toMatchObject({ unreadCount: 0, lastReadSeq: mine.seq });
    expect(await unread(bob, room.id)).toMatchObject({ unreadCount: 1, lastReadSeq: 2 });
  });

  it('deleted unread messages stop counting; deleted read ones change nothing', async () => {
    const room = await createRoom(t, alice, { members: [bob] });
    const sent = await sendMessages(t, bob, room.id, 6);
    await markRead(alice, sent[1]!.id).expect(200); // seq 1–2 read, 3–6 unread
    await t.http.delete(`/api/messages/${sent[0]!.id}`).set(bob.auth).expect(200);
    expect((await unread(alice, room.id)).unreadCount).toBe(4);
    await t.http.delete(`/api/messages/${sent[3]!.id}`).set(bob.auth).expect(200);
    await t.http.delete(`/api/messages/${sent[4]!.id}`).set(bob.auth).expect(200);
    expect((await unread(alice, room.id)).unreadCount).toBe(2);
    await markRead(alice, sent[5]!.id).expect(200);
    expect((await unread(alice, room.id)).unreadCount).toBe(0);
  });

  it('counts exactly under concurrent senders', async () => {
    const senders = await Promise.all(Array.from({ length: 5 }, () => createUser(t)));
    const room = await createRoom(t, alice, { type: 'public', members: senders });
    await Promise.all(
      senders.flatMap((u) => [1, 2, 3, 4].map((i) => sendMessage(t, u, room.id, `n${i}`))),
    );
    expect((await unread(alice, room.id)).unreadCount).toBe(20);
    for (const u of senders) expect((await unread(u, room.id)).unreadCount).toBeLessThan(20);
  });

  it('marking a deleted message read is 404', async () => {
    const room = await createRoom(t, alice, { members: [bob] });
    const msg = await sendMessage(t, bob, room.id, 'gone soon');
    await t.http.delete(`/api/messages/${msg.id}`).set(bob.auth).expect(200);
    expectError(await markRead(alice, msg.id), 404, 'NOT_FOUND');
  });
});

describe('lastMessage', () => {
  it('is null in a new room and the newest message afterwards, with the message shape', async () => {
    const room = await createRoom(t, alice, { members: [bob] });
    expect((await unread(alice, room.id)).lastMessageId).toBeNull();
    await sendMessage(t, bob, room.id, 'older');
    const newest = await sendMessage(t, bob, room.id, 'newest');
    expect((await myRoom(t, alice, room.id))?.lastMessage).toEqual(newest);
  });

  it('is the newest message that is not deleted, and null when all are deleted', async () => {
    const room = await createRoom(t, alice, { members: [bob] });
    const [first, second] = await sendMessages(t, bob, room.id, 2);
    await t.http.delete(`/api/messages/${second!.id}`).set(bob.auth).expect(200);
    expect((await unread(alice, room.id)).lastMessageId).toBe(first!.id);
    await t.http.delete(`/api/messages/${first!.id}`).set(alice.auth).expect(200);
    expect((await unread(alice, room.id)).lastMessageId).toBeNull();
  });

  it('shows an edit', async () => {
    const room = await createRoom(t, alice, { members: [bob] });
    const msg = await sendMessage(t, bob, room.id, 'before edit');
    await t.http
      .put(`/api/messages/${msg.id}`)
      .set(bob.auth)
      .send({ content: 'after edit' })
      .expect(200);
    expect((await myRoom(t, alice, room.id))?.lastMessage).toMatchObject({
      id: msg.id,
      content: 'after edit',
      editedAt: expect.any(String),
    });
  });
});
