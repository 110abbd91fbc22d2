import { rateLimit, type Store } from 'express-rate-limit';
import type { Request, RequestHandler } from 'express';
import { rateLimited } from '../errors.js';

/** Makes the store for one limiter; in memory by default, Redis when REDIS_URL is set. */
export type RateLimitStoreFactory = (name: string) => Store | undefined;

export interface LimiterOptions {
  name: string;
  windowMs: number;
  limit: number;
  /** Count only failed requests (status >= 400), as for login attempts. */
  failedOnly?: boolean;
  /** What is counted: the client address by default; e.g. the signed-in user behind requireAuth. */
  key?: (req: Request) => string;
  storeFactory?: RateLimitStoreFactory;
}

/** Store failures (Redis down) are reported once per 30 s, not once per request. */
function storeErrorLogger(name: string) {
  let reportedAt = 0;
  const report = (err: unknown) => {
    if (Date.now() - reportedAt < 30_000) return;
    reportedAt = Date.now();
    console.error(
      `rate limit "${name}": ${err instanceof Error ? err.message : String(err)} (requests pass unlimited meanwhile)`,
    );
  };
  return { error: report, warn: report };
}

/**
 * A limiter (per IP, or per `key`) that answers 429 in the standard error shape, with Retry-After. While its store
 * fails (Redis down) requests pass without a limit rather than fail with 500.
 */
export function createLimiter(options: LimiterOptions): RequestHandler {
  return rateLimit({
    passOnStoreError: true,
    logger: storeErrorLogger(options.name),
    windowMs: options.windowMs,
    limit: options.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skipFailedRequests: false,
    skipSuccessfulRequests: options.failedOnly ?? false,
    store: options.storeFactory?.(options.name),
    ...(options.key ? { keyGenerator: options.key } : {}),
    // X-Forwarded-For is honoured only through TRUST_PROXY; a stray header is not worth a warning.
    validate: { xForwardedForHeader: false },
    handler: (req, _res, next) => {
      const reset = (
        req as typeof req & { rateLimit?: { resetTime?: Date } }
      ).rateLimit?.resetTime?.getTime();
      const retryAfter = reset
        ? Math.max(1, Math.ceil((reset - Date.now()) / 1000))
        : Math.ceil(options.windowMs / 1000);
      next(rateLimited(retryAfter));
    },
  });
}
