import type { Redis } from 'ioredis';

/** An open socket as the limits count it: under its user and under its client address. */
export interface SocketSlot {
  socketId: string;
  userId: string;
  /** The client address as a rate-limit key (an IPv6 address stands for its /56). */
  ip: string;
}

/**
 * The counters behind the socket limits, shared by every node through Redis when it is set. Open
 * sockets are entries with an expiry that the node holding them refreshes on its heartbeat: closing
 * a socket removes its entry, and the entries of a node that died expire on their own.
 */
export interface SocketLimitStore {
  /** Counts one event under `key` in a fixed window: the count so far, and ms until it resets. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }>;
  /**
   * Counts the socket as open unless its user already has `maxPerUser` open sockets or its
   * address `maxPerIp`: then nothing is counted and the answer says which cap refused it.
   */
  open(slot: SocketSlot, maxPerUser: number, maxPerIp: number): Promise<'user' | 'ip' | null>;
  close(slot: SocketSlot): Promise<void>;
  /** Keeps this node's open sockets counted (and counts again any that a Redis restart lost). */
  heartbeat(slots: SocketSlot[]): Promise<void>;
}

/** Single-process counters. */
export function createMemoryLimitStore(ttlMs: number): SocketLimitStore {
  const windows = new Map<string, { resetAt: number; count: number }>();
  /** `user:<id>` or `ip:<address>` → socket id → expiry. */
  const open = new Map<string, Map<string, number>>();

  const live = (key: string, now: number): number => {
    const sockets = open.get(key);
    if (!sockets) return 0;
    for (const [id, exp] of sockets) if (exp <= now) sockets.delete(id);
    if (sockets.size === 0) open.delete(key);
    return sockets.size;
  };
  const add = (key: string, socketId: string, exp: number) => {
    let sockets = open.get(key);
    if (!sockets) open.set(key, (sockets = new Map()));
    sockets.set(socketId, exp);
  };
  const remove = (key: string, socketId: string) => {
    const sockets = open.get(key);
    sockets?.delete(socketId);
    if (sockets?.size === 0) open.delete(key);
  };

  return {
    async hit(key, windowMs) {
      const now = Date.now();
      let window = windows.get(key);
      if (!window || window.resetAt <= now)
        windows.set(key, (window = { resetAt: now + windowMs, count: 0 }));
      window.count += 1;
      return { count: window.count, resetMs: window.resetAt - now };
    },
    async open(slot, maxPerUser, maxPerIp) {
      const now = Date.now();
      if (live(`user:${slot.userId}`, now) >= maxPerUser) return 'user';
      if (live(`ip:${slot.ip}`, now) >= maxPerIp) return 'ip';
      add(`user:${slot.userId}`, slot.socketId, now + ttlMs);
      add(`ip:${slot.ip}`, slot.socketId, now + ttlMs);
      return null;
    },
    async close(slot) {
      remove(`user:${slot.userId}`, slot.socketId);
      remove(`ip:${slot.ip}`, slot.socketId);
    },
    async heartbeat(slots) {
      const now = Date.now();
      for (const slot of slots) {
        add(`user:${slot.userId}`, slot.socketId, now + ttlMs);
        add(`ip:${slot.ip}`, slot.socketId, now + ttlMs);
      }
      // Forget what has expired, so addresses seen once do not stay in memory.
      for (const key of [...open.keys()]) live(key, now);
      for (const [key, window] of windows) if (window.resetAt <= now) windows.delete(key);
    },
  };
}

// INCR with the window's expiry set by the first hit; PTTL tells when the window resets.
const HIT = `
  local n = redis.call('INCR', KEYS[1])
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  return {n, ttl}`;

// Drops expired entries, then adds the socket under its user and its address if both have room.
const OPEN = `
  local now = tonumber(ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 1 end
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then return 2 end
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
  return 0`;

/**
 * Counters in Redis, shared by every node: a fixed-window counter per key, and per user and per
 * address a sorted set of open socket ids scored by expiry, as presence does.
 */
export function createRedisLimitStore(
  redis: Redis,
  prefix: string,
  ttlMs: number,
): SocketLimitStore {
  const hitKey = (key: string) => `${prefix}sock:hit:${key}`;
  const userKey = (userId: string) => `${prefix}sock:user:${userId}`;
  const ipKey = (ip: string) => `${prefix}sock:ip:${ip}`;
  return {
    async hit(key, windowMs) {
      const [count, resetMs] = (await redis.eval(HIT, 1, hitKey(key), String(windowMs))) as [
        number,
        number,
      ];
      return { count: Number(count), resetMs: Number(resetMs) };
    },
    async open(slot, maxPerUser, maxPerIp) {
      const now = Date.now();
      const refused = await redis.eval(
        OPEN,
        2,
        userKey(slot.userId),
        ipKey(slot.ip),
        String(now),
        String(now + ttlMs),
        slot.socketId,
        String(maxPerUser),
        String(maxPerIp),
        String(ttlMs * 2),
      );
      return Number(refused) === 1 ? 'user' : Number(refused) === 2 ? 'ip' : null;
    },
    async close(slot) {
      await redis
        .multi()
        .zrem(userKey(slot.userId), slot.socketId)
        .zrem(ipKey(slot.ip), slot.socketId)
        .exec();
    },
    async heartbeat(slots) {
      if (slots.length === 0) return;
      const exp = Date.now() + ttlMs;
      const pipeline = redis.pipeline();
      for (const slot of slots) {
        pipeline.zadd(userKey(slot.userId), exp, slot.socketId);
        pipeline.pexpire(userKey(slot.userId), ttlMs * 2);
        pipeline.zadd(ipKey(slot.ip), exp, slot.socketId);
        pipeline.pexpire(ipKey(slot.ip), ttlMs * 2);
      }
      await pipeline.exec();
    },
  };
}
