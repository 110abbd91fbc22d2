import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

export interface RedisConnections {
  /** Commands: presence, typing, rate limits. */
  cmd: Redis;
  /** The Socket.io adapter's publisher and subscriber. */
  pub: Redis;
  sub: Redis;
  /** Key and channel prefix, so several deployments (or test runs) can share one Redis. */
  prefix: string;
  close(): Promise<void>;
}

/**
 * Opens the three connections a node needs. Commands fail fast while Redis is down (no unbounded
 * offline queue), and ioredis reconnects by itself when it returns.
 */
export async function connectRedis(
  url: string,
  prefix: string,
  log: Logger,
): Promise<RedisConnections> {
  const make = (role: string) => {
    const client = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      enableOfflineQueue: role === 'sub',
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    let reported = false;
    client.on('error', (err) => {
      if (!reported) log.warn({ err: err.message, role }, 'redis connection error');
      reported = true;
    });
    client.on('ready', () => {
      if (reported) log.info({ role }, 'redis connection restored');
      reported = false;
    });
    // The Socket.io adapter sends some commands without awaiting them: `publish` in every broadcast,
    // and `(p)subscribe`/`(p)unsubscribe` when it starts and closes (a close racing our `quit()`, or a
    // connection that Redis cut). Each would reject unhandled while Redis is down, and an unhandled
    // rejection ends the process: a failure is logged once instead. For a publish, the local emit has
    // happened; other nodes' clients catch up with `sync` (the seq gap shows them).
    const unawaited =
      role === 'pub'
        ? (['publish'] as const)
        : role === 'sub'
          ? (['subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe'] as const)
          : [];
    for (const name of unawaited) {
      const original = (client[name] as (...args: unknown[]) => Promise<unknown>).bind(client);
      (client as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        const result = original(...args);
        result.catch((err: unknown) => {
          if (!reported)
            log.warn(
              { err: err instanceof Error ? err.message : err, role, command: name },
              'redis command failed',
            );
          reported = true;
        });
        return result;
      };
    }
    return client;
  };
  const cmd = make('cmd');
  const pub = make('pub');
  const sub = make('sub');
  await Promise.all([cmd.connect(), pub.connect(), sub.connect()]);
  return {
    cmd,
    pub,
    sub,
    prefix,
    async close() {
      await Promise.allSettled([cmd.quit(), pub.quit(), sub.quit()]);
    },
  };
}
