import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Directories the server keeps data in are the owner's only; so are the files in them (0600). */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

function chmodOwned(path: string, mode: number): void {
  try {
    chmodSync(path, mode);
  } catch (err) {
    // Not ours (a volume mounted with another owner): we can still use it, we just cannot tighten it.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
  }
}

/**
 * Creates `dir` (and its parents) readable only by this user, and tightens it to 0700 when it already
 * exists: earlier versions made it 0755, and a 0700 top directory hides everything below it.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodOwned(dir, PRIVATE_DIR_MODE);
}

/**
 * Takes group and other permissions off every directory and file under `dir` (itself included), so
 * 0755 becomes 0700 and 0666 becomes 0600. PGlite (Emscripten) chmods the files of a new database to
 * 0666 itself, whatever the process umask, so the umask set at start is not enough there. Symbolic
 * links are left alone (never followed).
 */
export function tightenTree(dir: string): void {
  const walk = (path: string) => {
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (!stat || stat.isSymbolicLink()) return;
    if ((stat.mode & 0o077) !== 0) chmodOwned(path, stat.mode & 0o700);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
  };
  walk(dir);
}
