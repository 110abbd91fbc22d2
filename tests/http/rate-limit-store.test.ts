import { afterEach, describe, expect, it } from 'vitest';
import { redisRateLimitStore } from '../../src/app.js';
import type { RedisConnections } from '../../src/realtime/redis.js';
import { sleep } from '../helpers/sockets.js';

/**
 * The Redis rate-limit store loads its scripts when it is built and awaits them only at its first
 * use. A load cut by a Redis outage (a connection killed while SCRIPT LOAD is in flight) must not be an
 * unhandled rejection: Node ends a process on one.
 */
describe('the Redis rate-limit store', () => {
  const seen: unknown[] = [];
  const onUnhandled = (reason: unknown) => seen.push(reason);
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it('leaves no unhandled rejection when Redis drops its script loads', async () => {
    process.on('unhandledRejection', onUnhandled);
    const closed = {
      prefix: 'test:',
      cmd: { call: () => Promise.reject(new Error('Connection is closed.')) },
    } as unknown as RedisConnections;
    const store = redisRateLimitStore(closed)('general')!;
    await sleep(50);
    expect(seen).toEqual([]);
    // At its first use the store tries again (and here fails again): an ordinary, handled error.
    store.init?.({ windowMs: 1000 } as never);
    await expect(store.increment('k')).rejects.toThrow(/Connection is closed/);
  });
});
