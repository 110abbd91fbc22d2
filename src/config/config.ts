import { isIP } from 'node:net';
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { loadOrCreateSecret } from './secret.js';
import { isVapidPair, loadOrCreateVapidKeys } from './vapid.js';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** A blank variable counts as unset, so `PORT=` falls back to the default rather than to 0. */
const blankAsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const intFrom = (def: number, min = 0) =>
  z.preprocess(blankAsUnset, z.coerce.number().int().min(min).default(def));

const booleanish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', ''])
  .default('false')
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const duration = (def: string) =>
  z
    .string()
    .default(def)
    .refine((v) => parseDuration(v) !== null, {
      message: 'use a number of seconds or 30s, 15m, 12h, 7d',
    })
    .transform((v) => parseDuration(v) as number);

/** Express's names for address ranges, usable in TRUST_PROXY's list. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, a subnet (`10.0.0.0/8`, `fd00::/8`) or one of Express's range names. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY: off, a hop count, or a comma list of proxy addresses/subnets. "Trust everything"
 * (`true`, `*`) is refused: with it the left-most X-Forwarded-For entry, which the client writes,
 * would be taken as the client's address, and rate limits would key on whatever the attacker sends.
 */
const trustProxy = z
  .string()
  .default('off')
  .transform((v, ctx): false | number | string[] => {
    const s = v.trim().toLowerCase();
    if (s === '' || s === 'off' || s === 'false' || s === '0') return false;
    if (s === 'true' || s === 'on' || s === 'yes' || s === '*' || s === 'all') {
      ctx.addIssue({
        code: 'custom',
        message:
          "trusting every proxy lets clients choose their own address: give the number of proxy hops (1 behind one nginx) or the proxies' addresses",
      });
      return z.NEVER;
    }
    if (/^\d+$/.test(s)) return Number(s);
    const list = s
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    const bad = list.filter((e) => !isProxyAddress(e));
    if (bad.length > 0 || list.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `not a hop count or a list of proxy addresses/subnets (${bad.join(', ') || 'empty'})`,
      });
      return z.NEVER;
    }
    return list;
  });

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: intFrom(5000).pipe(z.number().max(65535)),
    /** Default: 127.0.0.1 outside production (a development server stays off the network), else 0.0.0.0. */
    HOST: optionalString,
    /** Base URL clients reach this server at, for file and avatar URLs (default http://localhost:PORT). */
    PUBLIC_URL: optionalString.pipe(
      z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    ),
    DATABASE_URL: optionalString.pipe(
      z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional(),
    ),
    DATABASE_POOL_MAX: intFrom(20, 1),
    DATA_DIR: z.string().default('./data'),
    REDIS_URL: optionalString.pipe(
      z.url({ protocol: /^rediss?$/, error: 'must be a redis:// URL' }).optional(),
    ),
    JWT_SECRET: optionalString,
    JWT_EXPIRES_IN: duration('15m'),
    REFRESH_TOKEN_EXPIRES_IN: duration('30d'),
    FRONTEND_URL: z
      .string()
      .default('http://localhost:5000,http://localhost:5173,http://localhost:3000'),
    STORAGE_DRIVER: z.enum(['local', 'cloudinary', 's3']).default('local'),
    CLOUDINARY_CLOUD_NAME: optionalString,
    CLOUDINARY_API_KEY: optionalString,
    CLOUDINARY_API_SECRET: optionalString,
    CLOUDINARY_API_URL: optionalString,
    S3_BUCKET: optionalString,
    S3_REGION: z.string().default('us-east-1'),
    S3_ENDPOINT: optionalString,
    S3_ACCESS_KEY_ID: optionalString,
    S3_SECRET_ACCESS_KEY: optionalString,
    S3_FORCE_PATH_STYLE: booleanish,
    /** Where public objects (avatars) load from, e.g. a CDN; default: the bucket's own URL. */
    S3_PUBLIC_URL: optionalString.pipe(
      z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    ),
    UPLOAD_DIR: z.string().default('./uploads'),
    FILE_URL_TTL_SEC: intFrom(3600, 60),
    MAX_UPLOAD_MB: z.preprocess(blankAsUnset, z.coerce.number().positive().max(1024).default(10)),
    CLAMAV_HOST: optionalString,
    CLAMAV_PORT: intFrom(3310, 1),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    JSON_BODY_LIMIT: z.string().default('100kb'),
    RATE_LIMIT_WINDOW_MS: intFrom(900_000, 1),
    RATE_LIMIT_MAX: intFrom(100, 1),
    AUTH_RATE_LIMIT_MAX: intFrom(5, 1),
    /** `send-message` attempts per user (all their sockets, on every node) per window. */
    SOCKET_MESSAGE_LIMIT: intFrom(10, 1),
    SOCKET_MESSAGE_WINDOW_MS: intFrom(10_000, 1),
    /** Every other client → server event (typing, read, sync…) per socket per window. */
    SOCKET_EVENT_LIMIT: intFrom(60, 1),
    SOCKET_MAX_PAYLOAD_BYTES: intFrom(100_000, 1024),
    /** Open sockets of one user, and from one client address, across all nodes. */
    SOCKET_MAX_PER_USER: intFrom(20, 1),
    SOCKET_MAX_PER_IP: intFrom(100, 1),
    /** Socket.io handshakes per client address per minute, across all nodes. */
    SOCKET_HANDSHAKE_LIMIT: intFrom(60, 1),
    PRESENCE_GRACE_MS: intFrom(3000, 0),
    /** How long a node holds a room's event waiting for an earlier revision that has not arrived. */
    ROOM_EVENT_GAP_MS: intFrom(500, 10),
    PRESENCE_TTL_MS: intFrom(30_000, 1000),
    TYPING_TIMEOUT_MS: intFrom(5000, 100),
    REDIS_PREFIX: z.string().default('chat:'),
    TRUST_PROXY: trustProxy,
    METRICS_TOKEN: optionalString,
    SHUTDOWN_TIMEOUT_MS: intFrom(10_000, 0),
    /** How often dead sessions and expired refresh tokens are deleted (at start, then each period); 0: never. */
    CLEANUP_INTERVAL_MS: intFrom(3_600_000, 0),
    SESSION_CACHE_MS: intFrom(30_000, 0),
    /** Web Push (VAPID, RFC 8292): both keys base64url; unset, a pair is generated into DATA_DIR. */
    VAPID_PUBLIC_KEY: optionalString,
    VAPID_PRIVATE_KEY: optionalString,
    VAPID_SUBJECT: z
      .string()
      .regex(/^(mailto:|https:\/\/)/, 'must be a mailto: or https: URL')
      .default('mailto:admin@localhost'),
    /** Lets push endpoints be http: and private addresses (development and tests only). */
    PUSH_ALLOW_PRIVATE_ENDPOINTS: booleanish,
    /** Whether this node runs queued jobs (push); `false`: it only queues them, other nodes run them. */
    JOBS_WORKER: z
      .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', ''])
      .default('true')
      .transform((v) => v === '' || ['true', '1', 'yes', 'on'].includes(v)),
    /** The durable job queue: how often a node looks for due jobs, how long a claimed job is its own. */
    JOBS_POLL_MS: intFrom(1000, 10),
    JOBS_LOCK_MS: intFrom(60_000, 100),
    /** The first retry's delay; each next one doubles (to 10 min), times a jitter of 0.5–1.5. */
    JOBS_RETRY_BASE_MS: intFrom(5000, 1),
    /** A push is retried (with backoff) for this long after it was queued, then given up. */
    PUSH_RETRY_FOR_MS: intFrom(5_400_000, 1000),
    PUSH_TIMEOUT_MS: intFrom(10_000, 100),
    /** Messages older than this many days are deleted (SPEC "Retention"); unset: kept forever. */
    MESSAGE_RETENTION_DAYS: z.preprocess(
      blankAsUnset,
      z.coerce.number().int().min(1).max(36_500).optional(),
    ),
    /** The retention job's period: one run per period, whichever node queues it; 0: this node queues none. */
    RETENTION_INTERVAL_MS: intFrom(3_600_000, 0).refine((v) => v === 0 || v >= 1000, {
      message: 'must be 0 (this node queues no retention run) or at least 1000',
    }),
    /** `GET /api/users/me/export` per user per RATE_LIMIT_WINDOW_MS (it reads everything I wrote). */
    EXPORT_RATE_LIMIT_MAX: intFrom(5, 1),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production') {
      if (!env.JWT_SECRET) {
        ctx.addIssue({
          code: 'custom',
          path: ['JWT_SECRET'],
          message: 'is required in production',
        });
      } else if (env.JWT_SECRET.length < 32) {
        ctx.addIssue({
          code: 'custom',
          path: ['JWT_SECRET'],
          message: 'must be at least 32 characters in production',
        });
      }
    }
    if (env.STORAGE_DRIVER === 'cloudinary') {
      for (const key of [
        'CLOUDINARY_CLOUD_NAME',
        'CLOUDINARY_API_KEY',
        'CLOUDINARY_API_SECRET',
      ] as const) {
        if (!env[key])
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'is required when STORAGE_DRIVER=cloudinary',
          });
      }
    }
    if (env.STORAGE_DRIVER === 's3' && !env.S3_BUCKET) {
      ctx.addIssue({
        code: 'custom',
        path: ['S3_BUCKET'],
        message: 'is required when STORAGE_DRIVER=s3',
      });
    }
  });

export type Env = z.infer<typeof envSchema>;

export interface Config extends Omit<
  Env,
  'JWT_SECRET' | 'FRONTEND_URL' | 'PUBLIC_URL' | 'HOST' | 'VAPID_PUBLIC_KEY' | 'VAPID_PRIVATE_KEY'
> {
  JWT_SECRET: string;
  VAPID_PUBLIC_KEY: string;
  VAPID_PRIVATE_KEY: string;
  /** Set when the VAPID keys were not given: the file in DATA_DIR they were read from. */
  vapidKeysFile?: { path: string; created: boolean };
  HOST: string;
  /**
   * Set when JWT_SECRET was not given (outside production): the file in DATA_DIR the secret was read
   * from, and whether this start generated it.
   */
  jwtSecretFile?: { path: string; created: boolean };
  corsOrigins: string[];
  maxUploadBytes: number;
  publicUrl: string;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** JWT_SECRET, or outside production the secret generated at the first start and kept in DATA_DIR. */
function jwtSecret(env: Env): Pick<Config, 'JWT_SECRET' | 'jwtSecretFile'> {
  if (env.JWT_SECRET) return { JWT_SECRET: env.JWT_SECRET };
  try {
    const stored = loadOrCreateSecret(env.DATA_DIR);
    return {
      JWT_SECRET: stored.secret,
      jwtSecretFile: { path: stored.path, created: stored.created },
    };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError([
      `JWT_SECRET: not set, and no secret can be kept in DATA_DIR (${env.DATA_DIR}): ${reason}`,
    ]);
  }
}

/** VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY, or the pair generated at the first start in DATA_DIR. */
function vapidKeys(
  env: Env,
): Pick<Config, 'VAPID_PUBLIC_KEY' | 'VAPID_PRIVATE_KEY' | 'vapidKeysFile'> {
  if (env.VAPID_PUBLIC_KEY && env.VAPID_PRIVATE_KEY) {
    const keys = { publicKey: env.VAPID_PUBLIC_KEY, privateKey: env.VAPID_PRIVATE_KEY };
    if (!isVapidPair(keys))
      throw new ConfigError([
        'VAPID_PRIVATE_KEY: not the private key of VAPID_PUBLIC_KEY (both base64url, P-256)',
      ]);
    return { VAPID_PUBLIC_KEY: keys.publicKey, VAPID_PRIVATE_KEY: keys.privateKey };
  }
  if (env.VAPID_PUBLIC_KEY || env.VAPID_PRIVATE_KEY)
    throw new ConfigError(['VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY: set both or neither']);
  try {
    const stored = loadOrCreateVapidKeys(env.DATA_DIR);
    return {
      VAPID_PUBLIC_KEY: stored.publicKey,
      VAPID_PRIVATE_KEY: stored.privateKey,
      vapidKeysFile: { path: stored.path, created: stored.created },
    };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError([
      `VAPID_PUBLIC_KEY: not set, and no key pair can be kept in DATA_DIR (${env.DATA_DIR}): ${reason}`,
    ]);
  }
}

/**
 * Parses and validates the environment once; throws ConfigError naming every bad variable. Without
 * JWT_SECRET (refused in production) it reads, or on the first start generates, DATA_DIR/jwt-secret.
 */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`),
    );
  }
  const env = result.data;
  return {
    ...env,
    ...jwtSecret(env),
    ...vapidKeys(env),
    HOST: env.HOST ?? (env.NODE_ENV === 'production' ? '0.0.0.0' : '127.0.0.1'),
    corsOrigins: env.FRONTEND_URL.split(',')
      .map((o) => o.trim().replace(/\/$/, ''))
      .filter(Boolean),
    maxUploadBytes: Math.round(env.MAX_UPLOAD_MB * 1024 * 1024),
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, ''),
  };
}
