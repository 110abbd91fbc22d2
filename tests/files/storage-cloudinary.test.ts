import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createCloudinaryStorage } from '../../src/modules/files/storage/cloudinary.js';
import type { StorageDriver } from '../../src/modules/files/storage/storage.js';
import { testEnv } from '../helpers/app.js';
import { startFakeCloudinary, type FakeCloudinary } from '../helpers/fake-cloudinary.js';
import { describeAppOnStorage, load, redPng, roomKey } from './storage-e2e.js';

/** The smallest file `file-type` (and so the stand-in, like Cloudinary) recognises as an MP4. */
const tinyMp4 = () =>
  Buffer.concat([
    // A 24-byte `ftyp` box: brand isom, version 0x200, compatible isom and iso2.
    Buffer.from('00000018' + '66747970' + '69736f6d' + '00000200' + '69736f6d' + '69736f32', 'hex'),
    Buffer.alloc(64),
  ]);

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

describeAppOnStorage({
  driver: 'cloudinary',
  env: () => cld.env,
  stored: () => cld.assets,
  uploadKeys: (fileId) => [
    expect.stringMatching(new RegExp(`^image/private/rooms/.+/${fileId}$`)),
    expect.stringMatching(new RegExp(`^image/private/rooms/.+/${fileId}\\.thumb$`)),
  ],
  avatarKeyPrefix: (userId) => `image/upload/avatars/${userId}/`,
  avatarUrlPrefix: () => `${cld.url}/${cld.cloudName}/image/upload/`,
  expectOnlyAvatar: (url, stored) => {
    expect(stored).toHaveLength(1);
    expect(url).toContain(stored[0]!.replace('image/upload/', ''));
  },
});
