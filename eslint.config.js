import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { readdirSync } from 'node:fs';

// Modules meet through services (issue 12): a feature's repository is private to its folder, and
// another feature uses its service or its `<feature>.port.ts`. One override per feature folder, so a
// new feature is covered as soon as its folder exists; tests/architecture/boundaries.test.ts checks the
// same rule (and more) on the import graph.
const features = readdirSync(new URL('./src/modules/', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const repoMessage =
  "A feature's repository is private: use that feature's service or its <feature>.port.ts.";
// Features declare their socket events with src/realtime/event.ts and emit through the Broadcaster
// interface; the rest of src/realtime is the layer's own (issue 12). Part of every src/modules
// override below, since a later override of the same rule replaces an earlier one.
const realtimeInternals = {
  regex: '(^|/)realtime/(?!(event|broadcaster)(\\.[jt]s)?$)[^/]+$',
  message:
    'A feature may import only realtime/event.js and realtime/broadcaster.js of src/realtime.',
};
const privateRepos = (feature) => ({
  files: [`src/modules/${feature}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          // A `*.repo` file in a folder not named after this feature: `../users/users.repo.js`.
          { regex: `(^|/)(?!${feature}/)[\\w-]+/[^/]+\\.repo(\\.[jt]s)?$`, message: repoMessage },
          realtimeInternals,
        ],
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'data/',
      'uploads/',
      'drizzle/',
      'bench/results/',
      'public/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  { files: ['bench/**', 'scripts/**'], rules: { 'no-console': 'off' } },
  // The demo client runs in the browser (bundled by client/build.mjs, which itself runs on Node).
  { files: ['client/**/*.ts'], languageOptions: { globals: { ...globals.browser } } },
  // The demo client's service worker.
  { files: ['client/sw.js'], languageOptions: { globals: { ...globals.serviceworker } } },
  ...features.map(privateRepos),
  // src/modules/*.ts (the composition of the features) belongs to no feature: no repository at all.
  {
    files: ['src/modules/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ regex: '\\.repo(\\.[jt]s)?$', message: repoMessage }, realtimeInternals],
        },
      ],
    },
  },
  // The realtime layer knows no feature: app.ts hands it the events, services and hooks it needs.
  {
    files: ['src/realtime/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)modules(/|$)',
              message:
                'src/realtime imports nothing from src/modules: app.ts hands it what it needs.',
            },
          ],
        },
      ],
    },
  },
);
