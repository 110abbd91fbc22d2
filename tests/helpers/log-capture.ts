import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type DestinationStream } from 'pino';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** This run's log folder for the project (log-scan.global.ts). */
    suiteLogDir: string;
  }
}

/**
 * Every in-process app of the suite (startTestApp) logs at `info` into one file per test process
 * under test-artifacts/logs/<project>-<run>/, and tests/helpers/log-scan.global.ts scans them all
 * when the run ends. Set LOG_LEVEL to see the logs on stdout instead (they are not scanned then).
 */
export const SUITE_LOG_ROOT = fileURLToPath(new URL('../../test-artifacts/logs/', import.meta.url));

let suiteDestination: DestinationStream | undefined;

/**
 * This test process's log file in the folder the global setup made for this run (created on first
 * use; synchronous writes, so nothing is lost when the process exits). Outside a vitest run with
 * that setup, the lines are dropped.
 */
export function suiteLogDestination(): DestinationStream {
  if (!suiteDestination) {
    const dir = inject('suiteLogDir');
    suiteDestination = dir
      ? pino.destination({
          dest: join(dir, `${process.pid}.ndjson`),
          mkdir: true,
          append: true,
          sync: true,
        })
      : { write: () => {} };
  }
  return suiteDestination;
}

/** A destination that keeps the lines in memory, for a test that reads its own app's logs. */
export function memoryLogDestination(): DestinationStream & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    write(line: string) {
      lines.push(line);
    },
  };
}

/**
 * What must never be in a log line, whichever test produced it: a password hash, the factories'
 * passwords, an access token, a query string in a request URL (file-URL signatures, search terms),
 * a SQL text with its parameters (drizzle's "Failed query: …\nparams: …", PGlite's `query` and
 * `params` fields) or PostgreSQL's `detail` ("Key (email)=(…) already exists").
 */
export const LOG_LEAKS: [RegExp, string][] = [
  [/\$argon2/, 'an Argon2 password hash'],
  [/correct horse battery|Pw-[\w-]{12}-secret/, "a test user's password"],
  [/eyJ[\w-]{10,}\.eyJ[\w-]{10,}\./, 'an access token'],
  [/"url":"[^"]*\?/, 'a query string in a request URL'],
  [/[?&]sig=/, 'a file-URL signature'],
  [/Failed query:|\\nparams:|"params":|"query":/, 'a SQL query or its parameters'],
  [/"detail":|Key \(/, "PostgreSQL's detail (row values)"],
];

/** Every leak in `lines`, as `what: line` strings (empty when the lines are clean). */
export function findLogLeaks(lines: Iterable<string>, extra: [RegExp, string][] = []): string[] {
  const found: string[] = [];
  for (const line of lines)
    for (const [pattern, what] of [...LOG_LEAKS, ...extra])
      if (pattern.test(line)) found.push(`${what}: ${line.slice(0, 300)}`);
  return found;
}

/** The lines of every log file under `dir` (recursively). */
export function readLogLines(dir: string): string[] {
  const lines: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true }) as string[];
  } catch {
    return lines;
  }
  for (const entry of entries) {
    if (!entry.endsWith('.ndjson')) continue;
    for (const line of readFileSync(join(dir, entry), 'utf8').split('\n'))
      if (line) lines.push(line);
  }
  return lines;
}
