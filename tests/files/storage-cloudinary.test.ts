import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createCloudinaryStorage } from '../../src/modules/files/storage/cloudinary.js';
import type { StorageDriver } from '../../src/modules/files/storage/storage.js';
import { startTestApp, testEnv, type TestApp } from '../helpers/app.js';
import { createUser } from '../helpers/factories.js';
import { startFakeCloudinary, type FakeCloudinary } from '../helpers/fake-cloudinary.js';

const redPng = () =>
  sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } })
    .png()
    .toBuffer();
/** The smallest file `file-type` (and so the stand-in, like Cloudinary) recognises as an MP4. */
const tinyMp4 = () =>
  Buffer.concat([
    // A 24-byte `ftyp` box: brand isom, version 0x200, compatible isom and iso2.
    Buffer.from('00000018' + '66747970' + '69736f6d' + '00000200' + '69736f6d' + '69736f32', 'hex'),
    Buffer.alloc(64),
  ]);
const roomKey = (ext: string) => `rooms/${randomUUID()}/${randomUUID()}.${ext}`;

async function load(url: string | URL) {
  const res = await fetch(url);
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

let cld: FakeCloudinary;
beforeAll(async () => {
  cld = await startFakeCloudinary();
});
afterAll(async () => {
  await cld?.close();
});

const driverFor = (env: Record<string, string> = {}): StorageDriver =>
  createCloudinaryStorage(
    loadConfig(testEnv({ STORAGE_DRIVER: 'cloudinary', ...cld.env, ...env })),
  );

describe('cloudinary driver', () => {
  const ttl = { visibility: 'private' as const, expiresInSec: 600 };

  it('uploads a private image without its extension and serves it through a signed download URL', async () => {
    const storage = driverFor();
    const body = await redPng();
    const key = roomKey('png');
    await storage.put({ key, body, contentType: 'image/png', visibility: 'private' });
    const publicId = key.replace(/\.png$/, '');
    expect(cld.assets.get(`image/private/${publicId}`)).toMatchObject({ format: 'png' });

    const url = new URL(
      await storage.url(key, { ...ttl, contentType: 'image/png', downloadName: 'a.png' }),
    );
    expect(url.origin).toBe(cld.url);
    expect(url.pathname).toBe(`/v1_1/${cld.cloudName}/image/download`);
    const expiresAt = Number(url.searchParams.get('expires_at'));
    expect(expiresAt - Date.now() / 1000).toBeGreaterThan(590);
    expect(url.searchParams.has('attachment')).toBe(false);
    const { res, bytes } = await load(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(bytes.equals(body)).toBe(true);
  });

  it('uploads video as video and other files as raw, keeping the extension, as attachments', async () => {
    const storage = driverFor();
    const videoKey = roomKey('mp4');
    await storage.put({
      key: videoKey,
      body: tinyMp4(),
      contentType: 'video/mp4',
      visibility: 'private',
    });
    expect(cld.assets.get(`video/private/${videoKey.replace(/\.mp4$/, '')}`)).toMatchObject({
      format: 'mp4',
    });
    const video = await load(await storage.url(videoKey, { ...ttl, contentType: 'video/mp4' }));
    expect(video.res.headers.get('content-type')).toBe('video/mp4');

    const key = roomKey('txt');
    const body = Buffer.from('plain words\n');
    await storage.put({ key, body, contentType: 'text/plain', visibility: 'private' });
    expect(cld.assets.has(`raw/private/${key}`)).toBe(true);
    const url = await storage.url(key, {
      ...ttl,
      contentType: 'text/plain',
      downloadName: 'notes.txt',
    });
    expect(new URL(url).pathname).toBe(`/v1_1/${cld.cloudName}/raw/download`);
    const { res, bytes } = await load(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(bytes.equals(body)).toBe(true);
  });

  it('refuses a tampered, unsigned or expired URL', async () => {
    const storage = driverFor();
    const key = roomKey('png');
    await storage.put({
      key,
      body: await redPng(),
      contentType: 'image/png',
      visibility: 'private',
    });
    const url = new URL(
      await storage.url(key, { ...ttl, expiresInSec: 60, contentType: 'image/png' }),
    );

    for (const [param, value] of [
      ['expires_at', String(Number(url.searchParams.get('expires_at')) + 86_400)],
      ['public_id', key.replace(/\.png$/, '').replace(/.$/, (c) => (c === '0' ? '1' : '0'))],
      ['type', 'upload'],
      ['signature', '0'.repeat(40)],
    ] as const) {
      const tampered = new URL(url);
      tampered.searchParams.set(param, value);
      expect((await fetch(tampered)).status, param).toBe(401);
    }
    const unsigned = `${cld.url}/${cld.cloudName}/image/private/v1/${key}`;
    expect((await fetch(unsigned)).status).toBe(401);

    expect((await fetch(url)).status).toBe(200);
    cld.advance(61);
    try {
      expect((await fetch(url)).status).toBe(401);
    } finally {
      cld.advance(-61);
    }
  });

  it('deletes with the right resource type and delivery type; a missing asset is no error', async () => {
    const storage = driverFor();
    const key = roomKey('png');
    await storage.put({
      key,
      body: await redPng(),
      contentType: 'image/png',
      visibility: 'private',
    });
    await storage.delete(key, 'private', 'image/png');
    expect(cld.assets.has(`image/private/${key.replace(/\.png$/, '')}`)).toBe(false);
    expect((await fetch(await storage.url(key, { ...ttl, contentType: 'image/png' }))).status).toBe(
      404,
    );
    await expect(storage.delete(key, 'private', 'image/png')).resolves.toBeUndefined();

    // Without a content type (an old row), the key's extension decides the resource type.
    const raw = roomKey('pdf');
    await storage.put({
      key: raw,
      body: Buffer.from('%PDF-1.4\n'),
      contentType: 'application/pdf',
      visibility: 'private',
    });
    await storage.delete(raw, 'private');
    expect(cld.assets.has(`raw/private/${raw}`)).toBe(false);
  });

  it('serves a public upload from a permanent delivery URL', async () => {
    const storage = driverFor();
    const key = `avatars/${randomUUID()}/${randomUUID()}.webp`;
    const body = await sharp(await redPng())
      .webp()
      .toBuffer();
    await storage.put({ key, body, contentType: 'image/webp', visibility: 'public' });
    expect(cld.assets.has(`image/upload/${key.replace(/\.webp$/, '')}`)).toBe(true);

    const url = await storage.url(key, {
      visibility: 'public',
      expiresInSec: 0,
      contentType: 'image/webp',
    });
    expect(url).toMatch(new RegExp(`^${cld.url}/${cld.cloudName}/image/upload/(v\\d+/)?${key}$`));
    cld.advance(30 * 24 * 3600);
    try {
      const { res, bytes } = await load(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/webp');
      expect(bytes.equals(body)).toBe(true);
    } finally {
      cld.advance(-30 * 24 * 3600);
    }
  });

  it('points delivery at the Cloudinary CDN when the API host is Cloudinary', async () => {
    const storage = driverFor({ CLOUDINARY_API_URL: 'https://api-eu.cloudinary.com' });
    const url = await storage.url('avatars/u/x.webp', { visibility: 'public', expiresInSec: 0 });
    expect(url).toMatch(/^https:\/\/res\.cloudinary\.com\/demo-cloud\/image\/upload\//);
    const signed = await storage.url('rooms/r/x.png', { ...ttl, contentType: 'image/png' });
    expect(signed).toMatch(
      /^https:\/\/api-eu\.cloudinary\.com\/v1_1\/demo-cloud\/image\/download\?/,
    );
  });

  it('fails an upload signed with the wrong secret', async () => {
    const storage = driverFor({ CLOUDINARY_API_SECRET: 'not-the-secret' });
    const key = roomKey('png');
    await expect(
      storage.put({ key, body: await redPng(), contentType: 'image/png', visibility: 'private' }),
    ).rejects.toThrow(/Invalid Signature.*401/);
    expect(cld.requests.at(-1)).toMatchObject({ method: 'POST', status: 401 });
  });
});

describe('the app on STORAGE_DRIVER=cloudinary', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { STORAGE_DRIVER: 'cloudinary', ...cld.env } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('uploads an image and its thumbnail, serves both, and deletes both with the message', async () => {
    const user = await createUser(t);
    const res = await t.http
      .post('/api/files/upload')
      .set(user.auth)
      .field('room', 'general')
      .field('caption', 'a red square')
      .attach('file', await redPng(), { filename: 'red.png', contentType: 'image/png' });
    expect(res.status).toBe(201);
    const { file, message } = res.body.data;
    expect(file).toMatchObject({ name: 'red.png', mime: 'image/png', width: 8, height: 8 });
    expect(message).toMatchObject({ type: 'file', content: 'a red square', file: { id: file.id } });

    const keys = [...cld.assets.keys()].filter((k) => k.includes(file.id));
    expect(keys.sort()).toEqual([
      expect.stringMatching(new RegExp(`^image/private/rooms/.+/${file.id}$`)),
      expect.stringMatching(new RegExp(`^image/private/rooms/.+/${file.id}\\.thumb$`)),
    ]);
    const original = await load(file.url);
    expect(original.res.status).toBe(200);
    expect(original.res.headers.get('content-type')).toBe('image/png');
    expect(original.bytes.equals(cld.assets.get(keys[0]!)!.bytes)).toBe(true);
    const thumb = await load(file.thumbnailUrl);
    expect(thumb.res.status).toBe(200);
    expect(thumb.res.headers.get('content-type')).toBe('image/webp');

    const del = await t.http.delete(`/api/files/${message.id}`).set(user.auth);
    expect(del.status).toBe(200);
    for (const key of keys) expect(cld.assets.has(key)).toBe(false);
    expect((await fetch(file.url)).status).toBe(404);
    expect((await fetch(file.thumbnailUrl)).status).toBe(404);
  });

  it('stores an avatar publicly and deletes the previous one', async () => {
    const user = await createUser(t);
    const upload = async (background: string) => {
      const image = await sharp({ create: { width: 32, height: 32, channels: 3, background } })
        .png()
        .toBuffer();
      const res = await t.http
        .post('/api/users/avatar')
        .set(user.auth)
        .attach('avatar', image, { filename: 'me.png', contentType: 'image/png' });
      expect(res.status).toBe(200);
      return res.body.data.avatarUrl as string;
    };
    const mine = () =>
      [...cld.assets.keys()].filter((k) => k.startsWith(`image/upload/avatars/${user.id}/`));

    const first = await upload('red');
    expect(first.startsWith(`${cld.url}/${cld.cloudName}/image/upload/`)).toBe(true);
    expect(new URL(first).search).toBe('');
    const loaded = await load(first);
    expect(loaded.res.status).toBe(200);
    expect(loaded.res.headers.get('content-type')).toBe('image/webp');
    expect(mine()).toHaveLength(1);

    const second = await upload('blue');
    expect(second).not.toBe(first);
    expect(mine()).toHaveLength(1);
    expect(second).toContain(mine()[0]!.replace('image/upload/', ''));
    expect((await fetch(first)).status).toBe(404);
    expect((await fetch(second)).status).toBe(200);
  });
});
