import type { Socket } from 'socket.io';
import type { z } from 'zod';
import type { Actor } from '../context.js';
import { AppError, toAppError, unauthorized, validationError } from '../errors.js';
import { zodDetails } from '../http/validate.js';
import { safeError, type Logger } from '../logger.js';
import type { ClientEvent, EventContext, EventLimit } from './event.js';

export interface SocketData {
  actor: Actor;
  /** When the socket's access token expires (ms since the epoch); `reauth` moves it. */
  tokenExpiresAt: number;
  /** When the socket's session expires (ms since the epoch). */
  sessionExpiresAt: number;
}

/** Why a socket was ended: the `reason` of `auth-expired`. */
export type ExpiryReason = 'token-expired' | 'session-expired' | 'session-revoked';

/** When the socket must end, and why: the earlier of its token's and its session's expiry. */
export function socketDeadline(data: Pick<SocketData, 'tokenExpiresAt' | 'sessionExpiresAt'>): {
  at: number;
  reason: ExpiryReason;
} {
  return data.sessionExpiresAt < data.tokenExpiresAt
    ? { at: data.sessionExpiresAt, reason: 'session-expired' }
    : { at: data.tokenExpiresAt, reason: 'token-expired' };
}

/** Socket.io's own default event map: event names are free-form, payloads checked by our schemas. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyEvents = Record<string, (...args: any[]) => void>;

export type ChatSocket = Socket<AnyEvents, AnyEvents, AnyEvents, SocketData>;

export type Ack =
  | { success: true; data: unknown }
  | {
      success: false;
      error: {
        code: string;
        message: string;
        details?: { path?: string; message: string }[];
        /** Seconds to wait, for RATE_LIMITED (REST's `Retry-After`). */
        retryAfter?: number;
      };
    };

/** The ack for an error: the same codes as REST, nothing internal. */
export function errorAck(err: unknown, log: Logger): Ack {
  const appError = toAppError(err);
  if (appError.status >= 500)
    log.error(
      { err: safeError(appError.cause ?? appError), code: appError.code },
      'socket event failed',
    );
  const error: Extract<Ack, { success: false }>['error'] = {
    code: appError.code,
    message: appError.message,
  };
  if (appError.details?.length) error.details = appError.details;
  if (appError.retryAfter !== undefined) error.retryAfter = appError.retryAfter;
  return { success: false, error };
}

/** A rate limit checked before an event's handler; throws RATE_LIMITED when used up. */
export interface EventLimiter {
  take(): void | Promise<void>;
}

/** Counts events per socket in fixed windows; cheap enough to run on every event. */
export class SocketRateLimiter implements EventLimiter {
  private windowStart = 0;
  private count = 0;
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Throws RATE_LIMITED when the socket has used up this window. */
  take(): void {
    const now = Date.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count += 1;
    if (this.count > this.limit) {
      const retryAfter = Math.max(1, Math.ceil((this.windowStart + this.windowMs - now) / 1000));
      throw new AppError(
        'RATE_LIMITED',
        `Too many events, retry in ${retryAfter} s`,
        undefined,
        retryAfter,
      );
    }
  }
}

/** What the one dispatcher of every socket's events needs; nothing in it belongs to one socket. */
export interface DispatchOptions<Svc> {
  services: Svc;
  log: Logger;
  /** Takes one unit of the rate-limit class `limit` for this socket's event; throws RATE_LIMITED. */
  take(socket: ChatSocket, limit: EventLimit): void | Promise<void>;
  /** What the handlers see of the socket. */
  contextOf(socket: ChatSocket): EventContext;
  /** Called with every incoming event's name, declared or not (metrics). */
  count(event: string): void;
}

/** The `onAny` listener of every socket, and the event names it handles (tests walk them). */
export type EventDispatcher = ((this: ChatSocket, name: string, ...args: unknown[]) => void) & {
  readonly handles: readonly string[];
};

/**
 * The declared client → server events, as ONE listener shared by every socket (`socket.onAny`, which
 * calls it with the socket as `this`): no closure or listener per event per socket, which an idle
 * socket would carry for its whole life. Each event is refused once the socket's token or session has
 * expired (the timer that ends the socket may not have fired yet), then counted by its rate limit,
 * then its payload validated with its schema; the handler's result (or error) is sent back through
 * the acknowledgement callback as `{ success, data | error }`. Undeclared events are only counted.
 */
export function eventDispatcher<Svc>(
  events: readonly ClientEvent<Svc>[],
  options: DispatchOptions<Svc>,
): EventDispatcher {
  const { services, log, take, contextOf, count } = options;
  const byName = new Map(events.map((e) => [e.name, e]));

  async function handle(
    socket: ChatSocket,
    event: ClientEvent<Svc>,
    args: unknown[],
  ): Promise<void> {
    const last = args.at(-1);
    const ack = typeof last === 'function' ? (last as (a: Ack) => void) : undefined;
    const payload = args.length > (ack ? 1 : 0) ? args[0] : undefined;
    let reply: Ack;
    try {
      const deadline = socketDeadline(socket.data);
      if (Date.now() >= deadline.at)
        throw unauthorized(
          deadline.reason === 'token-expired' ? 'Access token expired' : 'Session expired',
        );
      await take(socket, event.limit);
      const parsed = (event.payload as z.ZodType).safeParse(payload);
      if (!parsed.success)
        throw validationError(`Invalid ${event.name} payload`, zodDetails(parsed.error));
      reply = {
        success: true,
        data: (await event.handler(parsed.data, contextOf(socket), services)) ?? null,
      };
    } catch (err) {
      reply = errorAck(err, log);
    }
    ack?.(reply);
  }

  function dispatch(this: ChatSocket, name: string, ...args: unknown[]): void {
    const event = byName.get(name);
    count(event ? name : 'other');
    if (event) void handle(this, event, args);
  }
  return Object.assign(dispatch, { handles: [...byName.keys()] });
}
