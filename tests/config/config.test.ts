import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

const SECRET_32 = 'abcdefghijklmnopqrstuvwxyz012345';

/** Runs loadConfig and returns the ConfigError it throws; fails the test when it does not throw. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

/** Asserts that the error names the variable, both in its problem list and in its message. */
function expectNames(err: ConfigError, variable: string): void {
  expect(err.problems.some((p) => p.startsWith(`${variable}:`))).toBe(true);
  expect(err.message).toContain(variable);
}

describe('loadConfig defaults', () => {
  it('an empty environment gives the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 5000,
      NODE_ENV: 'development',
      DATA_DIR: './data',
      JWT_EXPIRES_IN: 15 * 60 * 1000,
      STORAGE_DRIVER: 'local',
      UPLOAD_DIR: './uploads',
      MAX_UPLOAD_MB: 10,
      maxUploadBytes: 10 * 1024 * 1024,
      LOG_LEVEL: 'info',
      RATE_LIMIT_WINDOW_MS: 900_000,
      RATE_LIMIT_MAX: 100,
      AUTH_RATE_LIMIT_MAX: 5,
      SOCKET_MESSAGE_LIMIT: 10,
      TRUST_PROXY: false,
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.METRICS_TOKEN).toBeUndefined();
    expect(config.REFRESH_TOKEN_EXPIRES_IN).toBeGreaterThan(config.JWT_EXPIRES_IN);
  });

  it('without JWT_SECRET in development a built-in secret is used and flagged', () => {
    const config = loadConfig({});
    expect(config.usingDevJwtSecret).toBe(true);
    expect(config.JWT_SECRET.length).toBeGreaterThanOrEqual(32);
  });

  it('reads values from the given source, not from process.env', () => {
    const config = loadConfig({ PORT: '6123', RATE_LIMIT_MAX: '7', AUTH_RATE_LIMIT_MAX: '2' });
    expect(config).toMatchObject({ PORT: 6123, RATE_LIMIT_MAX: 7, AUTH_RATE_LIMIT_MAX: 2 });
  });

  it('FRONTEND_URL is split on commas, trimmed, without trailing slashes', () => {
    const config = loadConfig({ FRONTEND_URL: 'http://a.example/, https://b.example ,,' });
    expect(config.corsOrigins).toEqual(['http://a.example', 'https://b.example']);
  });

  it('MAX_UPLOAD_MB sets the byte limit', () => {
    expect(loadConfig({ MAX_UPLOAD_MB: '2' }).maxUploadBytes).toBe(2 * 1024 * 1024);
  });
});

describe('PORT', () => {
  it.each(['abc', '-1', '70000', '80.5'])(
    "'%s' is refused with a ConfigError naming PORT",
    (port) => {
      expectNames(configError({ PORT: port }), 'PORT');
    },
  );

  // `PORT=` in a .env must not coerce to 0 (a random port).
  it('an empty PORT falls back to 5000 or is refused, never port 0', () => {
    let port: number | undefined;
    try {
      port = loadConfig({ PORT: '' }).PORT;
    } catch (err) {
      expectNames(err as ConfigError, 'PORT');
      return;
    }
    expect(port).toBe(5000);
  });

  it('a valid port is read as a number', () => {
    expect(loadConfig({ PORT: '8080' }).PORT).toBe(8080);
  });
});

describe('JWT_SECRET in production', () => {
  it('a missing secret is refused naming JWT_SECRET', () => {
    expectNames(configError({ NODE_ENV: 'production' }), 'JWT_SECRET');
  });

  it('a blank secret is refused naming JWT_SECRET', () => {
    expectNames(configError({ NODE_ENV: 'production', JWT_SECRET: '   ' }), 'JWT_SECRET');
  });

  it('a 31-character secret is refused naming JWT_SECRET', () => {
    const err = configError({ NODE_ENV: 'production', JWT_SECRET: SECRET_32.slice(0, 31) });
    expectNames(err, 'JWT_SECRET');
  });

  it('a 32-character secret is accepted and used', () => {
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET_32 });
    expect(config.JWT_SECRET).toBe(SECRET_32);
    expect(config.usingDevJwtSecret).toBe(false);
  });

  it('the error message does not print the secret itself', () => {
    const short = 'my-short-prod-secret';
    const err = configError({ NODE_ENV: 'production', JWT_SECRET: short });
    expect(err.message).not.toContain(short);
  });
});

describe('DATABASE_URL', () => {
  it.each(['mysql://user@host/db', 'http://host/db', 'not a url'])(
    "'%s' is refused naming DATABASE_URL",
    (url) => {
      expectNames(configError({ DATABASE_URL: url }), 'DATABASE_URL');
    },
  );

  it.each(['postgres://user:pw@localhost:5432/chat', 'postgresql://localhost/chat'])(
    "'%s' is accepted",
    (url) => {
      expect(loadConfig({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
    },
  );

  it('an empty value means the embedded database', () => {
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });
});

describe('durations', () => {
  it.each([
    ['15m', 900_000],
    ['30s', 30_000],
    ['12h', 43_200_000],
    ['7d', 604_800_000],
    ['900', 900_000],
  ])("JWT_EXPIRES_IN '%s' is %d ms", (value, ms) => {
    expect(loadConfig({ JWT_EXPIRES_IN: value }).JWT_EXPIRES_IN).toBe(ms);
  });

  it.each(['soon', '15 minutes', '-5m', '0', '1.5h'])(
    "JWT_EXPIRES_IN '%s' is refused naming it",
    (value) => {
      expectNames(configError({ JWT_EXPIRES_IN: value }), 'JWT_EXPIRES_IN');
    },
  );

  it('REFRESH_TOKEN_EXPIRES_IN is parsed the same way and refused by name', () => {
    expect(loadConfig({ REFRESH_TOKEN_EXPIRES_IN: '7d' }).REFRESH_TOKEN_EXPIRES_IN).toBe(
      604_800_000,
    );
    expectNames(configError({ REFRESH_TOKEN_EXPIRES_IN: 'forever' }), 'REFRESH_TOKEN_EXPIRES_IN');
  });
});

describe('other variables', () => {
  it('several bad values are all named in one error', () => {
    const err = configError({ PORT: 'abc', JWT_EXPIRES_IN: 'soon', LOG_LEVEL: 'loud' });
    expectNames(err, 'PORT');
    expectNames(err, 'JWT_EXPIRES_IN');
    expectNames(err, 'LOG_LEVEL');
  });

  it.each([
    ['NODE_ENV', 'staging'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['STORAGE_DRIVER', 'ftp'],
    ['RATE_LIMIT_MAX', '0'],
    ['AUTH_RATE_LIMIT_MAX', 'lots'],
    ['MAX_UPLOAD_MB', '-1'],
  ])('%s=%s is refused naming it', (name, value) => {
    expectNames(configError({ [name]: value }), name);
  });

  it('STORAGE_DRIVER=s3 without S3_BUCKET is refused naming S3_BUCKET', () => {
    expectNames(configError({ STORAGE_DRIVER: 's3' }), 'S3_BUCKET');
  });

  it.each([
    ['off', false],
    ['true', true],
    ['2', 2],
    ['10.0.0.0/8, 127.0.0.1', '10.0.0.0/8, 127.0.0.1'],
  ] as const)('TRUST_PROXY=%s reads as %s', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).TRUST_PROXY).toEqual(expected);
  });
});
