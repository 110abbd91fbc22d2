import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  expectError,
  myRoom,
  sendMessage,
  uniqueRoomName,
  type TestRoom,
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

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

const slugOf = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-');

describe('POST /api/rooms', () => {
  it('creates a room with the SPEC shape; the creator is its only member and owner', async () => {
    const res = await t.http
      .post('/api/rooms')
      .set(alice.auth)
      .send({ name: '  Book Club  ', type: 'private', description: 'Monthly reads' });
    expect(res.status).toBe(201);
    expect(res.body.success).toBe(true);
    expect(res.body.data).toEqual(
      expect.objectContaining({
        id: expect.any(String),
        slug: expect.stringMatching(/^book-club/),
        name: 'Book Club',
        type: 'private',
        description: 'Monthly reads',
        createdAt: expect.stringMatching(ISO),
        memberCount: 1,
        myRole: 'owner',
        unreadCount: 0,
        lastReadSeq: 0,
        lastMessage: null,
      }),
    );
  });

  it('makes the slug from the name: lowercase ASCII, dashes, accents dropped', async () => {
    const suffix = `x${Date.now().toString(36)}`;
    const room = await createRoom(t, alice, {
      name: `  Café & Crème!! ${suffix} `,
      type: 'public',
    });
    expect(room.slug).toBe(`cafe-creme-${suffix}`);
  });

  it('a private room of the same name gives a new room no hint of its existence', async () => {
    const name = uniqueRoomName('Hidden');
    const secret = await createRoom(t, alice, { name, type: 'private' });
    // A private room's slug is always suffixed, so the plain slug stays free for anyone.
    expect(secret.slug).toMatch(new RegExp(`^${slugOf(name)}-[0-9a-f]{6}$`));
    const mine = await createRoom(t, bob, { name, type: 'public' });
    expect(mine.slug).toBe(slugOf(name));
    const alsoPrivate = await createRoom(t, bob, { name, type: 'private' });
    expect(alsoPrivate.slug).toMatch(new RegExp(`^${slugOf(name)}-[0-9a-f]{6}$`));
  });

  it('two rooms with the same name get different slugs, and each slug finds its own room', async () => {
    const name = uniqueRoomName('Twin');
    const a = await createRoom(t, alice, { name, type: 'public' });
    const b = await createRoom(t, alice, { name, type: 'public' });
    expect(a.slug).not.toBe(b.slug);
    for (const room of [a, b]) {
      const res = await t.http.get(`/api/rooms/${room.slug}`).set(alice.auth);
      expect(res.status).toBe(200);
      expect(res.body.data.id).toBe(room.id);
    }
  });

  it('a room can be looked up by slug in any letter case, and used by slug in other routes', async () => {
    const room = await createRoom(t, alice, { type: 'private', members: [bob] });
    const res = await t.http.get(`/api/rooms/${room.slug.toUpperCase()}`).set(bob.auth);
    expect(res.status).toBe(200);
    expect(res.body.data.id).toBe(room.id);
    const sent = await sendMessage(t, bob, room.slug, 'by slug');
    expect(sent.room).toBe(room.id);
    const members = await t.http.get(`/api/rooms/${room.slug}/members`).set(alice.auth);
    expect(members.body.data).toHaveLength(2);
  });

  // src bug: slugify() may return "public", and GET /api/rooms/public is the discover list.
  it('a room named "Public" is reachable by its slug', async () => {
    const room = await createRoom(t, alice, { name: 'Public', type: 'public' });
    const res = await t.http.get(`/api/rooms/${room.slug}`).set(alice.auth);
    expect(res.body.data).toMatchObject({ id: room.id });
  });

  it.each([
    ['an empty name', { name: '', type: 'public' }],
    ['a whitespace-only name', { name: '   ', type: 'public' }],
    ['a missing name', { type: 'public' }],
    ['a name of 81 characters', { name: 'x'.repeat(81), type: 'public' }],
    ['type "direct"', { name: 'DM', type: 'direct' }],
    ['an unknown type', { name: 'Room', type: 'secret' }],
    ['a missing type', { name: 'Room' }],
    ['an unknown key', { name: 'Room', type: 'public', owner: 'someone' }],
    ['a name with a newline', { name: 'two\nlines', type: 'public' }],
  ])('rejects %s with 400 and stores nothing', async (_label, body) => {
    const before = (await t.http.get('/api/rooms?limit=100').set(bob.auth)).body.data.length;
    const res = await t.http.post('/api/rooms').set(bob.auth).send(body);
    expectError(res, 400, 'VALIDATION_ERROR');
    expect(res.body.error.details).toEqual(expect.any(Array));
    expect((await t.http.get('/api/rooms?limit=100').set(bob.auth)).body.data).toHaveLength(before);
  });
});

describe('the general room', () => {
  it('exists as a public room and every new user is a member of it', async () => {
    const newcomer = await createUser(t);
    const res = await t.http.get('/api/rooms/general').set(newcomer.auth);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ slug: 'general', type: 'public', myRole: 'member' });
    const general = await myRoom(t, newcomer, res.body.data.id);
    expect(general).toMatchObject({ slug: 'general', unreadCount: 0 });
  });

  it('a new user starts with everything in general already read', async () => {
    await sendMessage(t, alice, 'general', 'welcome everyone');
    const newcomer = await createUser(t);
    const general = (await t.http.get('/api/rooms/general').set(newcomer.auth)).body.data;
    expect(general.unreadCount).toBe(0);
    expect(general.lastReadSeq).toBeGreaterThanOrEqual(1);
    const listed = await myRoom(t, newcomer, general.id);
    expect(listed?.unreadCount).toBe(0);
  });
});

describe('GET /api/rooms and /api/rooms/public', () => {
  it('lists the rooms I am in as a page, never rooms I am not in', async () => {
    const mine = await createRoom(t, bob, { type: 'private' });
    const theirs = await createRoom(t, alice, { type: 'private' });
    const res = await t.http.get('/api/rooms').set(bob.auth);
    expect(res.status).toBe(200);
    expect(res.body.page).toEqual({ nextCursor: null, limit: 50 });
    const ids = (res.body.data as TestRoom[]).map((r) => r.id);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(theirs.id);
    for (const room of res.body.data as TestRoom[]) expect(room.myRole).not.toBeNull();
  });

  it('discover lists public rooms I am not in, never private ones', async () => {
    const pub = await createRoom(t, alice, { type: 'public', name: uniqueRoomName('Disco') });
    const priv = await createRoom(t, alice, { type: 'private', name: uniqueRoomName('Disco') });
    const res = await t.http.get('/api/rooms/public?limit=100&q=disco').set(bob.auth);
    expect(res.status).toBe(200);
    const found = (res.body.data as TestRoom[]).find((r) => r.id === pub.id);
    expect(found).toMatchObject({ type: 'public', myRole: null, memberCount: 1 });
    expect((res.body.data as TestRoom[]).map((r) => r.id)).not.toContain(priv.id);
    for (const room of res.body.data as TestRoom[]) expect(room.type).toBe('public');
  });

  it('joining a public room adds me once: memberCount goes up by one, joining again is harmless', async () => {
    const room = await createRoom(t, alice, { type: 'public' });
    const first = await t.http.post(`/api/rooms/${room.slug}/join`).set(bob.auth);
    expect(first.status).toBe(200);
    expect(first.body.data).toMatchObject({ id: room.id, myRole: 'member', memberCount: 2 });
    const again = await t.http.post(`/api/rooms/${room.id}/join`).set(bob.auth);
    expect(again.body.data).toMatchObject({ myRole: 'member', memberCount: 2 });
    expect(await myRoom(t, bob, room.id)).toBeDefined();
  });
});

describe('PATCH and DELETE /api/rooms/:id', () => {
  it('an admin renames and re-describes a room; everyone sees the change, the slug stays', async () => {
    const room = await createRoom(t, alice, { type: 'private', admins: [bob] });
    const res = await t.http
      .patch(`/api/rooms/${room.id}`)
      .set(bob.auth)
      .send({ name: 'Renamed', description: '' });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ name: 'Renamed', description: null, slug: room.slug });
    const seen = await t.http.get(`/api/rooms/${room.id}`).set(alice.auth);
    expect(seen.body.data).toMatchObject({ name: 'Renamed', description: null });
  });

  it.each([
    ['an empty body', {}],
    ['an empty name', { name: '' }],
    ['an unknown key', { name: 'x', type: 'public' }],
  ])('PATCH with %s is 400', async (_label, body) => {
    const room = await createRoom(t, alice, { type: 'private' });
    expectError(
      await t.http.patch(`/api/rooms/${room.id}`).set(alice.auth).send(body),
      400,
      'VALIDATION_ERROR',
    );
  });

  it('the owner deletes a room: it and its messages are gone for every member', async () => {
    const room = await createRoom(t, alice, { type: 'private', members: [bob] });
    await sendMessage(t, bob, room.id, 'soon gone');
    const res = await t.http.delete(`/api/rooms/${room.id}`).set(alice.auth);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: room.id });
    expectError(await t.http.get(`/api/rooms/${room.id}`).set(bob.auth), 404, 'NOT_FOUND');
    expectError(await t.http.get(`/api/messages?room=${room.id}`).set(bob.auth), 404, 'NOT_FOUND');
    expect(await myRoom(t, bob, room.id)).toBeUndefined();
  });
});
