import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Test } from 'supertest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  expectError,
  sendMessage,
  type RoomType,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';

/**
 * Who may do what to a room: every room endpoint × caller, for a private and a public room.
 * A stranger of a private room learns nothing (404); of a public room they are told to join (403).
 */

let t: TestApp;
let owner: TestUser;
let admin: TestUser;
let member: TestUser;
let writer: TestUser;
let stranger: TestUser;
let outsider: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  [owner, admin, member, writer, stranger, outsider] = await Promise.all([
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

const WHO = ['none', 'stranger', 'member', 'admin', 'owner'] as const;
type Who = (typeof WHO)[number];
type Statuses = Record<Who, number>;

const CODES: Record<number, string> = { 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND' };

function statuses(
  none: number,
  strangerS: number,
  memberS: number,
  adminS: number,
  ownerS: number,
) {
  return { none, stranger: strangerS, member: memberS, admin: adminS, owner: ownerS };
}

interface Case {
  name: string;
  /** Changes the room, so every caller gets a fresh one. */
  mutates?: boolean;
  call: (room: TestRoom) => {
    method: 'get' | 'post' | 'patch' | 'delete';
    path: string;
    body?: object;
  };
  private: Statuses;
  public: Statuses;
}

const CASES: Case[] = [
  {
    name: 'GET /api/rooms/:id',
    call: (r) => ({ method: 'get', path: `/api/rooms/${r.id}` }),
    private: statuses(401, 404, 200, 200, 200),
    public: statuses(401, 200, 200, 200, 200),
  },
  {
    name: 'PATCH /api/rooms/:id',
    mutates: true,
    call: (r) => ({ method: 'patch', path: `/api/rooms/${r.id}`, body: { description: 'New' } }),
    private: statuses(401, 404, 403, 200, 200),
    public: statuses(401, 403, 403, 200, 200),
  },
  {
    name: 'DELETE /api/rooms/:id',
    mutates: true,
    call: (r) => ({ method: 'delete', path: `/api/rooms/${r.id}` }),
    private: statuses(401, 404, 403, 403, 200),
    public: statuses(401, 403, 403, 403, 200),
  },
  {
    name: 'POST /api/rooms/:id/join',
    mutates: true,
    call: (r) => ({ method: 'post', path: `/api/rooms/${r.id}/join` }),
    private: statuses(401, 404, 200, 200, 200),
    public: statuses(401, 200, 200, 200, 200),
  },
  {
    name: 'POST /api/rooms/:id/leave',
    mutates: true,
    call: (r) => ({ method: 'post', path: `/api/rooms/${r.id}/leave` }),
    private: statuses(401, 404, 200, 200, 200),
    public: statuses(401, 403, 200, 200, 200),
  },
  {
    name: 'GET /api/rooms/:id/members',
    call: (r) => ({ method: 'get', path: `/api/rooms/${r.id}/members` }),
    private: statuses(401, 404, 200, 200, 200),
    public: statuses(401, 403, 200, 200, 200),
  },
  {
    name: 'POST /api/rooms/:id/members (a new user)',
    mutates: true,
    call: (r) => ({
      method: 'post',
      path: `/api/rooms/${r.id}/members`,
      body: { userId: outsider.id },
    }),
    private: statuses(401, 404, 403, 201, 201),
    public: statuses(401, 403, 403, 201, 201),
  },
  {
    name: 'DELETE /api/rooms/:id/members/:userId (a plain member)',
    mutates: true,
    call: (r) => ({ method: 'delete', path: `/api/rooms/${r.id}/members/${writer.id}` }),
    private: statuses(401, 404, 403, 200, 200),
    public: statuses(401, 403, 403, 200, 200),
  },
  {
    name: 'PATCH /api/rooms/:id/members/:userId (make a member admin)',
    mutates: true,
    call: (r) => ({
      method: 'patch',
      path: `/api/rooms/${r.id}/members/${writer.id}`,
      body: { role: 'admin' },
    }),
    private: statuses(401, 404, 403, 403, 200),
    public: statuses(401, 403, 403, 403, 200),
  },
];

/** A room with an owner, an admin, two members (one of whom has written) and no stranger. */
async function makeRoom(type: RoomType): Promise<TestRoom> {
  const room = await createRoom(t, owner, { type, admins: [admin], members: [member, writer] });
  await sendMessage(t, writer, room.id, 'hello');
  return room;
}

function userFor(who: Who): TestUser | undefined {
  return { none: undefined, stranger, member, admin, owner }[who];
}

function request(c: Case, room: TestRoom, who: Who): Test {
  const { method, path, body } = c.call(room);
  let req = t.http[method](path);
  const user = userFor(who);
  if (user) req = req.set(user.auth);
  return body ? req.send(body) : req;
}

const shared = new Map<RoomType, Promise<TestRoom>>();
function sharedRoom(type: RoomType): Promise<TestRoom> {
  if (!shared.has(type)) shared.set(type, makeRoom(type));
  return shared.get(type)!;
}

for (const type of ['private', 'public'] as const) {
  describe(`access to a ${type} room`, () => {
    for (const c of CASES) {
      for (const who of WHO) {
        const status = c[type][who];
        it(`${c.name} as ${who} → ${status}`, async () => {
          const room = c.mutates ? await makeRoom(type) : await sharedRoom(type);
          const res = await request(c, room, who);
          if (status >= 400) expectError(res, status, CODES[status]!);
          else
            expect({ status: res.status, success: res.body.success }).toEqual({
              status,
              success: true,
            });
        });
      }
    }
  });
}

describe('endpoints that are not about one room', () => {
  const endpoints: { name: string; call: () => Test; ok: number }[] = [
    { name: 'GET /api/rooms', call: () => t.http.get('/api/rooms'), ok: 200 },
    {
      name: 'POST /api/rooms',
      call: () => t.http.post('/api/rooms').send({ name: 'Anything', type: 'public' }),
      ok: 201,
    },
    { name: 'GET /api/rooms/public', call: () => t.http.get('/api/rooms/public'), ok: 200 },
    {
      name: 'POST /api/rooms/direct',
      call: () => t.http.post('/api/rooms/direct').send({ userId: outsider.id }),
      ok: 201,
    },
  ];
  for (const e of endpoints) {
    it(`${e.name} without a token → 401`, async () => {
      expectError(await e.call(), 401, 'UNAUTHORIZED');
    });
    it(`${e.name} with a malformed token → 401`, async () => {
      expectError(await e.call().set('Authorization', 'Bearer not-a-token'), 401, 'UNAUTHORIZED');
    });
    it(`${e.name} as any signed-in user → ${e.ok}`, async () => {
      const res = await e.call().set((await createUser(t)).auth);
      expect({ status: res.status, success: res.body.success }).toEqual({
        status: e.ok,
        success: true,
      });
    });
  }

  it('an unknown room id or slug is 404 for everyone', async () => {
    for (const ref of ['00000000-0000-4000-8000-000000000000', 'no-such-room']) {
      expectError(await t.http.get(`/api/rooms/${ref}`).set(owner.auth), 404, 'NOT_FOUND');
      expectError(await t.http.post(`/api/rooms/${ref}/join`).set(owner.auth), 404, 'NOT_FOUND');
    }
  });
});
