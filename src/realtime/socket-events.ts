import type { Socket } from 'socket.io';
import type { z } from 'zod';
import type { Actor } from '../context.js';
import { AppError, toAppError, validationError } from '../errors.js';
import { zodDetails } from '../http/validate.js';
import type { Logger } from '../logger.js';

export interface SocketData {
  actor: Actor;
}

/** Socket.io's own default event map: event names are free-form, payloads checked by our schemas. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyEvents = Record<string, (...args: any[]) => void>;

export type ChatSocket = Socket<AnyEvents, AnyEvents, AnyEvents, SocketData>;

export type Ack =
  | { success: true; data: unknown }
  | {
      success: false;
      error: { code: string; message: string; details?: { path?: string; message: string }[] };
    };

/** The ack for an error: the same codes as REST, nothing internal. */
export function errorAck(err: unknown, log: Logger): Ack {
  const appError = toAppError(err);
  if (appError.status >= 500)
    log.error({ err: appError.cause ?? appError, code: appError.code }, 'socket event failed');
  const error: Extract<Ack, { success: false }>['error'] = {
    code: appError.code,
    message: appError.message,
  };
  if (appError.details?.length) error.details = appError.details;
  return { success: false, error };
}

/** Counts events per socket in fixed windows; cheap enough to run on every event. */
export class SocketRateLimiter {
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

/**
 * Registers a client → server event: payload validated with its schema, the handler's result (or error)
 * sent back through the acknowledgement callback as `{ success, data | error }`.
 */
export function onEvent<S extends z.ZodType>(
  socket: ChatSocket,
  log: Logger,
  event: string,
  schema: S,
  handler: (input: z.output<S>) => Promise<unknown>,
  limiters: SocketRateLimiter[] = [],
): void {
  socket.on(event, async (...args: unknown[]) => {
    const last = args.at(-1);
    const ack = typeof last === 'function' ? (last as (a: Ack) => void) : undefined;
    const payload = args.length > (ack ? 1 : 0) ? args[0] : undefined;
    let reply: Ack;
    try {
      for (const limiter of limiters) limiter.take();
      const parsed = schema.safeParse(payload);
      if (!parsed.success)
        throw validationError(`Invalid ${event} payload`, zodDetails(parsed.error));
      reply = { success: true, data: (await handler(parsed.data)) ?? null };
    } catch (err) {
      reply = errorAck(err, log);
    }
    ack?.(reply);
  });
}
