/** Prints a line: the seed and the summary must show even when the test passes. */
export function print(line: string): void {
  // eslint-disable-next-line no-console
  console.log(line);
}

/**
 * What went wrong during a convergence run (failures: a 5xx other than 503, INTERNAL_ERROR, an answer
 * the contract rules out) and what was merely counted (503s, connection errors, retries, actions).
 */
export class Recorder {
  readonly failures: string[] = [];
  /** SPEC.md "Order": a socket got a room's event with a rev not above one it already got. */
  readonly order: string[] = [];
  readonly counts = new Map<string, number>();
  private readonly once = new Set<string>();

  private readonly startedAt = Date.now();

  constructor(readonly seed: number) {}

  /** Time since the run started, to line failures up with the faults. */
  elapsed(): string {
    return `t+${Date.now() - this.startedAt}ms`;
  }

  fail(what: string): void {
    this.count('failures');
    if (this.failures.length < 100) this.failures.push(`${what} (${this.elapsed()})`);
  }

  /** The same kind of failure (a field missing from every event) is listed once, counted each time. */
  failOnce(key: string, what: string): void {
    if (this.once.has(key)) return this.count('failures');
    this.once.add(key);
    this.fail(what);
  }

  outOfOrder(what: string): void {
    this.count('out of order');
    if (this.order.length < 100) this.order.push(`${what} (${this.elapsed()})`);
  }

  count(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  summary(): string {
    return [...this.counts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  }
}

/**
 * An outcome the contract allows during faults (503 SERVICE_UNAVAILABLE, a refused or dropped
 * connection, a socket that disconnected or did not answer): the action is tried again.
 */
export class Transient extends Error {}
