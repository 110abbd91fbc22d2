import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  expectError,
  sendMessage,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';

let t: TestApp;
let alice: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  alice = await createUser(t);
});
afterAll(async () => {
  await t?.stop();
});

/** Follows nextCursor (sent as `before`) to the end and returns every room seen. */
async function pageThrough(path: string, user: TestUser, limit: number): Promise<TestRoom[]> {
  const seen: TestRoom[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 50; guard += 1) {
    const sep = path.includes('?') ? '&' : '?';
    const query: string = `${sep}limit=${limit}${cursor ? `&before=${encodeURIComponent(cursor)}` : ''}`;
    const res = await t.http.get(`${path}${query}`).set(user.auth);
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeLessThanOrEqual(limit);
    seen.push(...(res.body.data as TestRoom[]));
    cursor = res.body.page.nextCursor;
    if (!cursor) return seen;
  }
  throw new Error('paging did not end');
}

describe('GET /api/rooms paging', () => {
  it('pages through all my rooms exactly once, the most recently active first', async () => {
    const user = await createUser(t);
    const rooms: TestRoom[] = [];
    for (let i = 0; i < 5; i += 1) rooms.push(await createRoom(t, user, { type: 'private' }));
    await sendMessage(t, user, rooms[1]!.id, 'bump');
    const seen = await pageThrough('/api/rooms', user, 2);
    const ids = seen.map((r) => r.id);
    expect(ids[0]).toBe(rooms[1]!.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(
      [...rooms.map((r) => r.id), seen.find((r) => r.slug === 'general')!.id].sort(),
    );
  });

  it('an invalid cursor or limit is 400', async () => {
    for (const query of ['before=garbage', 'limit=0', 'limit=101']) {
      expectError(await t.http.get(`/api/rooms?${query}`).set(alice.auth), 400, 'VALIDATION_ERROR');
      expectError(
        await t.http.get(`/api/rooms/public?${query}`).set(alice.auth),
        400,
        'VALIDATION_ERROR',
      );
    }
  });
});

describe('GET /api/rooms/public (discover)', () => {
  it('filters by name prefix, case-insensitively, and pages by name', async () => {
    const prefix = `Pfx${Date.now().toString(36)}`;
    const names = ['Delta', 'alpha', 'Charlie', 'bravo', 'Echo'].map((n) => `${prefix} ${n}`);
    for (const name of names) await createRoom(t, alice, { type: 'public', name });
    await createRoom(t, alice, { type: 'private', name: `${prefix} Hidden` });
    await createRoom(t, alice, { type: 'public', name: `x${prefix} Not a prefix` });
    const seen = await pageThrough(`/api/rooms/public?q=${prefix.toLowerCase()}`, alice, 2);
    expect(seen.map((r) => r.name)).toEqual(
      ['alpha', 'bravo', 'Charlie', 'Delta', 'Echo'].map((n) => `${prefix} ${n}`),
    );
  });

  it('treats % and _ in q as plain characters', async () => {
    const tag = Date.now().toString(36);
    const percent = await createRoom(t, alice, { type: 'public', name: `%${tag} percent` });
    await createRoom(t, alice, { type: 'public', name: `a${tag} letter` });
    const res = await t.http
      .get(`/api/rooms/public?q=${encodeURIComponent(`%${tag}`)}`)
      .set(alice.auth);
    expect((res.body.data as TestRoom[]).map((r) => r.id)).toEqual([percent.id]);
    const underscore = await t.http.get(`/api/rooms/public?q=_${tag}`).set(alice.auth);
    expect(underscore.body.data).toEqual([]);
  });

  it('shows my role in rooms I am in, null elsewhere', async () => {
    const bob = await createUser(t);
    const name = `Roles ${Date.now().toString(36)}`;
    const room = await createRoom(t, alice, { type: 'public', name });
    const asAlice = await t.http
      .get(`/api/rooms/public?q=${encodeURIComponent(name)}`)
      .set(alice.auth);
    expect(asAlice.body.data).toEqual([expect.objectContaining({ id: room.id, myRole: 'owner' })]);
    const asBob = await t.http.get(`/api/rooms/public?q=${encodeURIComponent(name)}`).set(bob.auth);
    expect(asBob.body.data).toEqual([expect.objectContaining({ id: room.id, myRole: null })]);
  });

  it("gives each room of a page the caller's own role: owner, member once joined, null when not joined", async () => {
    const bob = await createUser(t);
    const prefix = `Mine ${Date.now().toString(36)}`;
    const joined = await createRoom(t, alice, { type: 'public', name: `${prefix} a joined` });
    const notJoined = await createRoom(t, alice, {
      type: 'public',
      name: `${prefix} b not joined`,
    });
    const owned = await createRoom(t, bob, { type: 'public', name: `${prefix} c owned` });
    expect((await t.http.post(`/api/rooms/${joined.id}/join`).set(bob.auth)).status).toBe(200);
    const path = `/api/rooms/public?q=${encodeURIComponent(prefix)}`;
    const roles = (rooms: TestRoom[]) => rooms.map((r) => [r.id, r.myRole, r.memberCount]);

    // The same on one page and across pages of one room each.
    for (const limit of [100, 1]) {
      expect(roles(await pageThrough(path, bob, limit))).toEqual([
        [joined.id, 'member', 2],
        [notJoined.id, null, 1],
        [owned.id, 'owner', 1],
      ]);
    }
    expect(roles(await pageThrough(path, alice, 100))).toEqual([
      [joined.id, 'owner', 2],
      [notJoined.id, 'owner', 1],
      [owned.id, null, 1],
    ]);
  });
});

describe('concurrent joins', () => {
  it('10 users joining at once, one of them 5 times, leave memberCount exact', async () => {
    const users = await Promise.all(Array.from({ length: 10 }, () => createUser(t)));
    const room = await createRoom(t, alice, { type: 'public' });
    const joins = [...users, users[0]!, users[0]!, users[0]!, users[0]!].map((u) =>
      t.http.post(`/api/rooms/${room.id}/join`).set(u.auth),
    );
    const results = await Promise.all(joins);
    expect(results.map((r) => r.status)).toEqual(Array(14).fill(200));
    const res = await t.http.get(`/api/rooms/${room.id}`).set(alice.auth);
    expect(res.body.data.memberCount).toBe(11);
    const members = await t.http.get(`/api/rooms/${room.id}/members?limit=100`).set(alice.auth);
    expect(members.body.data).toHaveLength(11);
  });

  it('members leaving at once leave memberCount exact', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => createUser(t)));
    const room = await createRoom(t, alice, { type: 'public', members: users });
    const leaves = users
      .slice(0, 4)
      .map((u) => t.http.post(`/api/rooms/${room.id}/leave`).set(u.auth));
    expect((await Promise.all(leaves)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect((await t.http.get(`/api/rooms/${room.id}`).set(alice.auth)).body.data.memberCount).toBe(
      3,
    );
  });
});
