import { ipKeyGenerator } from 'express-rate-limit';
import type { Config } from '../config/config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  createMemoryLimitStore,
  type SocketLimitStore,
  type SocketSlot,
} from './socket-limit-store.js';

export type { SocketSlot };

const HANDSHAKE_WINDOW_MS = 60_000;

/** RATE_LIMITED, with the seconds to wait when they are known (a window's reset). */
const limited = (message: string, retryAfterMs?: number) =>
  new AppError(
    'RATE_LIMITED',
    message,
    undefined,
    retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(retryAfterMs / 1000)),
  );

/**
 * The socket limits: SOCKET_HANDSHAKE_LIMIT handshakes per address per minute, SOCKET_MAX_PER_USER
 * and SOCKET_MAX_PER_IP open sockets, SOCKET_MESSAGE_LIMIT `send-message` per user per window, all
 * counted across nodes when the store is Redis. While Redis fails, this node counts on its own (in
 * memory) rather than refuse everyone or let everything through.
 */
export function createSocketLimits(
  config: Pick<
    Config,
    | 'SOCKET_HANDSHAKE_LIMIT'
    | 'SOCKET_MAX_PER_USER'
    | 'SOCKET_MAX_PER_IP'
    | 'SOCKET_MESSAGE_LIMIT'
    | 'SOCKET_MESSAGE_WINDOW_MS'
    | 'PRESENCE_TTL_MS'
  >,
  log: Logger,
  shared?: SocketLimitStore,
) {
  const local = createMemoryLimitStore(config.PRESENCE_TTL_MS);
  let reportedAt = 0;
  /** The shared store's answer, or this node's own while the shared one fails (reported every 30 s). */
  async function use<T>(run: (store: SocketLimitStore) => Promise<T>): Promise<T> {
    if (!shared) return run(local);
    try {
      return await run(shared);
    } catch (err) {
      if (Date.now() - reportedAt > 30_000) {
        reportedAt = Date.now();
        log.warn(
          { err: err instanceof Error ? err.message : err },
          'socket limits: shared store failed, counting on this node meanwhile',
        );
      }
      return run(local);
    }
  }

  return {
    /** The key of a client address: an IPv6 address stands for its /56, as for the REST limits. */
    addressKey: (ip: string) => ipKeyGenerator(ip),

    /** Counts a handshake from the address; throws RATE_LIMITED past SOCKET_HANDSHAKE_LIMIT a minute. */
    async handshake(ip: string): Promise<void> {
      const { count, resetMs } = await use((s) => s.hit(`hs:${ip}`, HANDSHAKE_WINDOW_MS));
      if (count > config.SOCKET_HANDSHAKE_LIMIT)
        throw limited('Too many connection attempts, retry later', resetMs);
    },

    /** Counts the socket as open; throws RATE_LIMITED when its user or address has no room left. */
    async open(slot: SocketSlot): Promise<void> {
      const refused = await use((s) =>
        s.open(slot, config.SOCKET_MAX_PER_USER, config.SOCKET_MAX_PER_IP),
      );
      if (refused === 'user') throw limited('Too many open connections for this user');
      if (refused === 'ip') throw limited('Too many open connections from this address');
    },

    /** Frees the socket's slot (idempotent). */
    close(slot: SocketSlot): void {
      local.close(slot).catch(() => {});
      shared?.close(slot).catch(() => {});
    },

    /** Keeps this node's open sockets counted; called on the presence heartbeat. */
    async heartbeat(slots: SocketSlot[]): Promise<void> {
      await local.heartbeat(slots);
      await shared?.heartbeat(slots);
    },

    /** One `send-message` of the user, on any socket or node; throws RATE_LIMITED past the limit. */
    async takeMessage(userId: string): Promise<void> {
      const { count, resetMs } = await use((s) =>
        s.hit(`msg:${userId}`, config.SOCKET_MESSAGE_WINDOW_MS),
      );
      if (count > config.SOCKET_MESSAGE_LIMIT) {
        const error = limited('Too many messages', resetMs);
        error.message = `Too many messages, retry in ${error.retryAfter} s`;
        throw error;
      }
    },
  };
}

export type SocketLimits = ReturnType<typeof createSocketLimits>;
