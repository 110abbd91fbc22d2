import { readdirSync, readFileSync } from 'node:fs';
import { defineConfig, type TestProjectConfiguration } from 'vitest/config';

/**
 * Test files share a worker's module cache (`isolate: false`): the app and its dependencies are
 * imported once per worker instead of once per file, which halves the run. Every file builds its own
 * app, database and config, and nothing in src/ keeps state at module level that another file could
 * see. A file that replaces a module (`vi.mock`) needs a module cache of its own, so such files are
 * found here and run isolated, in projects of their own.
 */
const testFiles = (readdirSync('tests', { recursive: true }) as string[])
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => `tests/${f}`);
const mocking = testFiles.filter((f) => /\bvi\.mock\(/.test(readFileSync(f, 'utf8')));

// The same suites run twice: against the real PostgreSQL server and against embedded PGlite.
const projects: TestProjectConfiguration[] = (['pg', 'pglite'] as const).flatMap((db) => [
  {
    extends: true,
    test: {
      name: db,
      include: ['tests/**/*.test.ts'],
      exclude: mocking,
      isolate: false,
      env: { TEST_DB: db },
    },
  },
  {
    extends: true,
    test: { name: `${db}-isolated`, include: mocking, isolate: true, env: { TEST_DB: db } },
  },
]);

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Scans the logs of every in-process app of the run for secrets when the run ends.
    globalSetup: ['tests/helpers/log-scan.global.ts'],
    projects,
  },
});
