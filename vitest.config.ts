import { defineConfig } from 'vitest/config';

// The same suites run twice: against the real PostgreSQL server and against embedded PGlite.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Scans the logs of every in-process app of the run for secrets when the run ends.
    globalSetup: ['tests/helpers/log-scan.global.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'pg', include: ['tests/**/*.test.ts'], env: { TEST_DB: 'pg' } },
      },
      {
        extends: true,
        test: { name: 'pglite', include: ['tests/**/*.test.ts'], env: { TEST_DB: 'pglite' } },
      },
    ],
  },
});
