import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config/config.js';

export type { Logger };

/** Paths never written to a log line: credentials and message bodies. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'password',
  'refreshToken',
  'accessToken',
  'token',
  'content',
  '*.password',
  '*.refreshToken',
  '*.accessToken',
  '*.token',
  '*.content',
];

/** An error as it may be logged: what it is and where, never the data it was working on. */
export interface SafeError {
  type: string;
  message: string;
  /** PostgreSQL's SQLSTATE, or a Node/driver code such as ECONNREFUSED. */
  code?: string;
  severity?: string;
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
  dataType?: string;
  routine?: string;
  stack?: string;
  cause?: SafeError;
}

/**
 * PostgreSQL's error fields that name things (never values). Left out on purpose: `detail` ("Key
 * (email)=(…) already exists"), `where`, `internalQuery`, `hint`, and the `query` and `params` that
 * drizzle and PGlite attach to their errors.
 */
const NAMING_FIELDS = [
  'code',
  'severity',
  'schema',
  'table',
  'column',
  'constraint',
  'dataType',
  'routine',
] as const;

const MAX_MESSAGE = 300;
const MAX_FRAMES = 12;
const MAX_DEPTH = 5;

/** Drizzle's "Failed query: <sql>\nparams: <values>" keeps only its first two words. */
function scrubMessage(message: string): string {
  const failedQuery = message.indexOf('Failed query');
  const kept = failedQuery >= 0 ? `${message.slice(0, failedQuery)}Failed query` : message;
  const oneLine = kept.split('\n')[0] ?? '';
  return oneLine.length > MAX_MESSAGE ? `${oneLine.slice(0, MAX_MESSAGE)}…` : oneLine;
}

/** The stack's frames under a scrubbed first line: the original first lines repeat the message. */
function scrubStack(stack: unknown, header: string): string | undefined {
  if (typeof stack !== 'string') return undefined;
  const frames = stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, MAX_FRAMES);
  return [header, ...frames].join('\n');
}

/**
 * What of an error may be logged: its type, a scrubbed message (one line, no SQL, no parameters),
 * PostgreSQL's naming fields, the stack frames, and the same for each `cause`. Everything else an
 * error carries (drizzle's `query` and `params`, PostgreSQL's `detail`) is dropped, so an email, a
 * password hash or a message body in a failed query never reaches a log. Applying it twice gives the
 * same result, so a pre-scrubbed error can pass through the logger's serializer again.
 */
export function safeError(err: unknown, depth = 0): SafeError | undefined {
  if (err === undefined || err === null) return undefined;
  if (typeof err !== 'object') return { type: typeof err, message: scrubMessage(String(err)) };
  const e = err as Record<string, unknown>;
  const type =
    err instanceof Error
      ? err.name || err.constructor.name
      : typeof e.type === 'string'
        ? e.type
        : 'Object';
  const message = scrubMessage(typeof e.message === 'string' ? e.message : '');
  const out: SafeError = { type, message };
  for (const field of NAMING_FIELDS) {
    const value = e[field];
    if (typeof value === 'string' || typeof value === 'number') out[field] = String(value);
  }
  const stack = scrubStack(e.stack, `${type}: ${message}`);
  if (stack) out.stack = stack;
  if (depth < MAX_DEPTH && e.cause !== undefined && e.cause !== err) {
    const cause = safeError(e.cause, depth + 1);
    if (cause) out.cause = cause;
  }
  return out;
}

/**
 * JSON lines in production and tests, pretty in development. Every `err` field goes through
 * safeError. `destination` overrides stdout (tests collect the lines).
 */
export function createLogger(
  config: Pick<Config, 'NODE_ENV' | 'LOG_LEVEL'>,
  destination?: DestinationStream,
): Logger {
  const pretty = config.NODE_ENV === 'development' && !destination;
  const options = {
    level: config.LOG_LEVEL,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { err: (err: unknown) => safeError(err) },
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true },
          },
        }
      : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}
