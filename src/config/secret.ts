import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE, ensurePrivateDir } from '../private-files.js';

/** The file in DATA_DIR that keeps the generated secret when JWT_SECRET is not set. */
export const SECRET_FILE_NAME = 'jwt-secret';

/** Shortest secret accepted from the file (the generated ones are 64 characters). */
const MIN_LENGTH = 32;

export interface StoredSecret {
  secret: string;
  /** Where it is kept. */
  path: string;
  /** True when this start generated it (the first start with this DATA_DIR). */
  created: boolean;
}

/**
 * A private file's text, or undefined when it does not exist. A file copied around (a backup restored)
 * may have lost its mode: it is ours, so it is tightened.
 */
export function readPrivateFile(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, PRIVATE_FILE_MODE);
  return text;
}

function readSecret(path: string): string | undefined {
  const text = readPrivateFile(path);
  if (text === undefined) return undefined;
  const secret = text.trim();
  if (secret.length < MIN_LENGTH)
    throw new Error(
      `${path} holds fewer than ${MIN_LENGTH} characters: delete it to generate a new secret`,
    );
  return secret;
}

/**
 * A private file in `dataDir` made by `make` on the first start and read back after: written 0600 in a
 * 0700 directory, under a temporary name then linked into place, so two processes starting together
 * agree on one content and neither can read a half-written file.
 */
export function loadOrCreatePrivateFile(
  dataDir: string,
  fileName: string,
  make: () => string,
  read: (path: string) => string | undefined,
): { content: string; path: string; created: boolean } {
  ensurePrivateDir(dataDir);
  const path = join(dataDir, fileName);
  const existing = read(path);
  if (existing) return { content: existing, path, created: false };

  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, make(), { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  let created = true;
  try {
    linkSync(temporary, path);
  } catch (err) {
    // Another process starting at the same moment linked its file first: use that one.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    created = false;
  } finally {
    unlinkSync(temporary);
  }
  return { content: read(path) as string, path, created };
}

/** The signing secret kept in `dataDir`, generated at random (384 bits) on the first start. */
export function loadOrCreateSecret(dataDir: string): StoredSecret {
  const { content, path, created } = loadOrCreatePrivateFile(
    dataDir,
    SECRET_FILE_NAME,
    () => `${randomBytes(48).toString('base64url')}\n`,
    readSecret,
  );
  return { secret: content, path, created };
}
