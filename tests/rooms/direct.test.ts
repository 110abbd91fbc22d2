import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createUser,
  expectError,
  listMessages,
  openDirect,
  sendMessage,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';

let t: TestApp;
let stranger: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  stranger = await createUser(t);
});
afterAll(async () => {
  await t?.stop();
});

async function pair(): Promise<[TestUser, TestUser]> {
  return Promise.all([createUser(t), createUser(t)]);
}

async function directRoomsOf(user: TestUser): Promise<TestRoom[]> {
  const res = await t.http.get('/api/rooms?limit=100').set(user.auth);
  return (res.body.data as TestRoom[]).filter((r) => r.type === 'direct');
}

describe('POST /api/rooms/direct', () => {
  it('creates the direct room with 201, then returns the same room with 200 to either user', async () => {
    const [ann, ben] = await pair();
    const first = await t.http.post('/api/rooms/direct').set(ann.auth).send({ userId: ben.id });
    expect(first.status).toBe(201);
    expect(first.body.data).toMatchObject({
      type: 'direct',
      myRole: 'member',
      unreadCount: 0,
      lastMessage: null,
    });
    const again = await t.http.post('/api/rooms/direct').set(ann.auth).send({ userId: ben.id });
    expect(again.status).toBe(200);
    expect(again.body.data.id).toBe(first.body.data.id);
    const fromOtherSide = await t.http
      .post('/api/rooms/direct')
      .set(ben.auth)
      .send({ userId: ann.id });
    expect(fromOtherSide.status).toBe(200);
    expect(fromOtherSide.body.data.id).toBe(first.body.data.id);
  });

  // src bug: openDirect builds the view from the row inserted before the members were added.
  it('the 201 response already counts both members (memberCount 2)', async () => {
    const [ann, ben] = await pair();
    const res = await t.http.post('/api/rooms/direct').set(ann.auth).send({ userId: ben.id });
    expect(res.status).toBe(201);
    expect(res.body.data.memberCount).toBe(2);
  });

  it('10 concurrent requests from both users make exactly one room', async () => {
    const [ann, ben] = await pair();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0
          ? t.http.post('/api/rooms/direct').set(ann.auth).send({ userId: ben.id })
          : t.http.post('/api/rooms/direct').set(ben.auth).send({ userId: ann.id }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const ids = new Set(results.map((r) => r.body.data.id));
    expect(ids.size).toBe(1);
    for (const user of [ann, ben]) {
      const direct = await directRoomsOf(user);
      expect(direct.map((r) => r.id)).toEqual([...ids]);
      expect(direct[0]!.memberCount).toBe(2);
    }
  });

  it('both users can talk in it and each sees the other as the room name', async () => {
    const [ann, ben] = await pair();
    const room = await openDirect(t, ann, ben);
    expect(room.name).toBe(ben.username);
    const fromBen = await openDirect(t, ben, ann);
    expect(fromBen.name).toBe(ann.username);
    await sendMessage(t, ann, room.id, 'hi Ben');
    await sendMessage(t, ben, room.id, 'hi Ann');
    const page = await listMessages(t, ann, room.id);
    expect(page.data.map((m) => ('content' in m ? m.content : null))).toEqual(['hi Ann', 'hi Ben']);
  });

  it('a third user cannot see, read or write the direct room (404) and it is not in discover', async () => {
    const [ann, ben] = await pair();
    const room = await openDirect(t, ann, ben);
    expectError(await t.http.get(`/api/rooms/${room.id}`).set(stranger.auth), 404, 'NOT_FOUND');
    expectError(
      await t.http.post(`/api/rooms/${room.id}/join`).set(stranger.auth),
      404,
      'NOT_FOUND',
    );
    expectError(
      await t.http.get(`/api/messages?room=${room.id}`).set(stranger.auth),
      404,
      'NOT_FOUND',
    );
    const send = await t.http
      .post('/api/messages')
      .set(stranger.auth)
      .send({ room: room.id, content: 'let me in' });
    expectError(send, 404, 'NOT_FOUND');
    const discover = await t.http.get('/api/rooms/public?limit=100').set(stranger.auth);
    expect((discover.body.data as TestRoom[]).map((r) => r.id)).not.toContain(room.id);
  });

  it('cannot open a direct room with yourself (400)', async () => {
    const [ann] = await pair();
    const res = await t.http.post('/api/rooms/direct').set(ann.auth).send({ userId: ann.id });
    expectError(res, 400, 'VALIDATION_ERROR');
    expect(await directRoomsOf(ann)).toEqual([]);
  });

  it.each([
    ['an unknown user id', '00000000-0000-4000-8000-000000000000'],
    ['a string that is no id', 'nobody'],
  ])('with %s is 404', async (_label, userId) => {
    const [ann] = await pair();
    expectError(
      await t.http.post('/api/rooms/direct').set(ann.auth).send({ userId }),
      404,
      'NOT_FOUND',
    );
  });

  it.each([
    ['no userId', {}],
    ['an unknown key', { userId: 'x', extra: true }],
  ])('with %s is 400', async (_label, body) => {
    const [ann] = await pair();
    expectError(
      await t.http.post('/api/rooms/direct').set(ann.auth).send(body),
      400,
      'VALIDATION_ERROR',
    );
  });
});

describe('a direct room cannot be changed', () => {
  it('leaving, deleting, renaming, adding, removing and role changes are all 403; the room stays', async () => {
    const [ann, ben] = await pair();
    const room = await openDirect(t, ann, ben);
    const base = `/api/rooms/${room.id}`;
    const attempts = [
      t.http.post(`${base}/leave`).set(ann.auth),
      t.http.delete(base).set(ann.auth),
      t.http.patch(base).set(ann.auth).send({ name: 'Renamed' }),
      t.http.post(`${base}/members`).set(ann.auth).send({ userId: stranger.id }),
      t.http.delete(`${base}/members/${ben.id}`).set(ann.auth),
      t.http.delete(`${base}/members/${ann.id}`).set(ann.auth),
      t.http.patch(`${base}/members/${ben.id}`).set(ann.auth).send({ role: 'admin' }),
    ];
    for (const res of await Promise.all(attempts)) expectError(res, 403, 'FORBIDDEN');
    const after = await t.http.get(base).set(ben.auth);
    expect(after.body.data).toMatchObject({ id: room.id, memberCount: 2 });
    expectError(await t.http.get(base).set(stranger.auth), 404, 'NOT_FOUND');
  });
});
