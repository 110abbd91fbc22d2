import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { TEST_VAPID } from '../helpers/app.js';

const SECRET_32 = 'abcdefghijklmnopqrstuvwxyz012345';

/**
 * loadConfig with a JWT_SECRET and VAPID keys, so that parsing tests generate neither in ./data (the
 * generated files are tested in secret.test.ts).
 */
const load = (env: Record<string, string>) =>
  loadConfig({
    JWT_SECRET: SECRET_32,
    VAPID_PUBLIC_KEY: TEST_VAPID.publicKey,
    VAPID_PRIVATE_KEY: TEST_VAPID.privateKey,
    ...env,
  });

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
  it('an environment with nothing but a secret gives the documented defaults', () => {
    const config = load({});
    expect(config).toMatchObject({
      PORT: 5000,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
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

  it('reads values from the given source, not from process.env', () => {
    const config = load({ PORT: '6123', RATE_LIMIT_MAX: '7', AUTH_RATE_LIMIT_MAX: '2' });
    expect(config).toMatchObject({ PORT: 6123, RATE_LIMIT_MAX: 7, AUTH_RATE_LIMIT_MAX: 2 });
  });

  it('FRONTEND_URL is split on commas, trimmed, without trailing slashes', () => {
    const config = load({ FRONTEND_URL: 'http://a.example/, https://b.example ,,' });
    expect(config.corsOrigins).toEqual(['http://a.example', 'https://b.example']);
  });

  it('MAX_UPLOAD_MB sets the byte limit', () => {
    expect(load({ MAX_UPLOAD_MB: '2' }).maxUploadBytes).toBe(2 * 1024 * 1024);
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
      port = load({ PORT: '' }).PORT;
    } catch (err) {
      expectNames(err as ConfigError, 'PORT');
      return;
    }
    expect(port).toBe(5000);
  });

  it('a valid port is read as a number', () => {
    expect(load({ PORT: '8080' }).PORT).toBe(8080);
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
    const config = load({ NODE_ENV: 'production', JWT_SECRET: SECRET_32 });
    expect(config.JWT_SECRET).toBe(SECRET_32);
    expect(config.jwtSecretFile).toBeUndefined();
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
      expect(load({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
    },
  );

  it('an empty value means the embedded database', () => {
    expect(load({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
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
    expect(load({ JWT_EXPIRES_IN: value }).JWT_EXPIRES_IN).toBe(ms);
  });

  it.each(['soon', '15 minutes', '-5m', '0', '1.5h'])(
    "JWT_EXPIRES_IN '%s' is refused naming it",
    (value) => {
      expectNames(configError({ JWT_EXPIRES_IN: value }), 'JWT_EXPIRES_IN');
    },
  );

  it('REFRESH_TOKEN_EXPIRES_IN is parsed the same way and refused by name', () => {
    expect(load({ REFRESH_TOKEN_EXPIRES_IN: '7d' }).REFRESH_TOKEN_EXPIRES_IN).toBe(604_800_000);
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
    ['', false],
    ['1', 1],
    ['2', 2],
    ['10.0.0.0/8, 127.0.0.1', ['10.0.0.0/8', '127.0.0.1']],
    ['loopback, fd00::/8, ::1', ['loopback', 'fd00::/8', '::1']],
  ] as const)("TRUST_PROXY='%s' reads as %s", (value, expected) => {
    expect(load({ TRUST_PROXY: value }).TRUST_PROXY).toEqual(expected);
  });

  // Trusting every proxy takes the left-most X-Forwarded-For entry, which the client writes.
  it.each(['true', 'TRUE', 'on', '*', 'all'])(
    "TRUST_PROXY='%s' (trust everything) is refused naming TRUST_PROXY",
    (value) => {
      expectNames(configError({ TRUST_PROXY: value }), 'TRUST_PROXY');
    },
  );

  it.each(['nginx', '10.0.0.0/33', '300.1.1.1', '10.0.0.1, *', '-1'])(
    "TRUST_PROXY='%s' is neither a hop count nor addresses and is refused naming it",
    (value) => {
      expectNames(configError({ TRUST_PROXY: value }), 'TRUST_PROXY');
    },
  );
});

describe('retention and export', () => {
  it('MESSAGE_RETENTION_DAYS unset or empty keeps messages forever; a positive number is read', () => {
    expect(load({}).MESSAGE_RETENTION_DAYS).toBeUndefined();
    expect(load({ MESSAGE_RETENTION_DAYS: '' }).MESSAGE_RETENTION_DAYS).toBeUndefined();
    expect(load({ MESSAGE_RETENTION_DAYS: '90' }).MESSAGE_RETENTION_DAYS).toBe(90);
  });

  it.each(['0', '-3', '1.5', 'forever', '99999'])(
    "MESSAGE_RETENTION_DAYS='%s' is refused naming it",
    (value) => {
      expectNames(configError({ MESSAGE_RETENTION_DAYS: value }), 'MESSAGE_RETENTION_DAYS');
    },
  );

  it('RETENTION_INTERVAL_MS is an hour by default, 0 (queue none) or at least a second', () => {
    expect(load({}).RETENTION_INTERVAL_MS).toBe(3_600_000);
    expect(load({ RETENTION_INTERVAL_MS: '0' }).RETENTION_INTERVAL_MS).toBe(0);
    expect(load({ RETENTION_INTERVAL_MS: '60000' }).RETENTION_INTERVAL_MS).toBe(60_000);
    for (const value of ['10', '-1', 'hourly'])
      expectNames(configError({ RETENTION_INTERVAL_MS: value }), 'RETENTION_INTERVAL_MS');
  });

  it('EXPORT_RATE_LIMIT_MAX is 5 by default and at least 1', () => {
    expect(load({}).EXPORT_RATE_LIMIT_MAX).toBe(5);
    expect(load({ EXPORT_RATE_LIMIT_MAX: '2' }).EXPORT_RATE_LIMIT_MAX).toBe(2);
    expectNames(configError({ EXPORT_RATE_LIMIT_MAX: '0' }), 'EXPORT_RATE_LIMIT_MAX');
  });
});

describe('HOST', () => {
  it('outside production the server listens on loopback unless HOST says otherwise', () => {
    expect(load({}).HOST).toBe('127.0.0.1');
    expect(load({ NODE_ENV: 'test', HOST: '' }).HOST).toBe('127.0.0.1');
    expect(load({ HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
  });

  it('in production it listens on every interface unless HOST says otherwise', () => {
    expect(load({ NODE_ENV: 'production' }).HOST).toBe('0.0.0.0');
    expect(load({ NODE_ENV: 'production', HOST: '127.0.0.1' }).HOST).toBe('127.0.0.1');
  });
});
