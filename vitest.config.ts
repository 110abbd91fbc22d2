import { defineConfig } from 'vitest/config';

// The same suites run twice: against the real PostgreSQL server and against embedded PGlite.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
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
