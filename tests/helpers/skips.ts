import { testDbKind, type TestDbKind } from './db.js';

/**
 * Why a test may skip, said in its title. A test that needs a program (nginx, chromium, initdb,
 * redis-server) skips where it is missing; `.ci/run` installs or starts every one of them and sets
 * CI_REQUIRE_TOOLS=1, so there a missing program fails the test file instead of skipping it.
 */

/** Undefined when `tool` is available; otherwise the reason to skip, or (CI_REQUIRE_TOOLS=1) an error. */
export function requireOrSkip(available: boolean, tool: string): string | undefined {
  if (available) return undefined;
  if (process.env.CI_REQUIRE_TOOLS === '1') {
    throw new Error(`${tool} is missing, and CI_REQUIRE_TOOLS=1 (set by .ci/run) requires it`);
  }
  return `${tool} not installed`;
}

/** Undefined in the `kind` project; the reason to skip in the other one. */
export function onlyIn(kind: TestDbKind): string | undefined {
  return testDbKind === kind ? undefined : `runs in the ${kind} project only`;
}

/**
 * Whether to skip (any reason given) and the title that says why, for `describe.skipIf(s.skip)(s.title(...))`.
 * Every reason is worked out before skipping, so a missing tool fails under CI_REQUIRE_TOOLS in
 * either project.
 */
export function skipUnless(...reasons: (string | undefined)[]): {
  skip: boolean;
  title(name: string): string;
} {
  const why = reasons.filter((r): r is string => r !== undefined);
  return {
    skip: why.length > 0,
    title: (name) => (why.length > 0 ? `${name} (skipped: ${why.join('; ')})` : name),
  };
}
