import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { middlewareAgainstAllowList } from '../helpers/app-layers.js';
import { bearer, createUser, login, sendMessage } from '../helpers/factories.js';
import { REST_ROWS, type Cells, type RestRow } from './acl-rows.js';
import { buildFixture, type Fixture, type RoomKind } from './fixtures.js';
import {
  CALLERS,
  TOKEN_CALLERS,
  buildCast,
  codeMatchesStatus,
  itLeaksNoSecrets,
  listRoutes,
  watchSecrets,
  type Caller,
  type Cast,
  type SecretWatch,
  type SignedCaller,
} from './support.js';

/**
 * Routes the matrix leaves out, each for a reason. Anything else the app serves must have a row, so
 * a new route fails this file until its access rules are written down here; a layer that is not a
 * route must be on the allow-list of tests/helpers/app-layers.ts.
 */
const NOT_IN_MATRIX: { route: RegExp; reason: string }[] = [
  { route: /^GET \/health$/, reason: 'health check, public by SPEC.md' },
  {
    route: /^GET \/metrics$/,
    reason: 'guarded by METRICS_TOKEN or loopback, tested in tests/http',
  },
  { route: /^GET \/api\/v1\/docs(\/.*)?$/, reason: 'public API documentation (OpenAPI/AsyncAPI)' },
  { route: /^GET \/files\/public\/\*key$/, reason: 'public avatar downloads' },
  { route: /^GET \/files\/\*key$/, reason: 'signed-URL downloads, tested in tests/files/access' },
];

let t: TestApp;
let watch: SecretWatch;
let cast: Cast;
/** Shared rooms for cells that change nothing: live ones, and ones their owner deleted. */
const shared = new Map<string, Promise<Fixture>>();

beforeAll(async () => {
  t = await startTestApp();
  watch = watchSecrets(t);
  cast = await buildCast(t, watch);
});
afterAll(async () => {
  await t?.stop();
});

function sharedFixture(kind: RoomKind, deleted: boolean): Promise<Fixture> {
  const key = `${kind}:${deleted}`;
  let fx = shared.get(key);
  if (!fx) {
    fx = buildFixture(t, cast, kind, { deleted });
    shared.set(key, fx);
  }
  return fx;
}

const isSigned = (caller: Caller): caller is SignedCaller =>
  !(TOKEN_CALLERS as readonly string[]).includes(caller);

async function call(row: RestRow, caller: Caller, fx: Fixture) {
  const signedIn = isSigned(caller);
  let token = cast.tokens[caller];
  if (row.freshSession && signedIn) token = (await login(t, cast.users[caller])).accessToken;
  if (row.freshUser && signedIn) token = (await createUser(t)).accessToken;
  const ctx = { t, cast, watch, caller, signedIn };
  const params = (await row.params?.(fx, ctx)) ?? {};
  const path = row.path.replace(/:(\w+)/g, (_, name: string) =>
    encodeURIComponent(params[name] ?? ''),
  );
  const query = row.query ? `?${new URLSearchParams(row.query(fx)).toString()}` : '';
  const method = row.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
  let req = t.http[method](path + query);
  if (token) req = req.set(bearer(token));
  if (row.upload) {
    const fields = ((await row.body?.(fx, ctx)) ?? {}) as Record<string, string>;
    for (const [name, value] of Object.entries(fields)) req = req.field(name, value);
    const { field, file, name, type } = row.upload;
    return req.attach(field, await file(), { filename: name, contentType: type });
  }
  return row.body ? req.send((await row.body(fx, ctx)) as object) : req;
}

/** Every cell of a row; a cell that should succeed on a mutating row gets its own fresh room. */
async function runRow(row: RestRow): Promise<{ statuses: Cells; badCodes: string[] }> {
  const statuses = {} as Cells;
  const badCodes: string[] = [];
  for (const caller of CALLERS) {
    const deleted = caller === 'deleted';
    const fresh = row.mutates && !deleted && row.expect[caller] < 300;
    const fx = fresh
      ? await buildFixture(t, cast, row.kind)
      : await sharedFixture(row.kind, deleted);
    const res = await call(row, caller, fx);
    statuses[caller] = res.status;
    if (!codeMatchesStatus(res))
      badCodes.push(`${caller}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { statuses, badCodes };
}

describe('the access-control matrix covers every route', () => {
  it('has a row for every route the app serves, and no row for a route it does not', () => {
    const served = listRoutes(t.app);
    for (const { route, reason } of NOT_IN_MATRIX)
      expect(
        served.some((r) => route.test(r)),
        `stale exclusion (${reason})`,
      ).toBe(true);
    const inScope = served.filter((r) => !NOT_IN_MATRIX.some(({ route }) => route.test(r)));
    const rows = [...new Set(REST_ROWS.map((r) => `${r.method} ${r.path}`))].sort();
    expect(rows).toEqual(inScope.map((r) => r.replace(/\/$/, '')).sort());
  });

  it('serves nothing through a layer that is not a route, except the allow-listed middleware', () => {
    // An `app.use('/uploads', express.static(dir))` has no route, so no row above would notice it.
    expect(middlewareAgainstAllowList(t.app)).toEqual({ unlisted: [], stale: [] });
  });

  it('has a unique label for every row', () => {
    const labels = REST_ROWS.map((r) => r.label);
    expect(new Set(labels).size).toBe(labels.length);
  });
});

describe.each(['private', 'public'] as const)('REST access on a %s room', (kind) => {
  const rows = REST_ROWS.filter((r) => r.kind === kind);
  it.each(rows.map((r) => [r.label, r] as const))('%s', async (_label, row) => {
    const { statuses, badCodes } = await runRow(row);
    expect(statuses).toEqual(row.expect);
    expect(badCodes).toEqual([]);
  });
});

describe('the matrix also holds through the unversioned /api alias', () => {
  it('a stranger gets 404 and a member 200 for a private room at /api/rooms/:id', async () => {
    const fx = await sharedFixture('private', false);
    const asStranger = await t.http.get(`/api/rooms/${fx.room.id}`).set(cast.stranger.auth);
    const asMember = await t.http.get(`/api/rooms/${fx.room.slug}`).set(cast.member.auth);
    expect([asStranger.status, asMember.status]).toEqual([404, 200]);
  });
});

describe('a 200 on a list shows a stranger nothing of a private room', () => {
  it('search, my rooms and the public directory leave the private room out', async () => {
    const fx = await sharedFixture('private', false);
    const pub = await sharedFixture('public', false);
    const word = `zebra${Date.now().toString(36)}`;
    await sendMessage(t, cast.owner, fx.room.id, `a ${word} in the private room`);
    const get = async (path: string) =>
      (await t.http.get(path).set(cast.stranger.auth)).body.data as { id: string; room?: string }[];
    const found = await get(`/api/v1/messages/search?q=${word}&limit=100`);
    const mine = await get('/api/v1/rooms?limit=100');
    const listed = await get('/api/v1/rooms/public?limit=100');
    expect(found.filter((m) => m.room === fx.room.id)).toEqual([]);
    expect(mine.map((r) => r.id)).not.toContain(fx.room.id);
    expect(listed.map((r) => r.id)).not.toContain(fx.room.id);
    expect(listed.map((r) => r.id)).toContain(pub.room.id);
    // A member does find the private room's messages (control).
    const asMember = await t.http.get(`/api/v1/messages/search?q=${word}`).set(cast.member.auth);
    expect(asMember.body.data.some((m: { room: string }) => m.room === fx.room.id)).toBe(true);
  });
});

describe('a stranger learns nothing from the id of a message in a private room', () => {
  // A real id in a room hidden from the caller must answer exactly like an unknown id (SPEC.md).
  it('gets the same 404 body for a real id as for an unknown one', async () => {
    const fx = await sharedFixture('private', false);
    const unknownId = '3f1c2a5e-0000-4000-8000-000000000000';
    const probes = (id: string) => [
      t.http.put(`/api/v1/messages/${id}`).send({ content: 'x' }),
      t.http.delete(`/api/v1/messages/${id}`),
      t.http.post(`/api/v1/messages/${id}/read`),
      t.http.post(`/api/v1/messages/${id}/react`).send({ emoji: '👍' }),
    ];
    const bodies = async (reqs: ReturnType<typeof probes>, fileId: string) => {
      const out = [];
      for (const req of [...reqs, t.http.delete(`/api/v1/files/${fileId}`)])
        out.push((await req.set(cast.stranger.auth)).body);
      return out;
    };
    const real = await bodies(probes(fx.ownerMessage.id), await fx.fileMessageId());
    const unknown = await bodies(probes(unknownId), unknownId);
    // The statuses (404 for both) are in the matrix rows; only the bodies differ.
    expect(real).toEqual(unknown);
  });
});

itLeaksNoSecrets(() => watch);
