import type { Actor } from '../../context.js';

/**
 * How revocations reach every node: the realtime layer's room bus implements it over its one Redis
 * channel (app.ts wires it). Without Redis there is one node, and `publish` has no one else to tell.
 */
export interface RevocationChannel {
  /** Tells every other node that this session was revoked. */
  publish(sessionId: string): void;
  /** Runs `listener` for each session another node revoked. */
  onRevoked(listener: (sessionId: string) => void): void;
  /** Runs `listener` each time the channel comes back after a break (revocations may have been lost). */
  onReconnect(listener: () => void): void;
  /** False while revocations from other nodes may be missed (the Redis subscriber is down). */
  healthy(): boolean;
}

interface Entry {
  actor: Actor;
  sessionExpiresAt: Date;
  cachedAt: number;
}

/**
 * Live sessions this node has checked recently, so that a request's session check is a map lookup
 * instead of a query. It only saves work and never grants what the database would refuse:
 * - a revocation on this node removes the entry before the revoking request answers; one on another
 *   node arrives over the revocation channel (Redis), within a round trip;
 * - while the channel is not healthy the cache is neither read nor filled, and when it comes back it
 *   is emptied (revocations sent meanwhile were lost);
 * - an entry filled from a read that started before a revocation arrived is not stored (`generation`);
 * - the session's own expiry is checked on every hit, and an entry is re-read from the database after
 *   `maxAgeMs` at the latest, a bound for a connection that died without the node noticing.
 * tests/auth/session-cache.test.ts checks it answers as the database does, on one node and on two.
 */
export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  /** Moves on every invalidation: a fill that began before it is dropped. */
  generation = 0;

  constructor(
    private readonly channel: RevocationChannel | undefined,
    private readonly options: { maxAgeMs: number; maxEntries: number },
  ) {
    channel?.onRevoked((sessionId) => this.invalidate(sessionId));
    channel?.onReconnect(() => this.clear());
  }

  /** Whether the cache may be used now. */
  usable(): boolean {
    return this.options.maxAgeMs > 0 && (this.channel?.healthy() ?? true);
  }

  /** The cached live session of this user, or undefined (not cached, stale, or expired). */
  get(sessionId: string, userId: string): Entry | undefined {
    if (!this.usable()) return undefined;
    const entry = this.entries.get(sessionId);
    if (!entry) return undefined;
    const now = Date.now();
    if (
      entry.actor.userId !== userId ||
      entry.sessionExpiresAt.getTime() <= now ||
      now - entry.cachedAt >= this.options.maxAgeMs
    ) {
      this.entries.delete(sessionId);
      return undefined;
    }
    return entry;
  }

  /** Stores what a database read found, unless an invalidation arrived since the read began. */
  fill(generationAtRead: number, actor: Actor, sessionExpiresAt: Date): void {
    if (generationAtRead !== this.generation || !this.usable()) return;
    if (this.entries.size >= this.options.maxEntries) {
      // The oldest entry goes (a Map iterates in insertion order).
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(actor.sessionId, { actor, sessionExpiresAt, cachedAt: Date.now() });
  }

  /** This session is no longer live (revoked here or on another node). */
  invalidate(sessionId: string): void {
    this.generation += 1;
    this.entries.delete(sessionId);
  }

  /** Forgets everything (revocations may have been missed). */
  clear(): void {
    this.generation += 1;
    this.entries.clear();
  }
}
