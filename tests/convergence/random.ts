/**
 * Seeded randomness for the convergence test: one seed (printed at the start and in every assertion)
 * decides the rooms, the members, each client's actions and the fault schedule, so a failing run can
 * be replayed with `CONVERGENCE_SEED=<seed>`. Timing between processes is not replayable, the choices
 * are.
 */

/** mulberry32: a tiny, fast 32-bit PRNG; good enough to drive a test, not for anything secret. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  private readonly next: () => number;

  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next();
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick of an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** One key of `weights`, each with probability proportional to its weight. */
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let roll = this.next() * total;
    for (const [key, w] of entries) {
      roll -= w;
      if (roll < 0) return key;
    }
    return entries.at(-1)![0];
  }

  /** An independent stream for a sub-task (a client, the fault schedule), stable for a given salt. */
  fork(salt: number): Rng {
    return new Rng((Math.imul(this.seed ^ 0x9e3779b9, 0x85ebca6b) + salt * 0xc2b2ae35) >>> 0);
  }

  /** A short random token (for content and clientIds that must differ between runs of one seed). */
  token(length = 6): string {
    let s = '';
    for (let i = 0; i < length; i += 1)
      s += 'abcdefghijklmnopqrstuvwxyz0123456789'[this.int(0, 35)];
    return s;
  }
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
}

/** CONVERGENCE_SEED (default: random) and CONVERGENCE_ACTIONS (default: a short run for CI). */
export function settingsFromEnv(env = process.env): { seed: number; actions: number } {
  return {
    seed: positiveInt(
      'CONVERGENCE_SEED',
      env.CONVERGENCE_SEED,
      Math.floor(Math.random() * 2 ** 32),
    ),
    actions: positiveInt('CONVERGENCE_ACTIONS', env.CONVERGENCE_ACTIONS, 300),
  };
}
