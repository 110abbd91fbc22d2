import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createUser, expectError, sendMessage, type TestUser } from '../helpers/factories.js';
import { fetchFile, filesUnder, image, keyOf, pdf, png, text } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

function postAvatar(user: TestUser | null, body: Buffer, filename = 'me.png') {
  const req = t.http.post('/api/users/avatar');
  if (user) req.set(user.auth);
  return req.attach('avatar', body, { filename, contentType: 'image/png' });
}

async function setAvatar(user: TestUser, body: Buffer): Promise<string> {
  const res = await postAvatar(user, body);
  if (res.status !== 200)
    throw new Error(`avatar failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data.avatarUrl as string;
}

const onDisk = (url: string) => existsSync(join(t.ctx.config.UPLOAD_DIR, keyOf(url)));

describe('POST /api/users/avatar', () => {
  it('a PNG gives 200 and my user with an avatarUrl that loads publicly as a 256×256 webp', async () => {
    const alice = await createUser(t);
    const res = await postAvatar(alice, await png(600, 300));
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      id: alice.id,
      username: alice.username,
      email: alice.email,
    });
    const { avatarUrl } = res.body.data;
    expect(avatarUrl).toMatch(/^http:\/\/localhost:5000\/files\/public\/avatars\/.+\.webp$/);

    const download = await fetchFile(t, avatarUrl);
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('image/webp');
    expect(download.headers['x-content-type-options']).toBe('nosniff');
    const meta = await sharp(download.body as Buffer).metadata();
    expect({ format: meta.format, width: meta.width, height: meta.height }).toEqual({
      format: 'webp',
      width: 256,
      height: 256,
    });
  });

  it.each(['jpeg', 'gif', 'webp'] as const)('a %s is accepted too', async (format) => {
    const user = await createUser(t);
    expect((await postAvatar(user, await image(format, 32, 32))).status).toBe(200);
  });

  it('the avatarUrl shows in GET /api/users/:id, my profile, and as sender.avatarUrl of new messages', async () => {
    const alice = await createUser(t);
    const bob = await createUser(t);
    const avatarUrl = await setAvatar(alice, await png(64, 64));

    const profile = await t.http.get(`/api/users/${alice.id}`).set(bob.auth);
    expect(profile.status).toBe(200);
    expect(profile.body.data.avatarUrl).toBe(avatarUrl);
    expect((await t.http.get('/api/users/profile').set(alice.auth)).body.data.avatarUrl).toBe(
      avatarUrl,
    );

    const message = await sendMessage(t, alice, 'general', 'with a face now');
    expect(message.sender.avatarUrl).toBe(avatarUrl);
  });

  it('a second avatar replaces the first: the old URL 404s and its file leaves the disk', async () => {
    const alice = await createUser(t);
    const first = await setAvatar(alice, await png(50, 50));
    expect(onDisk(first)).toBe(true);
    const second = await setAvatar(alice, await image('jpeg', 50, 50));
    expect(second).not.toBe(first);

    expect(onDisk(first)).toBe(false);
    expect((await fetchFile(t, first)).status).toBe(404);
    expect(onDisk(second)).toBe(true);
    expect((await fetchFile(t, second)).status).toBe(200);
  });

  it('five avatars at once leave exactly one file on disk: the one the profile shows', async () => {
    const alice = await createUser(t);
    const images = await Promise.all([1, 2, 3, 4, 5].map((i) => png(20 + i, 20)));
    const results = await Promise.all(images.map((body) => postAvatar(alice, body)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const current = (await t.http.get('/api/users/profile').set(alice.auth)).body.data.avatarUrl;
    const left = filesUnder(t.ctx.config.UPLOAD_DIR).filter((f) =>
      f.startsWith(`avatars/${alice.id}/`),
    );
    expect(left).toEqual([keyOf(current)]);
  });

  it('a PDF gets 415 and the avatar is unchanged', async () => {
    const alice = await createUser(t);
    const before = await setAvatar(alice, await png());
    expectError(await postAvatar(alice, pdf(), 'me.pdf'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await postAvatar(alice, text(), 'me.txt'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    const profile = await t.http.get('/api/users/profile').set(alice.auth);
    expect(profile.body.data.avatarUrl).toBe(before);
    expect(onDisk(before)).toBe(true);
  });

  it('an image over 2 MB gets 413', async () => {
    const alice = await createUser(t);
    const big = Buffer.concat([await png(), Buffer.alloc(2 * 1024 * 1024)]);
    expectError(await postAvatar(alice, big), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('no token gets 401', async () => {
    expectError(await postAvatar(null, await png()), 401, 'UNAUTHORIZED');
  });

  it('no file gets 400', async () => {
    const alice = await createUser(t);
    const res = await t.http.post('/api/users/avatar').set(alice.auth).field('x', 'y');
    expectError(res, 400, 'VALIDATION_ERROR');
  });

  it('an avatar is not served through the signed room-file path', async () => {
    const alice = await createUser(t);
    const url = await setAvatar(alice, await png());
    const res = await t.http.get(`/files/${keyOf(url)}?exp=9999999999&name=x&sig=x`);
    expectError(res, 404, 'NOT_FOUND');
  });
});
