import { pino, type Logger } from 'pino';
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

/** JSON lines in production and tests, pretty in development. */
export function createLogger(config: Pick<Config, 'NODE_ENV' | 'LOG_LEVEL'>): Logger {
  const pretty = config.NODE_ENV === 'development';
  return pino({
    level: config.LOG_LEVEL,
    redact: { paths: REDACT, censor: '[redacted]' },
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true },
          },
        }
      : {}),
  });
}
