/** The error catalogue of SPEC.md: every code the API and the socket acks can answer with. */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorDetail {
  path?: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    /** Seconds a client should wait, for RATE_LIMITED. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }
}

export const validationError = (message: string, details?: ErrorDetail[]) =>
  new AppError('VALIDATION_ERROR', message, details);
export const unauthorized = (message = 'Authentication required') =>
  new AppError('UNAUTHORIZED', message);
export const forbidden = (message = 'You are not allowed to do this') =>
  new AppError('FORBIDDEN', message);
export const notFound = (what = 'Resource') => new AppError('NOT_FOUND', `${what} not found`);
export const conflict = (message: string) => new AppError('CONFLICT', message);
export const rateLimited = (retryAfter: number) =>
  new AppError('RATE_LIMITED', 'Too many requests, please try again later', undefined, retryAfter);
export const serviceUnavailable = (message = 'A dependency is unavailable, please retry') =>
  new AppError('SERVICE_UNAVAILABLE', message);

/** Connection-level failures of PostgreSQL or the network: the database is down, not the request bad. */
const UNAVAILABLE_SYSCALL_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
const UNAVAILABLE_PG_CLASSES = ['08', '53', '57P']; // connection, resources, operator intervention
/** node-postgres and PGlite saying the database connection is gone. */
const DATABASE_GONE =
  /Connection terminated|connection timeout|Client has encountered a connection error|PGlite is closed|Cannot use a pool after calling end/i;
/**
 * ioredis saying Redis is gone: with the offline queue off (src/realtime/redis.ts) a command fails at
 * once with "Stream isn't writeable", or with one of the others when the connection drops under it.
 * Presence and typing read Redis: while it is down they answer 503, never 500.
 */
const REDIS_GONE =
  /Stream isn't writeable|Connection is closed|MaxRetriesPerRequest|Reached the max retries/i;

/** The PostgreSQL (or socket) error code along the `cause` chain. */
export function pgCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; cause?: unknown };
  if (typeof e.code === 'string') return e.code;
  return e.cause ? pgCode(e.cause) : undefined;
}

/** Every message along the `cause` chain: drizzle wraps driver errors ("Failed query: …"). */
function messagesOf(err: unknown, depth = 0): string {
  if (depth > 5 || err === undefined || err === null) return '';
  const own = err instanceof Error ? err.message : String(err);
  const cause = typeof err === 'object' ? (err as { cause?: unknown }).cause : undefined;
  return `${own}\n${messagesOf(cause, depth + 1)}`;
}

/**
 * Turns anything thrown into an AppError, so the HTTP mapper and the socket ack helper answer alike.
 * Unknown errors become INTERNAL_ERROR; the original is kept as `cause` for logging only.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const code = pgCode(err);
  if (code === '23505') return conflict('Already exists');
  // A deadlock victim or serialization failure that was not retried (or kept failing): try again.
  if (code === '40P01' || code === '40001') {
    const e = new AppError(
      'SERVICE_UNAVAILABLE',
      'Conflicting changes, please retry',
      undefined,
      1,
    );
    e.cause = err;
    return e;
  }
  if (code === '23503') return notFound('Referenced resource');
  // Class 22 is "data exception": a value the client sent (a crafted cursor, an out-of-range number,
  // an impossible date) that PostgreSQL cannot take. The request is bad, not the server.
  if (code?.startsWith('22')) {
    return validationError('Invalid value');
  }
  const messages = messagesOf(err);
  if (REDIS_GONE.test(messages)) {
    const e = serviceUnavailable();
    e.cause = err;
    return e;
  }
  if (
    (code &&
      (UNAVAILABLE_SYSCALL_CODES.has(code) ||
        UNAVAILABLE_PG_CLASSES.some((c) => code.startsWith(c)))) ||
    DATABASE_GONE.test(messages)
  ) {
    const e = serviceUnavailable('Database unavailable, please retry');
    e.cause = err;
    return e;
  }
  const e = new AppError('INTERNAL_ERROR', 'Something went wrong');
  e.cause = err;
  return e;
}

export interface ErrorBody {
  success: false;
  error: { code: ErrorCode; message: string; details?: ErrorDetail[]; stack?: string };
}

export function errorBody(err: AppError, includeStack = false): ErrorBody {
  const body: ErrorBody = { success: false, error: { code: err.code, message: err.message } };
  if (err.details?.length) body.error.details = err.details;
  if (includeStack) {
    const original = err.cause instanceof Error ? err.cause : err;
    body.error.stack = original.stack;
  }
  return body;
}
