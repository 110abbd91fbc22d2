import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../../src/errors.js';
import { ErrorBody } from '../../src/openapi/schemas.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  addMember,
  bearer,
  createRoom,
  sendMessage,
  type TestMessage,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';
import { REST_ROWS } from './acl-rows.js';
import { TEXT_FILE, uploadText } from './fixtures.js';
import { routeSpecs, type RouteSpec } from './fuzz-specs.js';
import {
  encode,
  hostileBody,
  hostileFields,
  hostileParam,
  hostileQuery,
  hostileString,
  urlString,
} from './hostile.js';
import {
  itLeaksNoSecrets,
  quickSession,
  snapshotIntegrity,
  watchSecrets,
  type SecretWatch,
} from './support.js';

/**
 * Property-based fuzzing of every REST route (the set the access-control matrix pins down): hostile
 * bodies, queries, path parameters and content types, from a member (owner of one room), a stranger
 * to the rooms and a member who was removed from them. Whatever comes in, the answer is below 500,
 * JSON, and in the SPEC shape (`success: true`, or the error shape with the code of its status), and
 * the data stays intact.
 */
// FUZZ_RUNS=500 npx vitest run tests/security/fuzz-rest for a deeper search.
const RUNS = Number(process.env.FUZZ_RUNS ?? 30);

let t: TestApp;
let watch: SecretWatch;
let fuzzer: TestUser;
let keeper: TestUser;
let stranger: TestUser;
let removed: TestUser;
/** Signs out everywhere, again and again (`POST /auth/logout-all`). */
let leaver: TestUser;
let keepRoom: TestRoom;
let ownRoom: TestRoom;
let known: TestMessage;
let ids: { rooms: string[]; messages: string[]; users: string[] };
let verifyIntegrity: (newUsers: number) => Promise<void>;
let registered = 0;
let specs: Record<string, RouteSpec>;

beforeAll(async () => {
  t = await startTestApp();
  watch = watchSecrets(t);
  [fuzzer, keeper, stranger, removed, leaver] = [
    await watch.user(t),
    await watch.user(t),
    await watch.user(t),
    await watch.user(t),
    await watch.user(t),
  ];
  keepRoom = await createRoom(t, keeper, { type: 'private', members: [fuzzer, removed] });
  known = await sendMessage(t, keeper, keepRoom.id, 'the known message');
  ownRoom = await createRoom(t, fuzzer, { type: 'public' });
  await addMember(t, fuzzer, ownRoom.id, removed);
  const own = await sendMessage(t, fuzzer, ownRoom.id, 'mine');
  const file = await uploadText(t, fuzzer.auth, ownRoom.id);
  // The removed member leaves messages behind in both rooms, then is taken out of them.
  const left = await sendMessage(t, removed, keepRoom.id, 'sent before the removal');
  await sendMessage(t, removed, ownRoom.id, 'also sent before the removal');
  for (const [owner, room] of [
    [keeper, keepRoom],
    [fuzzer, ownRoom],
  ] as const) {
    const res = await t.http
      .delete(`/api/v1/rooms/${room.id}/members/${removed.id}`)
      .set(owner.auth);
    if (res.status !== 200) throw new Error(`removal failed: ${res.status}`);
  }
  ids = {
    rooms: [keepRoom.id, ownRoom.id, ownRoom.slug, 'general'],
    messages: [known.id, own.id, file, left.id],
    users: [keeper.id, fuzzer.id],
  };
  verifyIntegrity = await snapshotIntegrity(t, keeper, known);
  specs = routeSpecs(ids, keeper);
});
afterAll(async () => {
  await t?.stop();
});

/**
 * Field names and file names go into multipart part headers: control characters and headers over
 * busboy's 16 KB limit included (a malformed part header used to be a 500).
 */
const partHeaderText = hostileString;

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/vnd.api+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
];

const FILES = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
  fc.constantFrom(
    TEXT_FILE,
    Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    Buffer.from('%PDF-1.4\n%%EOF'),
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
    Buffer.alloc(0),
  ),
);

// Routes that destroy what later routes fuzz against, or make the stranger and the removed member
// members again (join), run last.
const late = (route: string) => Number(/^DELETE|\/leave$|\/join$/.test(route));
const ROUTES = [...new Set(REST_ROWS.map((r) => `${r.method} ${r.path}`))].sort(
  (a, b) => late(a) - late(b),
);

/** Who calls: the member (and owner of one room), a stranger to both rooms, a removed member. */
const CALLERS = ['member', 'stranger', 'removed member'] as const;
type Caller = (typeof CALLERS)[number];
const userOf = (caller: Caller): TestUser =>
  ({ member: fuzzer, stranger, 'removed member': removed })[caller];

/** The body as JSON, whatever the content type claims; undefined when it is not JSON at all. */
function jsonOf(res: { text?: string }): unknown {
  try {
    return JSON.parse(res.text ?? '');
  } catch {
    return undefined;
  }
}

/** An error answer in the SPEC shape, JSON, `{ success: false, error: { code, message } }`, the code of its status. */
function expectErrorShape(res: { status: number; type: string; text?: string }, what: string) {
  const shown = `${what} → ${res.status} ${res.type}: ${String(res.text).slice(0, 300)}`;
  expect(res.type, shown).toBe('application/json');
  const parsed = ErrorBody.safeParse(jsonOf(res));
  expect(parsed.success, shown).toBe(true);
  expect(ERROR_STATUS[parsed.data!.error.code], shown).toBe(res.status);
}

/** Checks one answer: below 500; a 2xx is `{ success: true, ... }` in JSON, anything else the error shape. */
function check(res: { status: number; type: string; text?: string }, what: string): void {
  expect(res.status, what).toBeLessThan(500);
  expect(res.status, what).toBeGreaterThanOrEqual(200);
  if (res.status >= 300) return expectErrorShape(res, what);
  expect(res.type, what).toBe('application/json');
  expect((jsonOf(res) as { success?: unknown } | undefined)?.success, what).toBe(true);
}

describe('hostile input on every REST route', () => {
  it('every route has a fuzz spec', () => {
    expect(ROUTES.filter((r) => !(r in specs))).toEqual([]);
  });

  // Per route, each caller in turn; the member (owner of ownRoom) last, since it may delete it.
  const cases = ROUTES.flatMap((route) =>
    [...CALLERS].reverse().map((caller) => [route, caller] as const),
  );
  it.each(cases)('%s as a %s answers < 500, in the SPEC shape', async (route, caller) => {
    const user = userOf(caller);
    const spec = specs[route] ?? {};
    const [method, pattern] = route.split(' ') as [string, string];
    const names = [...pattern.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    const validFor = (name: string) => {
      if (name === 'userId' || pattern.startsWith('/api/v1/users')) return ids.users;
      return name === 'room' || pattern.startsWith('/api/v1/rooms') ? ids.rooms : ids.messages;
    };
    const params = fc.tuple(...names.map((n) => hostileParam(validFor(n))));
    const query = hostileQuery(spec.query ?? {});
    const body = spec.body || !spec.file ? hostileBody(spec.body ?? {}) : fc.constant('{}');
    const multipart = fc.record({
      fields: hostileFields(spec.body ?? {}),
      file: fc.option(FILES),
      name: partHeaderText,
      field: fc.oneof(
        { arbitrary: fc.constant(spec.file ?? 'file'), weight: 3 },
        { arbitrary: partHeaderText, weight: 1 },
      ),
    });
    const input = fc.record({
      params,
      query,
      body,
      type: fc.oneof(
        { arbitrary: fc.constant('application/json'), weight: 4 },
        { arbitrary: fc.constantFrom(...CONTENT_TYPES), weight: 1 },
      ),
      multipart: spec.file ? fc.option(multipart, { freq: 3 }) : fc.constant(null),
    });

    await fc.assert(
      fc.asyncProperty(input, async (i) => {
        let n = 0;
        const path = pattern.replace(/:\w+/g, () => i.params[n++]!);
        const url = `${path}${i.query ? `?${i.query}` : ''}`;
        // Logging out revokes the session: each run of that route has one of its own. Signing out
        // everywhere revokes every session of the user: those runs are a user of their own's.
        const token = route.endsWith('/logout')
          ? await quickSession(t, user.id)
          : route.endsWith('/logout-all')
            ? await quickSession(t, leaver.id)
            : user.accessToken;
        const m = method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
        let req = t.http[m](url).set(bearer(token));
        if (i.multipart) {
          for (const [k, v] of Object.entries(i.multipart.fields)) {
            req = req.field(k, typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));
          }
          if (i.multipart.file)
            req = req.attach(i.multipart.field, i.multipart.file, {
              filename: i.multipart.name || 'f',
            });
        } else if (method !== 'GET') {
          req = req.set('Content-Type', i.type).send(i.body);
        }
        const res = await req;
        if (route === 'POST /api/v1/auth/register' && res.status === 201) registered += 1;
        check(res, `${caller}: ${method} ${url.slice(0, 300)}`);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('hostile keys on the download routes (outside the matrix)', () => {
  it('GET /files/* and /files/public/* never serve anything without a valid signature', async () => {
    const segment = fc.oneof(
      fc.constantFrom('..', '%2e%2e', '..%2f..', '%2F', 'avatars', 'rooms', '.env', '%00'),
      urlString.map((s) => encode(s).slice(0, 200)),
    );
    const input = fc.record({
      prefix: fc.constantFrom('/files/', '/files/public/', '/files/public/avatars/'),
      segments: fc.array(segment, { minLength: 1, maxLength: 6 }),
      query: hostileQuery({ exp: fc.constantFrom('1', '9999999999', '-1'), sig: urlString }),
    });
    await fc.assert(
      fc.asyncProperty(input, async ({ prefix, segments, query }) => {
        const url = `${prefix}${segments.join('/')}${query ? `?${query}` : ''}`;
        const res = await t.http.get(url);
        expect(res.status, url).toBeGreaterThanOrEqual(400);
        expect(res.status, url).toBeLessThan(500);
        expectErrorShape(res, url);
        expect(res.text, url).not.toMatch(/root:x:0:0|"name": "chat-backend"|JWT_SECRET/);
      }),
      { numRuns: RUNS * 2 },
    );
  });
});

describe('after the fuzzing', () => {
  it('the server is healthy and the data intact', async () => {
    await verifyIntegrity(registered);
  });
});

itLeaksNoSecrets(() => watch);
