import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createS3Storage, publicBaseUrl } from '../../src/modules/files/storage/s3.js';
import type { StorageDriver } from '../../src/modules/files/storage/storage.js';
import { TEST_JWT_SECRET, TEST_VAPID, testEnv } from '../helpers/app.js';
import { startFakeS3, type FakeS3 } from '../helpers/fake-s3.js';
import { describeAppOnStorage, load, redPng, roomKey } from './storage-e2e.js';

let s3: FakeS3;
beforeAll(async () => {
  s3 = await startFakeS3();
});
afterAll(async () => {
  await s3?.close();
});

const driverFor = (env: Record<string, string> = {}): StorageDriver =>
  createS3Storage(loadConfig(testEnv({ STORAGE_DRIVER: 's3', ...s3.env, ...env })));

describe('s3 driver', () => {
  const ttl = { visibility: 'private' as const, expiresInSec: 600 };

  it('puts a private object and serves it through a presigned URL, inline for images', async () => {
    const storage = driverFor();
    const body = await redPng();
    const key = roomKey('png');
    await storage.put({ key, body, contentType: 'image/png', visibility: 'private' });
    expect(s3.objects.get(key)).toMatchObject({ contentType: 'image/png' });

    const url = await storage.url(key, {
      ...ttl,
      downloadName: 'red dot.png',
      contentType: 'image/png',
    });
    expect(url.startsWith(`${s3.url}/${s3.bucket}/${key}?`)).toBe(true);
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('600');
    const { res, bytes } = await load(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toBe(
      `inline; filename="red dot.png"; filename*=UTF-8''red%20dot.png`,
    );
    expect(bytes.equals(body)).toBe(true);
  });

  it('sends documents as attachments, with a UTF-8 filename and charset', async () => {
    const storage = driverFor();
    const key = roomKey('txt');
    const body = Buffer.from('héllo, world\n');
    await storage.put({ key, body, contentType: 'text/plain', visibility: 'private' });
    const url = await storage.url(key, {
      ...ttl,
      downloadName: 'résumé (1).txt',
      contentType: 'text/plain',
    });
    const { res, bytes } = await load(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="r_sum_ (1).txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%281%29.txt`,
    );
    expect(bytes.equals(body)).toBe(true);
  });

  it('refuses a private object without a signature, with a tampered one, or once expired', async () => {
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

    expect((await fetch(`${s3.url}/${s3.bucket}/${key}`)).status).toBe(403);
    const badSig = new URL(url);
    const sig = badSig.searchParams.get('X-Amz-Signature') ?? '';
    badSig.searchParams.set(
      'X-Amz-Signature',
      `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`,
    );
    expect((await fetch(badSig)).status).toBe(403);
    const longer = new URL(url);
    longer.searchParams.set('X-Amz-Expires', '604800');
    expect((await fetch(longer)).status).toBe(403);
    const otherName = new URL(url);
    otherName.searchParams.set('response-content-disposition', 'attachment; filename="x.html"');
    expect((await fetch(otherName)).status).toBe(403);
    const noSig = new URL(url);
    noSig.searchParams.delete('X-Amz-Signature');
    expect((await fetch(noSig)).status).toBe(403);

    expect((await fetch(url)).status).toBe(200);
    s3.advance(61);
    try {
      expect((await fetch(url)).status).toBe(403);
    } finally {
      s3.advance(-61);
    }
  });

  it('deletes an object; deleting a missing one is not an error', async () => {
    const storage = driverFor();
    const key = roomKey('png');
    await storage.put({
      key,
      body: await redPng(),
      contentType: 'image/png',
      visibility: 'private',
    });
    await storage.delete(key, 'private', 'image/png');
    expect(s3.objects.has(key)).toBe(false);
    expect((await fetch(await storage.url(key, ttl))).status).toBe(404);
    await expect(storage.delete(key, 'private', 'image/png')).resolves.toBeUndefined();
  });

  it('serves a public object from a permanent URL, on the endpoint or S3_PUBLIC_URL', async () => {
    const key = `avatars/${randomUUID()}/${randomUUID()}.webp`;
    const body = await sharp(await redPng())
      .webp()
      .toBuffer();
    await driverFor().put({ key, body, contentType: 'image/webp', visibility: 'public' });
    expect(s3.objects.get(key)?.cacheControl).toContain('immutable');

    const url = await driverFor().url(key, { visibility: 'public', expiresInSec: 0 });
    expect(url).toBe(`${s3.url}/${s3.bucket}/${key}`);
    s3.advance(30 * 24 * 3600);
    try {
      const { res, bytes } = await load(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/webp');
      expect(bytes.equals(body)).toBe(true);
    } finally {
      s3.advance(-30 * 24 * 3600);
    }
    const cdn = driverFor({ S3_PUBLIC_URL: `${s3.url}/${s3.bucket}/` });
    expect(await cdn.url(key, { visibility: 'public', expiresInSec: 0 })).toBe(url);
  });

  it('fails a put signed with the wrong secret', async () => {
    const storage = driverFor({ S3_SECRET_ACCESS_KEY: 'not-the-secret' });
    const key = roomKey('png');
    await expect(
      storage.put({ key, body: await redPng(), contentType: 'image/png', visibility: 'private' }),
    ).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    expect(s3.objects.has(key)).toBe(false);
  });

  it('builds public URLs for AWS, path-style and virtual-hosted endpoints', () => {
    const base = (env: Record<string, string>) =>
      publicBaseUrl(
        loadConfig({
          JWT_SECRET: TEST_JWT_SECRET,
          VAPID_PUBLIC_KEY: TEST_VAPID.publicKey,
          VAPID_PRIVATE_KEY: TEST_VAPID.privateKey,
          STORAGE_DRIVER: 's3',
          S3_BUCKET: 'b',
          ...env,
        }),
        'b',
      );
    expect(base({ S3_REGION: 'eu-west-1' })).toBe('https://b.s3.eu-west-1.amazonaws.com');
    expect(base({ S3_ENDPOINT: 'http://minio:9000', S3_FORCE_PATH_STYLE: 'true' })).toBe(
      'http://minio:9000/b',
    );
    expect(base({ S3_ENDPOINT: 'https://r2.example.com' })).toBe('https://b.r2.example.com');
    expect(base({ S3_PUBLIC_URL: 'https://cdn.example.com/' })).toBe('https://cdn.example.com');
  });
});

describeAppOnStorage({
  driver: 's3',
  env: () => s3.env,
  stored: () => s3.objects,
  uploadKeys: () => [expect.stringMatching(/\.png$/), expect.stringMatching(/\.thumb\.webp$/)],
  avatarKeyPrefix: (userId) => `avatars/${userId}/`,
  avatarUrlPrefix: (userId) => `${s3.url}/${s3.bucket}/avatars/${userId}/`,
  expectOnlyAvatar: (url, stored) => {
    expect(stored).toEqual([new URL(url).pathname.replace(`/${s3.bucket}/`, '')]);
  },
});
