import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import { AppError } from '../../errors.js';

/** @node-rs/argon2's Algorithm.Argon2id (an ambient const enum, which isolated modules cannot read). */
const ARGON2ID = 2;

// OWASP's Argon2id baseline (19 MiB, 2 passes). @node-rs/argon2 runs on the libuv pool, off the event loop.
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/**
 * Hashing is CPU-bound: run at most one per spare core, so a login burst cannot take the core the event
 * loop needs (lag stays low for everyone else), and refuse work beyond a bounded queue rather than let
 * latency grow without limit.
 */
const MAX_CONCURRENT = Math.max(1, availableParallelism() - 1);
const MAX_QUEUED = 256;
let running = 0;
const waiting: (() => void)[] = [];

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT) {
    if (waiting.length >= MAX_QUEUED) {
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'Too many sign-ins at once, please retry',
        undefined,
        1,
      );
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    running += 1;
  }
  try {
    return await work();
  } finally {
    // Hand the slot straight to the next waiter, or free it.
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  }
}

export function hashPassword(password: string): Promise<string> {
  return limited(() => hash(password, OPTIONS));
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await limited(() => verify(passwordHash, password));
  } catch (err) {
    if (err instanceof AppError) throw err;
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same work as a real verification when the user does not exist, so the response time of
 * login does not tell whether an account exists.
 */
export async function burnVerification(password: string): Promise<void> {
  dummyHash ??= hashPassword('not-a-real-password-for-timing');
  await verifyPassword(await dummyHash, password);
}
