import { afterAll, describe, expect, it } from 'vitest';
import { startTestApp } from '../helpers/app.js';
import {
  killRedisClients,
  privateRedisAvailable,
  startPrivateRedis,
  type PrivateRedis,
} from '../helpers/private-services.js';
import { requireOrSkip, skipUnless } from '../helpers/skips.js';
import { sleep } from '../helpers/sockets.js';

/**
 * The Socket.io Redis adapter sends `publish`, `(p)subscribe` and `(p)unsubscribe` without awaiting
 * them. A node that stops while Redis has just cut its subscriber (the adapter's unsubscribes then
 * race the connection's `quit()`), or that publishes while Redis is down, must not meet an unhandled
 * rejection: Node would end the process. A private Redis, since this test cuts its connections.
 */
const skip = skipUnless(requireOrSkip(privateRedisAvailable, 'redis-server'));

describe.skipIf(skip.skip)(skip.title('commands the Redis adapter does not await'), () => {
  let redis: PrivateRedis | undefined;
  const seen: unknown[] = [];
  const onUnhandled = (reason: unknown) => seen.push(reason);
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await redis?.destroy();
  });

  it('a node stopped right after Redis cut its subscriber, and one publishing while Redis is down, leave no unhandled rejection', async () => {
    redis = await startPrivateRedis();
    process.on('unhandledRejection', onUnhandled);
    const env = { REDIS_URL: redis.url, REDIS_PREFIX: 'unawaited:' };
    for (let round = 0; round < 5; round += 1) {
      const node = await startTestApp({ env });
      await killRedisClients(redis.url, 'pubsub');
      await node.stop();
    }
    const node = await startTestApp({ env });
    await redis.kill();
    // A broadcast to every socket publishes through the adapter while Redis is gone.
    node.io.emit('noop', {});
    await sleep(300);
    await node.stop();
    await sleep(100);
    expect(seen.map((r) => (r instanceof Error ? r.message : String(r)))).toEqual([]);
  });
});
