import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createUser } from '../helpers/factories.js';

/** Shared by the remote storage drivers' tests (storage-*.test.ts): fixtures and the app end to end. */

export const redPng = () =>
  sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } })
    .png()
    .toBuffer();

export const roomKey = (ext: string) => `rooms/${randomUUID()}/${randomUUID()}.${ext}`;

export async function load(url: string | URL) {
  const res = await fetch(url);
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** What differs between the drivers: the app's environment and how the stand-in stores things. */
export interface StorageE2eOptions {
  driver: string;
  /** The stand-in's variables for the app (read once the stand-in runs, in beforeAll). */
  env: () => Record<string, string>;
  /** What the stand-in holds, by key. */
  stored: () => ReadonlyMap<string, { bytes: Buffer }>;
  /** The keys of an uploaded image and its thumbnail, sorted, as `expect(...).toEqual` patterns. */
  uploadKeys: (fileId: string) => unknown[];
  /** The start of every key of a user's avatars. */
  avatarKeyPrefix: (userId: string) => string;
  /** The start of a user's avatar URL. */
  avatarUrlPrefix: (userId: string) => string;
  /** Asserts that the avatar at `url` is the only one `stored` (the user's avatar keys). */
  expectOnlyAvatar: (url: string, stored: string[]) => void;
}

/** The app on STORAGE_DRIVER=<driver>: file upload, delivery and deletion, avatar replacement. */
export function describeAppOnStorage(o: StorageE2eOptions): void {
  describe(`the app on STORAGE_DRIVER=${o.driver}`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { STORAGE_DRIVER: o.driver, ...o.env() } });
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
      expect(message).toMatchObject({
        type: 'file',
        content: 'a red square',
        file: { id: file.id },
      });

      const keys = [...o.stored().keys()].filter((k) => k.includes(file.id));
      expect(keys.sort()).toEqual(o.uploadKeys(file.id));
      const original = await load(file.url);
      expect(original.res.status).toBe(200);
      expect(original.res.headers.get('content-type')).toBe('image/png');
      expect(original.bytes.equals(o.stored().get(keys[0]!)!.bytes)).toBe(true);
      const thumb = await load(file.thumbnailUrl);
      expect(thumb.res.status).toBe(200);
      expect(thumb.res.headers.get('content-type')).toBe('image/webp');

      const del = await t.http.delete(`/api/files/${message.id}`).set(user.auth);
      expect(del.status).toBe(200);
      for (const key of keys) expect(o.stored().has(key)).toBe(false);
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
        [...o.stored().keys()].filter((k) => k.startsWith(o.avatarKeyPrefix(user.id)));

      const first = await upload('red');
      expect(first.startsWith(o.avatarUrlPrefix(user.id))).toBe(true);
      expect(new URL(first).search).toBe('');
      const loaded = await load(first);
      expect(loaded.res.status).toBe(200);
      expect(loaded.res.headers.get('content-type')).toBe('image/webp');
      expect(mine()).toHaveLength(1);

      const second = await upload('blue');
      expect(second).not.toBe(first);
      o.expectOnlyAvatar(second, mine());
      expect((await fetch(first)).status).toBe(404);
      expect((await fetch(second)).status).toBe(200);
    });
  });
}
