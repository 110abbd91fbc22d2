import type { Redis } from 'ioredis';
import type { PresenceStore } from './presence-store.js';

/**
 * Presence in Redis. Per user, a sorted set of socket ids scored by expiry time; a node refreshes its
 * sockets on every heartbeat, so the sockets of a node that died expire on their own. One global sorted
 * set lists the users announced online (scored by their latest expiry) for listing and sweeping.
 */
export function createRedisPresence(redis: Redis, prefix: string, ttlMs: number): PresenceStore {
  const userKey = (userId: string) => `${prefix}presence:user:${userId}`;
  const onlineKey = `${prefix}presence:online`;

  // Removes the user from the online set if none of their sockets is alive; returns 1 if it did.
  const SETTLE = `
    local now = tonumber(ARGV[1])
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
    if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
    return redis.call('ZREM', KEYS[2], ARGV[2])`;

  async function settle(userId: string): Promise<boolean> {
    const result = await redis.eval(
      SETTLE,
      2,
      userKey(userId),
      onlineKey,
      String(Date.now()),
      userId,
    );
    return Number(result) === 1;
  }

  return {
    async addSocket(userId, socketId) {
      const now = Date.now();
      const exp = now + ttlMs;
      const results = await redis
        .multi()
        .zadd(userKey(userId), exp, socketId)
        .pexpire(userKey(userId), ttlMs * 2)
        .zadd(onlineKey, 'NX', exp, userId)
        .zadd(onlineKey, 'GT', exp, userId)
        .exec();
      // The NX add tells whether the user was absent from the online set: then this node announces.
      return Number(results?.[2]?.[1] ?? 0) === 1;
    },
    async removeSocket(userId, socketId) {
      await redis.zrem(userKey(userId), socketId);
    },
    async settleOffline(userId) {
      return settle(userId);
    },
    async onlineUserIds() {
      return redis.zrangebyscore(onlineKey, Date.now(), '+inf');
    },
    async isOnline(userId) {
      return (await redis.zcount(userKey(userId), Date.now(), '+inf')) > 0;
    },
    async heartbeat(sockets) {
      if (sockets.length === 0) return;
      const exp = Date.now() + ttlMs;
      const pipeline = redis.pipeline();
      for (const { userId, socketId } of sockets) {
        pipeline.zadd(userKey(userId), exp, socketId);
        pipeline.pexpire(userKey(userId), ttlMs * 2);
        pipeline.zadd(onlineKey, 'GT', exp, userId);
      }
      await pipeline.exec();
    },
    async sweepExpired() {
      const stale = await redis.zrangebyscore(onlineKey, '-inf', Date.now());
      const gone: string[] = [];
      for (const userId of stale) if (await settle(userId)) gone.push(userId);
      return gone;
    },
  };
}
