import { z } from 'zod';
import { parseDuration } from './duration.js';

const DEV_JWT_SECRET = 'development-only-secret-change-me-0123456789';

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

/** TRUST_PROXY takes off, true (trust all), a hop count, or a comma list of addresses/subnets. */
const trustProxy = z
  .string()
  .default('off')
  .transform((v): boolean | number | string => {
    const s = v.trim().toLowerCase();
    if (s === '' || s === 'off' || s === 'false' || s === '0') return false;
    if (s === 'true' || s === 'on') return true;
    if (/^\d+$/.test(s)) return Number(s);
    return v.trim();
  });

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: intFrom(5000).pipe(z.number().max(65535)),
    HOST: z.string().default('0.0.0.0'),
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
    SOCKET_MESSAGE_LIMIT: intFrom(10, 1),
    SOCKET_MESSAGE_WINDOW_MS: intFrom(10_000, 1),
    /** Every other client → server event (typing, read, sync…) per socket per window. */
    SOCKET_EVENT_LIMIT: intFrom(60, 1),
    SOCKET_MAX_PAYLOAD_BYTES: intFrom(100_000, 1024),
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

export interface Config extends Omit<Env, 'JWT_SECRET' | 'FRONTEND_URL' | 'PUBLIC_URL'> {
  JWT_SECRET: string;
  /** True when JWT_SECRET was not set and the built-in development secret is in use. */
  usingDevJwtSecret: boolean;
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

/** Parses and validates the environment once; throws ConfigError naming every bad variable. */
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
    JWT_SECRET: env.JWT_SECRET ?? DEV_JWT_SECRET,
    usingDevJwtSecret: !env.JWT_SECRET,
    corsOrigins: env.FRONTEND_URL.split(',')
      .map((o) => o.trim().replace(/\/$/, ''))
      .filter(Boolean),
    maxUploadBytes: Math.round(env.MAX_UPLOAD_MB * 1024 * 1024),
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, ''),
  };
}
