import type { Redis } from 'ioredis';

/** Who is typing where; entries expire by themselves so a vanished client never types forever. */
export interface TypingStore {
  /** Marks the user typing; true when they were not typing in this room before. */
  start(roomId: string, userId: string, ttlMs: number): Promise<boolean>;
  /** Clears the mark; true when the user was typing. */
  stop(roomId: string, userId: string): Promise<boolean>;
}

export function createMemoryTyping(): TypingStore {
  const until = new Map<string, number>();
  const key = (roomId: string, userId: string) => `${roomId}:${userId}`;
  return {
    async start(roomId, userId, ttlMs) {
      const k = key(roomId, userId);
      const wasTyping = (until.get(k) ?? 0) > Date.now();
      until.set(k, Date.now() + ttlMs);
      return !wasTyping;
    },
    async stop(roomId, userId) {
      const k = key(roomId, userId);
      const wasTyping = (until.get(k) ?? 0) > Date.now();
      until.delete(k);
      return wasTyping;
    },
  };
}

export function createRedisTyping(redis: Redis, prefix: string): TypingStore {
  const key = (roomId: string, userId: string) => `${prefix}typing:${roomId}:${userId}`;
  return {
    async start(roomId, userId, ttlMs) {
      const previous = await redis.set(key(roomId, userId), '1', 'PX', ttlMs, 'GET');
      return previous === null;
    },
    async stop(roomId, userId) {
      return (await redis.del(key(roomId, userId))) > 0;
    },
  };
}
