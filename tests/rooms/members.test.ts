import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  addMember,
  createRoom,
  createUser,
  expectError,
  myRoom,
  sendMessages,
  type RoomRole,
  type TestUser,
} from '../helpers/factories.js';

let t: TestApp;
let owner: TestUser;
let admin: TestUser;
let admin2: TestUser;
let member: TestUser;
let member2: TestUser;
let outsider: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  [owner, admin, admin2, member, member2, outsider] = await Promise.all([
    createUser(t),
    createUser(t),
    createUser(t),
    createUser(t),
    createUser(t),
    createUser(t),
  ]);
});
afterAll(async () => {
  await t?.stop();
});

interface MemberView {
  user: { id: string; username: string };
  role: RoomRole;
  joinedAt: string;
  lastReadSeq: number;
}

async function rolesOf(roomId: string, as: TestUser = owner): Promise<Record<string, RoomRole>> {
  const res = await t.http.get(`/api/rooms/${roomId}/members?limit=100`).set(as.auth);
  expect(res.status).toBe(200);
  return Object.fromEntries((res.body.data as MemberView[]).map((m) => [m.user.id, m.role]));
}

async function fullRoom() {
  return createRoom(t, owner, { admins: [admin, admin2], members: [member, member2] });
}

describe('GET /api/rooms/:id/members', () => {
  it('lists owner, then admins, then members, as public profiles with role and joinedAt', async () => {
    const room = await fullRoom();
    const res = await t.http.get(`/api/rooms/${room.id}/members`).set(member.auth);
    expect(res.status).toBe(200);
    const data = res.body.data as MemberView[];
    expect(data.map((m) => m.role)).toEqual(['owner', 'admin', 'admin', 'member', 'member']);
    expect(data[0]).toEqual({
      user: expect.objectContaining({ id: owner.id, username: owner.username }),
      role: 'owner',
      joinedAt: expect.any(String),
      lastReadSeq: 0,
      muted: false,
      mutedUntil: null,
    });
    expect(JSON.stringify(data)).not.toContain('email');
  });

  it('pages with nextCursor: every member exactly once', async () => {
    const room = await fullRoom();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&before=${encodeURIComponent(cursor)}` : '';
      const res = await t.http.get(`/api/rooms/${room.id}/members?limit=2${query}`).set(owner.auth);
      expect(res.status).toBe(200);
      seen.push(...(res.body.data as MemberView[]).map((m) => m.user.id));
      cursor = res.body.page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual([owner, admin, admin2, member, member2].map((u) => u.id).sort());
  });
});

describe('POST /api/rooms/:id/members', () => {
  it('adds a user with 201, then 200 when already a member; memberCount counts them once', async () => {
    const room = await createRoom(t, owner);
    const added = await t.http
      .post(`/api/rooms/${room.id}/members`)
      .set(owner.auth)
      .send({ userId: outsider.id });
    expect(added.status).toBe(201);
    expect(added.body.data).toMatchObject({ user: { id: outsider.id }, role: 'member' });
    const again = await t.http
      .post(`/api/rooms/${room.id}/members`)
      .set(owner.auth)
      .send({ userId: outsider.id });
    expect(again.status).toBe(200);
    expect(again.body.data).toMatchObject({ user: { id: outsider.id }, role: 'member' });
    const seen = await t.http.get(`/api/rooms/${room.id}`).set(outsider.auth);
    expect(seen.body.data).toMatchObject({ memberCount: 2, myRole: 'member' });
  });

  it('a new member starts with everything already sent marked as read', async () => {
    const room = await createRoom(t, owner);
    await sendMessages(t, owner, room.id, 3);
    await addMember(t, owner, room.id, member);
    expect(await myRoom(t, member, room.id)).toMatchObject({ unreadCount: 0, lastReadSeq: 3 });
  });

  it.each([
    ['an unknown user', { userId: '00000000-0000-4000-8000-000000000000' }, 404, 'NOT_FOUND'],
    ['a string that is no id', { userId: 'nobody' }, 404, 'NOT_FOUND'],
    ['no userId', {}, 400, 'VALIDATION_ERROR'],
  ])('adding %s is %i', async (_label, body, status, code) => {
    const room = await createRoom(t, owner);
    expectError(
      await t.http.post(`/api/rooms/${room.id}/members`).set(owner.auth).send(body),
      status,
      code,
    );
  });
});

describe('DELETE /api/rooms/:id/members/:userId', () => {
  it.each([
    ['the owner removes an admin', 'owner', 'admin', 200],
    ['the owner removes a member', 'owner', 'member', 200],
    ['an admin removes a member', 'admin', 'member', 200],
    ['an admin cannot remove the owner', 'admin', 'owner', 403],
    ['an admin cannot remove another admin', 'admin', 'admin2', 403],
    ['a member cannot remove another member', 'member', 'member2', 403],
  ] as const)('%s → %i', async (_label, actorName, targetName, status) => {
    const users = { owner, admin, admin2, member, member2 };
    const room = await fullRoom();
    const target = users[targetName];
    const res = await t.http
      .delete(`/api/rooms/${room.id}/members/${target.id}`)
      .set(users[actorName].auth);
    const roles = await rolesOf(room.id);
    if (status === 200) {
      expect(res.status).toBe(200);
      expect(roles[target.id]).toBeUndefined();
      expect(Object.keys(roles)).toHaveLength(4);
      expectError(await t.http.get(`/api/rooms/${room.id}`).set(target.auth), 404, 'NOT_FOUND');
    } else {
      expectError(res, status, 'FORBIDDEN');
      expect(Object.keys(roles)).toHaveLength(5);
    }
  });

  it('removing someone who is not a member is 404', async () => {
    const room = await fullRoom();
    const res = await t.http.delete(`/api/rooms/${room.id}/members/${outsider.id}`).set(owner.auth);
    expectError(res, 404, 'NOT_FOUND');
  });

  it('removing myself is leaving, also for a plain member', async () => {
    const room = await fullRoom();
    const res = await t.http.delete(`/api/rooms/${room.id}/members/${member.id}`).set(member.auth);
    expect(res.status).toBe(200);
    expect(await myRoom(t, member, room.id)).toBeUndefined();
    expect((await t.http.get(`/api/rooms/${room.id}`).set(owner.auth)).body.data.memberCount).toBe(
      4,
    );
  });
});

describe('PATCH /api/rooms/:id/members/:userId', () => {
  it('the owner makes a member admin, and the new admin can then add members', async () => {
    const room = await createRoom(t, owner, { members: [member] });
    const res = await t.http
      .patch(`/api/rooms/${room.id}/members/${member.id}`)
      .set(owner.auth)
      .send({ role: 'admin' });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ user: { id: member.id }, role: 'admin' });
    const added = await t.http
      .post(`/api/rooms/${room.id}/members`)
      .set(member.auth)
      .send({ userId: outsider.id });
    expect(added.status).toBe(201);
  });

  it('making someone owner hands the room over: the old owner becomes admin and cannot delete it', async () => {
    const room = await createRoom(t, owner, { members: [member] });
    const res = await t.http
      .patch(`/api/rooms/${room.id}/members/${member.id}`)
      .set(owner.auth)
      .send({ role: 'owner' });
    expect(res.status).toBe(200);
    expect(await rolesOf(room.id)).toEqual({ [member.id]: 'owner', [owner.id]: 'admin' });
    expectError(await t.http.delete(`/api/rooms/${room.id}`).set(owner.auth), 403, 'FORBIDDEN');
  });

  it.each([
    [
      'an unknown role',
      (r: string) => [`/api/rooms/${r}/members/${member.id}`, { role: 'god' }],
      400,
    ],
    [
      'my own role',
      (r: string) => [`/api/rooms/${r}/members/${owner.id}`, { role: 'member' }],
      400,
    ],
    [
      'a non-member',
      (r: string) => [`/api/rooms/${r}/members/${outsider.id}`, { role: 'admin' }],
      404,
    ],
  ] as const)('changing %s is %i', async (_label, make, status) => {
    const room = await createRoom(t, owner, { members: [member] });
    const [path, body] = make(room.id) as [string, object];
    const res = await t.http.patch(path).set(owner.auth).send(body);
    expectError(res, status, status === 400 ? 'VALIDATION_ERROR' : 'NOT_FOUND');
    expect(await rolesOf(room.id)).toEqual({ [owner.id]: 'owner', [member.id]: 'member' });
  });
});

describe('leaving', () => {
  it('an owner who leaves hands the room to the longest-standing admin', async () => {
    // member joined first, yet an admin inherits; of the admins, the one who joined first (admin),
    // not the one promoted first (admin2).
    const room = await createRoom(t, owner, { members: [member] });
    await addMember(t, owner, room.id, admin);
    await addMember(t, owner, room.id, admin2);
    await t.http
      .patch(`/api/rooms/${room.id}/members/${admin2.id}`)
      .set(owner.auth)
      .send({ role: 'admin' });
    await t.http
      .patch(`/api/rooms/${room.id}/members/${admin.id}`)
      .set(owner.auth)
      .send({ role: 'admin' });
    const res = await t.http.post(`/api/rooms/${room.id}/leave`).set(owner.auth);
    expect(res.status).toBe(200);
    const roles = await rolesOf(room.id, member);
    expect(roles).toEqual({ [member.id]: 'member', [admin.id]: 'owner', [admin2.id]: 'admin' });
    expect((await t.http.get(`/api/rooms/${room.id}`).set(member.auth)).body.data.memberCount).toBe(
      3,
    );
  });

  it('with no admin, the owner hands the room to the longest-standing member', async () => {
    const room = await createRoom(t, owner, { members: [member, member2] });
    await t.http.post(`/api/rooms/${room.id}/leave`).set(owner.auth);
    expect(await rolesOf(room.id, member2)).toEqual({
      [member.id]: 'owner',
      [member2.id]: 'member',
    });
    expectError(await t.http.get(`/api/rooms/${room.id}`).set(owner.auth), 404, 'NOT_FOUND');
  });

  it('a public room its only member, the owner, left is claimed by the next one to join', async () => {
    const room = await createRoom(t, owner, { type: 'public' });
    expect((await t.http.post(`/api/rooms/${room.id}/leave`).set(owner.auth)).status).toBe(200);
    const joined = await t.http.post(`/api/rooms/${room.id}/join`).set(outsider.auth);
    expect(joined.status).toBe(200);
    expect(joined.body.data.myRole).toBe('owner');
    const renamed = await t.http
      .patch(`/api/rooms/${room.id}`)
      .set(outsider.auth)
      .send({ name: 'Claimed' });
    expect(renamed.status).toBe(200);
    // Anyone after that joins as a plain member.
    const next = await t.http.post(`/api/rooms/${room.id}/join`).set(member.auth);
    expect(next.body.data.myRole).toBe('member');
  });

  it('a member who left a public room is told to join again before reading (403)', async () => {
    const room = await createRoom(t, owner, { type: 'public', members: [member] });
    expect((await t.http.post(`/api/rooms/${room.id}/leave`).set(member.auth)).status).toBe(200);
    expectError(
      await t.http.get(`/api/messages?room=${room.id}`).set(member.auth),
      403,
      'FORBIDDEN',
    );
    expect((await t.http.post(`/api/rooms/${room.id}/join`).set(member.auth)).status).toBe(200);
    expect((await t.http.get(`/api/messages?room=${room.id}`).set(member.auth)).status).toBe(200);
  });
});
