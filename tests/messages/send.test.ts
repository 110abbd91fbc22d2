import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  expectError,
  listMessages,
  sendMessage,
  updateProfile,
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
  await updateProfile(t, alice, { displayName: 'Alice A.' });
  room = await createRoom(t, alice, { type: 'private', members: [bob] });
});
afterAll(async () => {
  await t?.stop();
});

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

function post(user: TestUser, body: object) {
  return t.http.post('/api/messages').set(user.auth).send(body);
}

async function history(): Promise<TestMessage[]> {
  return (await listMessages(t, alice, room.id, 'limit=100')).data as TestMessage[];
}

describe('POST /api/messages', () => {
  it('returns 201 with the SPEC message shape, and the message is in the history', async () => {
    const res = await post(alice, { room: room.id, content: 'Hello, world' });
    expect(res.status).toBe(201);
    expect(res.body.success).toBe(true);
    expect(res.body.data).toEqual(
      expect.objectContaining({
        id: expect.any(String),
        room: room.id,
        seq: expect.any(Number),
        sender: {
          id: alice.id,
          username: alice.username,
          displayName: 'Alice A.',
          avatarUrl: null,
        },
        content: 'Hello, world',
        type: 'text',
        replyTo: null,
        reactions: [],
        createdAt: expect.stringMatching(ISO),
        editedAt: null,
      }),
    );
    expect(res.body.data).not.toHaveProperty('file');
    expect((await history())[0]).toEqual(res.body.data);
  });

  it('sending by slug stores the message in that room', async () => {
    const sent = await sendMessage(t, bob, room.slug, 'via slug');
    expect(sent.room).toBe(room.id);
  });

  it('trims the content; newlines and tabs inside are kept', async () => {
    const sent = await sendMessage(t, alice, room.id, '  \n line one\n\tline two \r\n ');
    expect(sent.content).toBe('line one\n\tline two');
  });

  it('accepts exactly 4000 characters', async () => {
    const sent = await sendMessage(t, alice, room.id, 'a'.repeat(4000));
    expect(sent.content).toHaveLength(4000);
  });

  it('counts characters, not UTF-16 units: 4000 emoji pass, 4001 do not', async () => {
    expect((await sendMessage(t, alice, room.id, '😀'.repeat(4000))).content).toBe(
      '😀'.repeat(4000),
    );
    const res = await post(alice, { room: room.id, content: '😀'.repeat(4001) });
    expectError(res, 400, 'VALIDATION_ERROR');
  });

  it.each([
    ['empty content', { content: '' }],
    ['whitespace-only content', { content: ' \n\t ' }],
    ['4001 characters', { content: 'a'.repeat(4001) }],
    ['a bell control character', { content: 'ding\u0007' }],
    ['a NUL character', { content: 'a\u0000b' }],
    ['no content', {}],
    ['content that is not a string', { content: 42 }],
    ['an unknown key', { content: 'hi', pinned: true }],
    ['a malformed clientId', { content: 'hi', clientId: 'has spaces' }],
  ])('rejects %s with 400 and stores nothing', async (_label, body) => {
    const before = await history();
    const res = await post(alice, { room: room.id, ...body });
    expectError(res, 400, 'VALIDATION_ERROR');
    expect(await history()).toEqual(before);
  });

  it('a message without room is 400', async () => {
    expectError(await post(alice, { content: 'where?' }), 400, 'VALIDATION_ERROR');
  });
});

describe('replies', () => {
  it('a reply to a message of the same room carries replyTo and a replyPreview', async () => {
    const parent = await sendMessage(t, alice, room.id, 'What do you think?');
    const reply = await sendMessage(t, bob, room.id, 'Looks good', { replyTo: parent.id });
    expect(reply.replyTo).toBe(parent.id);
    expect(reply).toMatchObject({
      replyPreview: {
        id: parent.id,
        seq: parent.seq,
        sender: { id: alice.id },
        content: 'What do you think?',
        deleted: false,
      },
    });
  });

  it('a reply keeps pointing at its parent after the parent is deleted, marked deleted', async () => {
    const parent = await sendMessage(t, alice, room.id, 'secret parent');
    const reply = await sendMessage(t, bob, room.id, 'child', { replyTo: parent.id });
    await t.http.delete(`/api/messages/${parent.id}`).set(alice.auth).expect(200);
    const shown = (await history()).find((m) => m.id === reply.id);
    expect(shown).toMatchObject({
      replyTo: parent.id,
      replyPreview: { deleted: true, content: '' },
    });
    expect(JSON.stringify(shown)).not.toContain('secret parent');
  });

  it.each([
    ['a message of another room', 'other'],
    ['an unknown message', '00000000-0000-4000-8000-000000000000'],
    ['a string that is no id', 'nope'],
    ['a deleted message', 'deleted'],
  ])('a reply to %s is 400', async (_label, kind) => {
    let replyTo = kind;
    if (kind === 'other') {
      const other = await createRoom(t, alice);
      replyTo = (await sendMessage(t, alice, other.id, 'elsewhere')).id;
    } else if (kind === 'deleted') {
      replyTo = (await sendMessage(t, alice, room.id, 'gone')).id;
      await t.http.delete(`/api/messages/${replyTo}`).set(alice.auth).expect(200);
    }
    expectError(
      await post(alice, { room: room.id, content: 'reply', replyTo }),
      400,
      'VALIDATION_ERROR',
    );
  });
});

describe('PUT /api/messages/:id', () => {
  it('the sender edits: new content (trimmed), editedAt set, same id and seq', async () => {
    const sent = await sendMessage(t, alice, room.id, 'tpyo');
    const res = await t.http
      .put(`/api/messages/${sent.id}`)
      .set(alice.auth)
      .send({ content: ' typo ' });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: sent.id, seq: sent.seq, content: 'typo' });
    expect(res.body.data.editedAt).toMatch(ISO);
    expect((await history()).find((m) => m.id === sent.id)).toMatchObject({
      content: 'typo',
      editedAt: res.body.data.editedAt,
    });
  });

  it('another member cannot edit (403) and the content stays', async () => {
    const sent = await sendMessage(t, alice, room.id, 'mine');
    const res = await t.http
      .put(`/api/messages/${sent.id}`)
      .set(bob.auth)
      .send({ content: 'yours' });
    expectError(res, 403, 'FORBIDDEN');
    expect((await history()).find((m) => m.id === sent.id)).toMatchObject({
      content: 'mine',
      editedAt: null,
    });
  });

  it.each([
    ['empty content', { content: '  ' }],
    ['4001 characters', { content: 'b'.repeat(4001) }],
    ['an unknown key', { content: 'x', room: 'general' }],
  ])('an edit with %s is 400', async (_label, body) => {
    const sent = await sendMessage(t, alice, room.id, 'keep');
    expectError(
      await t.http.put(`/api/messages/${sent.id}`).set(alice.auth).send(body),
      400,
      'VALIDATION_ERROR',
    );
  });

  it('a deleted message cannot be edited (404)', async () => {
    const sent = await sendMessage(t, alice, room.id, 'bye');
    await t.http.delete(`/api/messages/${sent.id}`).set(alice.auth).expect(200);
    const res = await t.http
      .put(`/api/messages/${sent.id}`)
      .set(alice.auth)
      .send({ content: 'back' });
    expectError(res, 404, 'NOT_FOUND');
  });
});

describe('DELETE /api/messages/:id', () => {
  it('the sender deletes: gone from history, a tombstone in catch-up, deleting again is 404', async () => {
    const sent = await sendMessage(t, bob, room.id, 'oops');
    const res = await t.http.delete(`/api/messages/${sent.id}`).set(bob.auth);
    expect(res.status).toBe(200);
    // The deletion took the room's next revision, after the send's.
    expect(res.body.data).toEqual({ id: sent.id, room: room.id, seq: sent.seq, rev: sent.rev + 1 });
    expect((await history()).map((m) => m.id)).not.toContain(sent.id);
    const catchUp = await listMessages(t, alice, room.id, `after=${sent.seq - 1}&limit=1`);
    expect(catchUp.data).toEqual([
      { id: sent.id, room: room.id, seq: sent.seq, rev: sent.rev + 1, deleted: true },
    ]);
    expectError(await t.http.delete(`/api/messages/${sent.id}`).set(bob.auth), 404, 'NOT_FOUND');
  });

  it('another plain member cannot delete (403); the room owner can', async () => {
    const carol = await createUser(t);
    const shared = await createRoom(t, alice, { members: [bob, carol] });
    const sent = await sendMessage(t, bob, shared.id, 'moderate me');
    expectError(await t.http.delete(`/api/messages/${sent.id}`).set(carol.auth), 403, 'FORBIDDEN');
    expect((await listMessages(t, carol, shared.id)).data).toHaveLength(1);
    expect((await t.http.delete(`/api/messages/${sent.id}`).set(alice.auth)).status).toBe(200);
    expect((await listMessages(t, carol, shared.id)).data).toEqual([]);
  });

  it('a room admin can delete a member’s message', async () => {
    const carol = await createUser(t);
    const shared = await createRoom(t, alice, { admins: [carol], members: [bob] });
    const sent = await sendMessage(t, bob, shared.id, 'admin will remove this');
    expect((await t.http.delete(`/api/messages/${sent.id}`).set(carol.auth)).status).toBe(200);
    expect((await listMessages(t, bob, shared.id)).data).toEqual([]);
  });

  it('deleting takes the reactions with it', async () => {
    const sent = await sendMessage(t, alice, room.id, 'react then delete');
    await t.http
      .post(`/api/messages/${sent.id}/react`)
      .set(bob.auth)
      .send({ emoji: '🎉' })
      .expect(200);
    await t.http.delete(`/api/messages/${sent.id}`).set(alice.auth).expect(200);
    const catchUp = await listMessages(t, alice, room.id, `after=${sent.seq - 1}&limit=1`);
    expect(catchUp.data[0]).toEqual({
      id: sent.id,
      room: room.id,
      seq: sent.seq,
      rev: expect.any(Number),
      deleted: true,
    });
    const react = await t.http
      .post(`/api/messages/${sent.id}/react`)
      .set(bob.auth)
      .send({ emoji: '🎉' });
    expectError(react, 404, 'NOT_FOUND');
  });
});
