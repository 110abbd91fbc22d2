import { generateVapidKeys, isVapidPair, VAPID_FILE_NAME } from '../../src/config/vapid.js';
import { createHmac } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { SECRET_FILE_NAME } from '../../src/config/secret.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createUser, expectError, type TestUser } from '../helpers/factories.js';
import { keyOf, pathOf, png, uploadOk, type UploadedFile } from '../files/support.js';
import { signToken } from '../security/support.js';

/**
 * Without JWT_SECRET the server signs with a random secret of its own, generated at the first start
 * and kept in DATA_DIR, never with a secret written in its source (issue 16, item 3).
 */

/** The secret that earlier versions signed with when JWT_SECRET was not set. */
const OLD_REPOSITORY_SECRET = 'development-only-secret-change-me-0123456789';

const freshDataDir = () => join(mkdtempSync(join(tmpdir(), 'chat-secret-')), 'data');
const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('the secret kept in DATA_DIR', () => {
  it.each(['development', 'test'])(
    'without JWT_SECRET (NODE_ENV=%s) a secret is generated and written 0600 in a 0700 DATA_DIR',
    (nodeEnv) => {
      const dataDir = freshDataDir();
      const config = loadConfig({ NODE_ENV: nodeEnv, DATA_DIR: dataDir });
      const file = join(dataDir, SECRET_FILE_NAME);
      expect(config.jwtSecretFile).toEqual({ path: file, created: true });
      expect(config.JWT_SECRET).toMatch(/^[\w-]{64}$/);
      expect(readFileSync(file, 'utf8').trim()).toBe(config.JWT_SECRET);
      expect(modeOf(file)).toBe(0o600);
      expect(modeOf(dataDir)).toBe(0o700);
    },
  );

  it('the next start reads the same secret back instead of making a new one', () => {
    const dataDir = freshDataDir();
    const first = loadConfig({ DATA_DIR: dataDir });
    const second = loadConfig({ DATA_DIR: dataDir });
    expect(second.JWT_SECRET).toBe(first.JWT_SECRET);
    expect(second.jwtSecretFile?.created).toBe(false);
  });

  it('every DATA_DIR gets its own random secret, never the one written in the source', () => {
    const a = loadConfig({ DATA_DIR: freshDataDir() }).JWT_SECRET;
    const b = loadConfig({ DATA_DIR: freshDataDir() }).JWT_SECRET;
    expect(a).not.toBe(b);
    expect([a, b]).not.toContain(OLD_REPOSITORY_SECRET);
  });

  it('a JWT_SECRET that is set is used, and nothing is written to DATA_DIR', () => {
    const dataDir = freshDataDir();
    const vapid = generateVapidKeys();
    const config = loadConfig({
      JWT_SECRET: 'x'.repeat(40),
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      DATA_DIR: dataDir,
    });
    expect(config.JWT_SECRET).toBe('x'.repeat(40));
    expect(config.VAPID_PUBLIC_KEY).toBe(vapid.publicKey);
    expect(config.jwtSecretFile).toBeUndefined();
    expect(existsSync(dataDir)).toBe(false);
  });

  it('production without JWT_SECRET refuses to start, naming JWT_SECRET, and generates nothing', () => {
    const dataDir = freshDataDir();
    let error: unknown;
    try {
      loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/JWT_SECRET: is required in production/);
    expect(existsSync(join(dataDir, SECRET_FILE_NAME))).toBe(false);
  });

  it('a secret file that lost its mode (a restored backup) is tightened to 0600 again', () => {
    const dataDir = freshDataDir();
    const { JWT_SECRET } = loadConfig({ DATA_DIR: dataDir });
    const file = join(dataDir, SECRET_FILE_NAME);
    chmodSync(file, 0o644);
    chmodSync(dataDir, 0o755);
    expect(loadConfig({ DATA_DIR: dataDir }).JWT_SECRET).toBe(JWT_SECRET);
    expect(modeOf(file)).toBe(0o600);
    expect(modeOf(dataDir)).toBe(0o700);
  });

  it('a secret file that is too short is refused, naming JWT_SECRET and the file', () => {
    const dataDir = freshDataDir();
    loadConfig({ DATA_DIR: dataDir });
    writeFileSync(join(dataDir, SECRET_FILE_NAME), 'short\n');
    expect(() => loadConfig({ DATA_DIR: dataDir })).toThrow(/JWT_SECRET: .*jwt-secret/);
  });
});

describe('.env.example', () => {
  const example = parseEnv(
    readFileSync(new URL('../../.env.example', import.meta.url), 'utf8'),
  ) as Record<string, string>;

  it('holds no usable secret and does not set NODE_ENV', () => {
    expect(example.JWT_SECRET ?? '').toBe('');
    expect(example).not.toHaveProperty('NODE_ENV');
  });

  it('copied to .env, starts a loopback server that signs with a generated secret', () => {
    const config = loadConfig({ ...example, DATA_DIR: freshDataDir() });
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.jwtSecretFile?.created).toBe(true);
    expect(config.TRUST_PROXY).toBe(false);
  });
});

describe('a server started without JWT_SECRET', () => {
  const dataDir = freshDataDir();
  let t: TestApp;
  let alice: TestUser;
  let photo: UploadedFile;

  beforeAll(async () => {
    t = await startTestApp({ env: { JWT_SECRET: '', DATA_DIR: dataDir } });
    alice = await createUser(t);
    ({ file: photo } = await uploadOk(t, alice, await png(), 'photo.png'));
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('signs with the secret kept in DATA_DIR', async () => {
    const secret = readFileSync(join(dataDir, SECRET_FILE_NAME), 'utf8').trim();
    expect(t.ctx.config.JWT_SECRET).toBe(secret);
    const token = await signToken(alice, { secret });
    expect(
      (await t.http.get('/api/v1/auth/me').set('Authorization', `Bearer ${token}`)).status,
    ).toBe(200);
  });

  it('refuses a token signed with the secret that used to be written in the repository', async () => {
    const forged = await signToken(alice, {
      secret: OLD_REPOSITORY_SECRET,
      exp: Math.floor(Date.now() / 1000) + 10 * 365 * 86_400,
    });
    const res = await t.http.get('/api/v1/auth/me').set('Authorization', `Bearer ${forged}`);
    expectError(res, 401, 'UNAUTHORIZED');
  });

  it('accepts the tokens it issued after a restart with the same DATA_DIR', async () => {
    const again = await startTestApp({
      env: { JWT_SECRET: '', DATA_DIR: dataDir },
      testDb: t.testDb,
    });
    try {
      expect((await again.http.get('/api/v1/auth/me').set(alice.auth)).status).toBe(200);
    } finally {
      await again.stop();
    }
  });

  it('serves a file through the URL it handed out (control)', async () => {
    expect((await t.http.get(pathOf(photo.url))).status).toBe(200);
  });

  it('refuses a file URL signed with the JWT secret itself: file URLs have a key of their own', async () => {
    const key = keyOf(photo.url);
    const exp = Math.floor(Date.now() / 1000) + 10 * 365 * 86_400;
    const sig = createHmac('sha256', t.ctx.config.JWT_SECRET)
      .update(`${key}\n${exp}\n${photo.name}`)
      .digest('base64url');
    const query = new URLSearchParams({ exp: String(exp), name: photo.name, sig });
    expectError(await t.http.get(`/files/${key}?${query.toString()}`), 403, 'FORBIDDEN');
  });
});

describe('VAPID keys', () => {
  it('are generated at the first start into DATA_DIR (0600) and read back after', () => {
    const dataDir = freshDataDir();
    const first = loadConfig({ JWT_SECRET: 'x'.repeat(40), DATA_DIR: dataDir });
    expect(first.vapidKeysFile?.created).toBe(true);
    expect(
      isVapidPair({ publicKey: first.VAPID_PUBLIC_KEY, privateKey: first.VAPID_PRIVATE_KEY }),
    ).toBe(true);
    expect(statSync(join(dataDir, VAPID_FILE_NAME)).mode & 0o777).toBe(0o600);
    const again = loadConfig({ JWT_SECRET: 'x'.repeat(40), DATA_DIR: dataDir });
    expect(again.vapidKeysFile?.created).toBe(false);
    expect(again.VAPID_PUBLIC_KEY).toBe(first.VAPID_PUBLIC_KEY);
    expect(again.VAPID_PRIVATE_KEY).toBe(first.VAPID_PRIVATE_KEY);
  });

  it('every generated pair is valid: a private key with leading zero bytes keeps all 32', () => {
    // One key in 256 starts with a zero byte, which getPrivateKey() drops: 3,000 pairs meet one
    // with near certainty (all valid by chance: (255/256)^3000 < 0.001 %).
    const keys = Array.from({ length: 3000 }, generateVapidKeys);
    expect(keys.filter((k) => !isVapidPair(k))).toEqual([]);
    expect(new Set(keys.map((k) => Buffer.from(k.privateKey, 'base64url').length))).toEqual(
      new Set([32]),
    );
  });

  it("refuses one key without the other, and a private key that is not the public key's", () => {
    const a = generateVapidKeys();
    const b = generateVapidKeys();
    const base = { JWT_SECRET: 'x'.repeat(40), DATA_DIR: freshDataDir() };
    expect(() => loadConfig({ ...base, VAPID_PUBLIC_KEY: a.publicKey })).toThrow(
      /set both or neither/,
    );
    expect(() =>
      loadConfig({ ...base, VAPID_PUBLIC_KEY: a.publicKey, VAPID_PRIVATE_KEY: b.privateKey }),
    ).toThrow(/not the private key of VAPID_PUBLIC_KEY/);
  });
});
