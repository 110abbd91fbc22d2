import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, ensurePrivateDir } from '../../../private-files.js';
import type { StorageDriver } from './storage.js';

const KEY_SHAPE = /^[a-z]+\/[0-9a-f-]{36}\/[0-9a-f-]{36}(\.thumb)?\.[a-z0-9]{2,5}$/;

/** Keys are made by the server, but the download route re-checks the shape so no path can escape. */
export function isSafeKey(key: string): boolean {
  return KEY_SHAPE.test(key);
}

export interface LocalSigner {
  sign(key: string, exp: number, name: string): string;
  verify(key: string, exp: number, name: string, sig: string): boolean;
}

export function createLocalSigner(secret: string): LocalSigner {
  // A key of its own, derived from the JWT secret, so file signatures and tokens never share one.
  const key = createHmac('sha256', secret).update('local-file-urls').digest();
  const sign = (objectKey: string, exp: number, name: string) =>
    createHmac('sha256', key).update(`${objectKey}\n${exp}\n${name}`).digest('base64url');
  return {
    sign,
    verify(objectKey, exp, name, sig) {
      const expected = Buffer.from(sign(objectKey, exp, name));
      const given = Buffer.from(sig);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

/**
 * Files on local disk under UPLOAD_DIR. Private objects are served by the app from `/files/<key>` with
 * an HMAC signature and expiry; public ones (avatars) from `/files/public/<key>`.
 */
export function createLocalStorage(options: {
  dir: string;
  publicUrl: string;
  signer: LocalSigner;
}): StorageDriver & {
  pathOf(key: string): string;
} {
  const root = resolve(options.dir);
  // Uploads are readable by the server's user only, whatever the umask of the process that runs it.
  ensurePrivateDir(root);
  const pathOf = (key: string) => {
    if (!isSafeKey(key)) throw new Error('unsafe storage key');
    const path = resolve(root, key);
    if (!path.startsWith(root + sep)) throw new Error('unsafe storage key');
    return path;
  };
  return {
    name: 'local',
    pathOf,
    async put({ key, body }) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
      await writeFile(path, body, { flag: 'wx', mode: PRIVATE_FILE_MODE });
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    async url(key, { visibility, expiresInSec, downloadName }) {
      if (visibility === 'public') return `${options.publicUrl}/files/public/${key}`;
      const exp = Math.floor(Date.now() / 1000) + expiresInSec;
      const name = downloadName ?? '';
      const sig = options.signer.sign(key, exp, name);
      const query = new URLSearchParams({ exp: String(exp), name, sig });
      return `${options.publicUrl}/files/${key}?${query.toString()}`;
    },
  };
}
