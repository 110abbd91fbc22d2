import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalSigner } from '../../src/modules/files/storage/local.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  expectError,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';
import {
  fetchFile,
  keyOf,
  pathOf,
  pdf,
  png,
  upload,
  uploadOk,
  type UploadedFile,
} from './support.js';

const TTL = 60;

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let stranger: TestUser;
let secret: TestRoom;
let open: TestRoom;
let secretFile: UploadedFile;
beforeAll(async () => {
  t = await startTestApp({ env: { FILE_URL_TTL_SEC: String(TTL) } });
  [alice, bob, stranger] = await Promise.all([createUser(t), createUser(t), createUser(t)]);
  secret = await createRoom(t, alice, { type: 'private', members: [bob] });
  open = await createRoom(t, alice, { type: 'public' });
  ({ file: secretFile } = await uploadOk(t, alice, await png(), 'secret.png', { room: secret.id }));
});
afterAll(async () => {
  await t?.stop();
});

/** GETs an absolute file URL through supertest, with no header, and parses an error body. */
const getUrl = (url: string) => t.http.get(pathOf(url));

/** The file URL with one query parameter replaced. */
function withParam(url: string, name: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.toString();
}

describe('who may upload', () => {
  it('no token gets 401', async () => {
    expectError(await upload(t, null, pdf(), 'a.pdf'), 401, 'UNAUTHORIZED');
  });

  it('a non-member of a private room gets 404', async () => {
    const res = await upload(t, stranger, pdf(), 'a.pdf', { room: secret.id });
    expectError(res, 404, 'NOT_FOUND');
  });

  it('a non-member of a public room gets 403 until they join', async () => {
    expectError(await upload(t, stranger, pdf(), 'a.pdf', { room: open.slug }), 403, 'FORBIDDEN');
    const joined = await t.http.post(`/api/rooms/${open.id}/join`).set(stranger.auth);
    expect(joined.status).toBeLessThan(300);
    expect((await upload(t, stranger, pdf(), 'a.pdf', { room: open.slug })).status).toBe(201);
  });

  it('a member of a private room may upload to it', async () => {
    const res = await upload(t, bob, pdf(), 'b.pdf', { room: secret.slug });
    expect(res.status).toBe(201);
    expect(res.body.data.message.room).toBe(secret.id);
  });
});

describe('who may list', () => {
  it('a stranger gets 404 for the media and the stats of a private room', async () => {
    for (const path of [`/api/files/media/${secret.id}`, `/api/files/stats/${secret.slug}`]) {
      expectError(await t.http.get(path).set(stranger.auth), 404, 'NOT_FOUND');
    }
  });

  it('no token gets 401 for media and stats', async () => {
    expectError(await t.http.get(`/api/files/media/${secret.id}`), 401, 'UNAUTHORIZED');
    expectError(await t.http.get(`/api/files/stats/${secret.id}`), 401, 'UNAUTHORIZED');
  });

  it('a non-member of a public room gets 403 for its media', async () => {
    const outsider = await createUser(t);
    expectError(
      await t.http.get(`/api/files/media/${open.id}`).set(outsider.auth),
      403,
      'FORBIDDEN',
    );
  });
});

describe('signed file URLs', () => {
  it('a fresh URL loads without any header and expires after FILE_URL_TTL_SEC', async () => {
    const res = await fetchFile(t, secretFile.url);
    expect(res.status).toBe(200);
    const exp = Number(new URL(secretFile.url).searchParams.get('exp'));
    const now = Math.floor(Date.now() / 1000);
    expect(exp).toBeGreaterThan(now + TTL - 30);
    expect(exp).toBeLessThanOrEqual(now + TTL);
    expect(res.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
  });

  it('without a signature gets 401, even for a member with a token', async () => {
    const bare = `/files/${keyOf(secretFile.url)}`;
    expectError(await t.http.get(bare), 401, 'UNAUTHORIZED');
    expectError(await t.http.get(bare).set(alice.auth), 401, 'UNAUTHORIZED');
  });

  it('a stranger with a token but no signed URL is refused', async () => {
    const res = await t.http.get(`/files/${keyOf(secretFile.url)}`).set(stranger.auth);
    expect([401, 403, 404]).toContain(res.status);
    expect(res.body.success).toBe(false);
  });

  it('a tampered signature gets 403', async () => {
    const sig = new URL(secretFile.url).searchParams.get('sig')!;
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    expectError(await getUrl(withParam(secretFile.url, 'sig', flipped)), 403, 'FORBIDDEN');
  });

  it('an edited expiry gets 403 (the signature covers it)', async () => {
    const later = String(Math.floor(Date.now() / 1000) + 86_400);
    expectError(await getUrl(withParam(secretFile.url, 'exp', later)), 403, 'FORBIDDEN');
    expectError(await getUrl(withParam(secretFile.url, 'exp', '1')), 403, 'FORBIDDEN');
  });

  it('an edited download name gets 403 (the signature covers it)', async () => {
    expectError(await getUrl(withParam(secretFile.url, 'name', 'x.html')), 403, 'FORBIDDEN');
  });

  it('a correctly signed URL that has expired gets 403', async () => {
    const key = keyOf(secretFile.url);
    const exp = Math.floor(Date.now() / 1000) - 5;
    const sig = createLocalSigner(TEST_JWT_SECRET).sign(key, exp, secretFile.name);
    const query = new URLSearchParams({ exp: String(exp), name: secretFile.name, sig });
    expectError(await t.http.get(`/files/${key}?${query.toString()}`), 403, 'FORBIDDEN');
  });

  it("one file's signature does not open another file", async () => {
    const { file: other } = await uploadOk(t, alice, await png(), 'secret.png', {
      room: secret.id,
    });
    const forged = new URL(other.url);
    forged.search = new URL(secretFile.url).search;
    expectError(await getUrl(forged.toString()), 403, 'FORBIDDEN');
  });

  it('a path that escapes the upload directory gets 404', async () => {
    for (const path of [
      '/files/..%2F..%2Fetc%2Fpasswd?exp=1&sig=x',
      '/files/rooms/x/../../../etc/passwd',
    ]) {
      const res = await t.http.get(path);
      expect(res.status).toBe(404);
    }
  });

  it('a room file is not served through the public avatar path', async () => {
    const res = await t.http.get(`/files/public/${keyOf(secretFile.url)}`);
    expectError(res, 404, 'NOT_FOUND');
  });

  it('the signed URL path and query are all a browser needs (no cookie, no header)', async () => {
    const res = await t.http.get(pathOf(secretFile.thumbnailUrl!));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/webp');
  });
});
