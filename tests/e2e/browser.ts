import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { onlyIn, requireOrSkip, skipUnless } from '../helpers/skips.js';

/**
 * What the browser runs share: Debian's chromium (never a downloaded browser; `.ci/run` installs it
 * with apt-get, or CHROMIUM_PATH), the client built into public/, and the screenshots' folder. They
 * run in the `pg` project only: the client does not care which database is behind the API.
 */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = join('test-artifacts', 'e2e');

/** Skipped (with the reason) without chromium, and outside the `pg` project. */
export const browserSkip = skipUnless(
  requireOrSkip(existsSync(CHROMIUM), `chromium (${CHROMIUM})`),
  onlyIn('pg'),
);

/** Builds the client from client/ into public/ (which the app serves) and makes the artifacts folder. */
export function buildClientForBrowser(): void {
  execFileSync(
    process.execPath,
    [fileURLToPath(new URL('../../client/build.mjs', import.meta.url))],
    { stdio: 'pipe' },
  );
  mkdirSync(ARTIFACTS, { recursive: true });
}

/**
 * A headless chromium. launch() always starts from a fresh temporary profile (--user-data-dir) of its
 * own and removes it on close; it refuses a --user-data-dir in args, which is only for persistent
 * contexts.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
