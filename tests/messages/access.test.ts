import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Test } from 'supertest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  expectError,
  sendMessage,
  type RoomType,
  type TestMessage,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';

/**
 * Who may do what with messages: every message endpoint × caller, in a private and a public room.
 * `sender` wrote the message under test; `member` is another plain member.
 */

let t: TestApp;
let owner: TestUser;
let admin: TestUser;
let member: TestUser;
let sender: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  [owner, admin, member, sender, stranger] = await Promise.all([
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

const WHO = ['none', 'stranger', 'member', 'sender', 'admin', 'owner'] as const;
type Who = (typeof WHO)[number];
type Statuses = Record<Who, number>;

const CODES: Record<number, string> = { 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND' };

/** Statuses for: no token, stranger, member, sender, admin, owner. */
function statuses(...s: [number, number, number, number, number, number]): Statuses {
  return Object.fromEntries(WHO.map((w, i) => [w, s[i]])) as Statuses;
}

interface Fixture {
  room: TestRoom;
  message: TestMessage;
}

interface Case {
  name: string;
  /** Changes the message, so every caller gets a fresh one. */
  mutates?: boolean;
  call: (f: Fixture) => { method: 'get' | 'post' | 'put' | 'delete'; path: string; body?: object };
  private: Statuses;
  public: Statuses;
}

const CASES: Case[] = [
  {
    name: 'GET /api/messages?room=',
    call: (f) => ({ method: 'get', path: `/api/messages?room=${f.room.id}` }),
    private: statuses(401, 404, 200, 200, 200, 200),
    public: statuses(401, 403, 200, 200, 200, 200),
  },
  {
    name: 'GET /api/messages/search?room=',
    call: (f) => ({ method: 'get', path: `/api/messages/search?q=hello&room=${f.room.id}` }),
    private: statuses(401, 404, 200, 200, 200, 200),
    public: statuses(401, 403, 200, 200, 200, 200),
  },
  {
    name: 'POST /api/messages',
    call: (f) => ({
      method: 'post',
      path: '/api/messages',
      body: { room: f.room.id, content: 'hi' },
    }),
    private: statuses(401, 404, 201, 201, 201, 201),
    public: statuses(401, 403, 201, 201, 201, 201),
  },
  {
    name: 'PUT /api/messages/:id',
    mutates: true,
    call: (f) => ({
      method: 'put',
      path: `/api/messages/${f.message.id}`,
      body: { content: 'edit' },
    }),
    private: statuses(401, 404, 403, 200, 403, 403),
    public: statuses(401, 403, 403, 200, 403, 403),
  },
  {
    name: 'DELETE /api/messages/:id',
    mutates: true,
    call: (f) => ({ method: 'delete', path: `/api/messages/${f.message.id}` }),
    private: statuses(401, 404, 403, 200, 200, 200),
    public: statuses(401, 403, 403, 200, 200, 200),
  },
  {
    name: 'POST /api/messages/:id/read',
    call: (f) => ({ method: 'post', path: `/api/messages/${f.message.id}/read` }),
    private: statuses(401, 404, 200, 200, 200, 200),
    public: statuses(401, 403, 200, 200, 200, 200),
  },
  {
    name: 'POST /api/messages/:id/react',
    mutates: true,
    call: (f) => ({
      method: 'post',
      path: `/api/messages/${f.message.id}/react`,
      body: { emoji: '👍' },
    }),
    private: statuses(401, 404, 200, 200, 200, 200),
    public: statuses(401, 403, 200, 200, 200, 200),
  },
];

async function makeFixture(type: RoomType): Promise<Fixture> {
  const room = await createRoom(t, owner, { type, admins: [admin], members: [member, sender] });
  const message = await sendMessage(t, sender, room.id, 'hello there');
  return { room, message };
}

const shared = new Map<RoomType, Promise<Fixture>>();
function sharedFixture(type: RoomType): Promise<Fixture> {
  if (!shared.has(type)) shared.set(type, makeFixture(type));
  return shared.get(type)!;
}

function request(c: Case, f: Fixture, who: Who): Test {
  const { method, path, body } = c.call(f);
  let req = t.http[method](path);
  const user = { none: undefined, stranger, member, sender, admin, owner }[who];
  if (user) req = req.set(user.auth);
  return body ? req.send(body) : req;
}

for (const type of ['private', 'public'] as const) {
  describe(`messages of a ${type} room`, () => {
    for (const c of CASES) {
      for (const who of WHO) {
        const status = c[type][who];
        it(`${c.name} as ${who} → ${status}`, async () => {
          const f = c.mutates ? await makeFixture(type) : await sharedFixture(type);
          const res = await request(c, f, who);
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

describe('message endpoints outside one room', () => {
  it('search without a room filter: 401 without a token, 200 for any user', async () => {
    expectError(await t.http.get('/api/messages/search?q=hello'), 401, 'UNAUTHORIZED');
    const res = await t.http.get('/api/messages/search?q=hello').set(stranger.auth);
    expect(res.status).toBe(200);
  });

  it('an unknown room is 404 for reading and sending', async () => {
    for (const ref of ['00000000-0000-4000-8000-000000000000', 'no-such-room']) {
      expectError(await t.http.get(`/api/messages?room=${ref}`).set(owner.auth), 404, 'NOT_FOUND');
      const sent = await t.http
        .post('/api/messages')
        .set(owner.auth)
        .send({ room: ref, content: 'x' });
      expectError(sent, 404, 'NOT_FOUND');
    }
  });

  it('an unknown message id is 404 for edit, delete, read and react', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      const path = `/api/messages/${id}`;
      expectError(await t.http.put(path).set(owner.auth).send({ content: 'x' }), 404, 'NOT_FOUND');
      expectError(await t.http.delete(path).set(owner.auth), 404, 'NOT_FOUND');
      expectError(await t.http.post(`${path}/read`).set(owner.auth), 404, 'NOT_FOUND');
      const react = await t.http.post(`${path}/react`).set(owner.auth).send({ emoji: '👍' });
      expectError(react, 404, 'NOT_FOUND');
    }
  });

  it('a removed member loses access on the very next request', async () => {
    const f = await makeFixture('private');
    expect((await t.http.get(`/api/messages?room=${f.room.id}`).set(member.auth)).status).toBe(200);
    const removed = await t.http
      .delete(`/api/rooms/${f.room.id}/members/${member.id}`)
      .set(owner.auth);
    expect(removed.status).toBe(200);
    expectError(
      await t.http.get(`/api/messages?room=${f.room.id}`).set(member.auth),
      404,
      'NOT_FOUND',
    );
    const sent = await t.http
      .post('/api/messages')
      .set(member.auth)
      .send({ room: f.room.id, content: 'x' });
    expectError(sent, 404, 'NOT_FOUND');
    expectError(
      await t.http.post(`/api/messages/${f.message.id}/read`).set(member.auth),
      404,
      'NOT_FOUND',
    );
  });
});
