import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { SUITE_LOG_ROOT, findLogLeaks, readLogLines } from './log-capture.js';

/**
 * The log scan of the whole run (vitest globalSetup, once per project): the project's tests log into
 * a folder of this run (so runs side by side do not mix), and once every test file has finished,
 * every line that any in-process app logged is searched for secrets (see LOG_LEAKS). A leak fails the
 * run and the folder is kept for inspection; a clean one is deleted.
 */
export default function setup(project: TestProject): () => void {
  // The root project holds no tests of its own: only the pg and pglite projects log.
  if (!project.name) return () => {};
  const dir = join(SUITE_LOG_ROOT, `${project.name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  project.provide('suiteLogDir', dir);
  return () => {
    const lines = readLogLines(dir);
    const leaks = findLogLeaks(lines);
    if (leaks.length > 0) {
      // Vitest reports an error thrown here but still exits 0: set the exit code as well.
      process.exitCode = 1;
      throw new Error(
        `log scan (${project.name}): ${leaks.length} of ${lines.length} log lines leak data:\n` +
          leaks.slice(0, 20).join('\n'),
      );
    }
    process.stdout.write(`log scan (${project.name}): ${lines.length} log lines, no secrets\n`);
    rmSync(dir, { recursive: true, force: true });
  };
}
