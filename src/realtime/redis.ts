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
    if (role === 'pub') {
      // The Socket.io adapter publishes without awaiting (`pubClient.publish(...)` in broadcast): while
      // Redis is down each publish rejects, and an unhandled rejection would end the process. The local
      // emit has happened by then; other nodes' clients catch up with `sync` (the seq gap shows them).
      const publish = client.publish.bind(client) as (...args: unknown[]) => Promise<number>;
      (client as unknown as { publish: typeof publish }).publish = (...args) => {
        const result = publish(...args);
        result.catch((err: unknown) => {
          if (!reported)
            log.warn(
              { err: err instanceof Error ? err.message : err, role },
              'redis publish failed',
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
