import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createRoom, createUser, updateProfile, type TestUser } from '../helpers/factories.js';
import { sleep, socketPool, type RecordedSocket } from '../helpers/sockets.js';
import { barrier, leaveGeneral, roundTrip } from './support.js';

const GRACE_MS = 300;
let t: TestApp;
let observer: TestUser;
let loner: TestUser;
const sockets = socketPool();

interface PresenceEvent {
  userId: string;
  username: string;
}
/** An entry of the `online-users` socket event. */
interface OnlineUser {
  userId: string;
  username: string;
  status: string;
}
/** An item of GET /api/users/online: the public user shape of every user list. */
interface PublicUser {
  id: string;
  username: string;
  displayName: string | null;
  avatarUrl: string | null;
  bio: string | null;
  status: string;
  createdAt: string;
}

beforeAll(async () => {
  t = await startTestApp({ env: { PRESENCE_GRACE_MS: String(GRACE_MS) } });
  observer = await createUser(t);
  loner = await createUser(t);
  await leaveGeneral(t, loner);
});
afterEach(() => sockets.closeAll());
afterAll(async () => {
  await t?.stop();
});

/** Connects and waits for `online-users`, which the server sends once it has announced the socket. */
async function online(app: TestApp, user: TestUser): Promise<RecordedSocket> {
  const s = await sockets.connect(app.url, user.accessToken);
  await s.waitFor('online-users');
  return s;
}

const about = (user: TestUser) => (e: PresenceEvent) => e.userId === user.id;

async function onlineIds(app: TestApp, user: TestUser): Promise<string[]> {
  const res = await app.http.get('/api/users/online').set(user.auth);
  expect(res.status).toBe(200);
  return (res.body.data as PublicUser[]).map((u) => u.id);
}

describe('user-online', () => {
  it('reaches users sharing rooms once when the first socket connects, and not again for a second tab', async () => {
    const user = await createUser(t);
    // Several shared rooms still make one event per socket.
    await createRoom(t, observer, { members: [user] });
    await createRoom(t, user, { members: [observer] });
    const o = await online(t, observer);
    const far = await online(t, loner);

    await online(t, user);
    expect(await o.waitFor<PresenceEvent>('user-online', about(user))).toEqual({
      userId: user.id,
      username: user.username,
    });
    await online(t, user);
    await barrier(t, observer, 'general', [o]);
    expect(o.payloads<PresenceEvent>('user-online', about(user))).toHaveLength(1);
    await roundTrip(far);
    expect(far.payloads('user-online')).toEqual([]);
  });

  it('online-users on connect lists the online users sharing a room, and GET /api/users/online agrees', async () => {
    const user = await createUser(t);
    await online(t, observer);
    await online(t, loner);
    const s = await online(t, user);
    const listed = (await s.waitFor<OnlineUser[]>('online-users')).map((u) => u.userId);
    expect(listed).toContain(observer.id);
    expect(listed).not.toContain(loner.id);
    expect(listed).not.toContain(user.id);
    const entry = (await s.waitFor<OnlineUser[]>('online-users')).find(
      (u) => u.userId === observer.id,
    );
    expect(entry).toEqual({ userId: observer.id, username: observer.username, status: 'online' });

    const viaRest = await onlineIds(t, user);
    expect(viaRest).toContain(observer.id);
    expect(viaRest).not.toContain(loner.id);
    expect(viaRest).not.toContain(user.id);
    expect(await onlineIds(t, observer)).toContain(user.id);
  });

  it('online-users and GET /api/users/online list by lowercased username, in code-point order', async () => {
    const tag = Math.random().toString(36).slice(2, 7);
    // Lowercased: '-' < '.' < digits < '_' < letters; 'Zz' after 'b' once lowercased.
    const names = [`ord${tag}_b`, `ord${tag}Zz`, `Ord${tag}-a`, `ord${tag}9`, `ord${tag}.c`];
    const mates = [];
    for (const username of names) mates.push(await createUser(t, { username }));
    await createRoom(t, observer, { members: mates });
    for (const m of mates) await online(t, m);
    const expected = [`Ord${tag}-a`, `ord${tag}.c`, `ord${tag}9`, `ord${tag}_b`, `ord${tag}Zz`];
    const mine = (names: string[]) => names.filter((n) => n.toLowerCase().startsWith(`ord${tag}`));
    const s = await online(t, observer);
    const listed = (await s.waitFor<OnlineUser[]>('online-users')).map((u) => u.username);
    expect(mine(listed)).toEqual(expected);
    const res = await t.http.get('/api/users/online').set(observer.auth);
    expect(mine((res.body.data as PublicUser[]).map((u) => u.username))).toEqual(expected);
    // And the whole list is in that order, not only these.
    const lowered = listed.map((n) => n.toLowerCase());
    expect(lowered).toEqual([...lowered].sort());
  });

  it('GET /api/users/online lists each user in the public user shape, as GET /api/users/:id does', async () => {
    const user = await createUser(t);
    const mate = await createUser(t);
    await updateProfile(t, mate, { displayName: 'Mate Online', bio: 'here' });
    await online(t, mate);

    const res = await t.http.get('/api/users/online').set(user.auth);
    expect(res.status).toBe(200);
    expect(res.body.page).toEqual({ nextCursor: null, limit: res.body.data.length });
    const item = (res.body.data as PublicUser[]).find((u) => u.id === mate.id);
    const profile = await t.http.get(`/api/users/${mate.id}`).set(user.auth);
    expect(item).toEqual(profile.body.data);
    expect(item).toEqual({
      id: mate.id,
      username: mate.username,
      displayName: 'Mate Online',
      avatarUrl: null,
      bio: 'here',
      status: 'online',
      createdAt: expect.any(String),
    });
  });
});

describe('user-offline', () => {
  it('comes only after the last tab closes and the grace period passes', async () => {
    const user = await createUser(t);
    const o = await online(t, observer);
    const tab1 = await online(t, user);
    const tab2 = await online(t, user);

    tab1.close();
    await sleep(GRACE_MS * 3);
    await barrier(t, observer, 'general', [o, tab2]);
    expect(o.payloads<PresenceEvent>('user-offline', about(user))).toEqual([]);
    expect(await onlineIds(t, observer)).toContain(user.id);

    const closedAt = Date.now();
    tab2.close();
    expect(await o.waitFor<PresenceEvent>('user-offline', about(user))).toEqual({
      userId: user.id,
      username: user.username,
    });
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(GRACE_MS - 50);
    expect(await onlineIds(t, observer)).not.toContain(user.id);
  });

  it('is not sent to users who share no room', async () => {
    const user = await createUser(t);
    const o = await online(t, observer);
    const far = await online(t, loner);
    const s = await online(t, user);
    s.close();
    await o.waitFor<PresenceEvent>('user-offline', about(user));
    await roundTrip(far);
    expect(far.payloads('user-offline')).toEqual([]);
  });
});

describe("a user whose chosen status is 'offline'", () => {
  it('appears offline to others while connected, and online once they choose so', async () => {
    const user = await createUser(t);
    await t.http.post('/api/users/status').set(user.auth).send({ status: 'offline' });
    const o = await online(t, observer);
    const s = await online(t, user);
    await barrier(t, observer, 'general', [o]);
    expect(o.payloads<PresenceEvent>('user-online', about(user))).toEqual([]);
    expect(await onlineIds(t, observer)).not.toContain(user.id);
    const fresh = await online(t, observer);
    expect((await fresh.waitFor<OnlineUser[]>('online-users')).map((u) => u.userId)).not.toContain(
      user.id,
    );

    expect((await s.ack('user-status', { status: 'online' })).success).toBe(true);
    await o.waitFor<PresenceEvent>('user-online', about(user));
    expect(await onlineIds(t, observer)).toContain(user.id);

    expect((await s.ack('user-status', { status: 'offline' })).success).toBe(true);
    await o.waitFor<PresenceEvent>('user-offline', about(user));
    expect(await onlineIds(t, observer)).not.toContain(user.id);

    // Disconnecting now takes back nothing: no second user-offline.
    s.close();
    await sleep(GRACE_MS * 3);
    await barrier(t, observer, 'general', [o]);
    expect(o.payloads<PresenceEvent>('user-offline', about(user))).toHaveLength(1);
  });
});

describe('a quick reconnect', () => {
  const graceMs = 2000;
  let slow: TestApp;
  beforeAll(async () => {
    slow = await startTestApp({ env: { PRESENCE_GRACE_MS: String(graceMs) } });
  });
  afterAll(async () => {
    await slow?.stop();
  });

  it('within the grace period produces neither user-offline nor a second user-online', async () => {
    const watcher = await createUser(slow);
    const user = await createUser(slow);
    const o = await online(slow, watcher);
    const first = await online(slow, user);
    await o.waitFor<PresenceEvent>('user-online', about(user));

    first.close();
    await first.disconnected();
    await online(slow, user);
    await sleep(graceMs + 600);
    await barrier(slow, watcher, 'general', [o]);
    expect(o.payloads<PresenceEvent>('user-offline', about(user))).toEqual([]);
    expect(o.payloads<PresenceEvent>('user-online', about(user))).toHaveLength(1);
    expect(await onlineIds(slow, watcher)).toContain(user.id);
  });

  // The online list and the events agree: a user stays listed through the grace period.
  it('after the last tab closes, GET /api/users/online keeps listing the user until user-offline', async () => {
    const watcher = await createUser(slow);
    const user = await createUser(slow);
    const o = await online(slow, watcher);
    const s = await online(slow, user);
    await o.waitFor<PresenceEvent>('user-online', about(user));

    s.close();
    await s.disconnected();
    const until = Date.now() + graceMs / 2;
    while (Date.now() < until) {
      const ids = await onlineIds(slow, watcher);
      if (o.payloads<PresenceEvent>('user-offline', about(user)).length > 0) break;
      expect(ids).toContain(user.id);
      await sleep(50);
    }
  });
});
