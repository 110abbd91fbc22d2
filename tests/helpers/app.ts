import { generateVapidKeys } from '../../src/config/vapid.js';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import supertest from 'supertest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { DestinationStream } from 'pino';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { suiteLogDestination } from './log-capture.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-0123456789';

export interface TestApp extends App {
  testDb: TestDatabase;
  url: string;
  http: ReturnType<typeof supertest>;
  stop(): Promise<void>;
}

/** Environment for tests: generous rate limits unless a test narrows them. */
/** One VAPID key pair for every app of the test process (no key file written per app). */
export const TEST_VAPID = generateVapidKeys();

export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    JWT_SECRET: TEST_JWT_SECRET,
    VAPID_PUBLIC_KEY: TEST_VAPID.publicKey,
    VAPID_PRIVATE_KEY: TEST_VAPID.privateKey,
    // Jobs (push) run only in the tests about them: no other test sends anything anywhere.
    JOBS_WORKER: 'false',
    // Nor is a retention run queued: a test that counts the queue's jobs finds only its own.
    RETENTION_INTERVAL_MS: '0',
    RATE_LIMIT_MAX: '1000000',
    AUTH_RATE_LIMIT_MAX: '1000000',
    SOCKET_MESSAGE_LIMIT: '1000000',
    SOCKET_MAX_PER_USER: '1000000',
    SOCKET_MAX_PER_IP: '1000000',
    SOCKET_HANDSHAKE_LIMIT: '1000000',
    UPLOAD_DIR: mkdtempSync(join(tmpdir(), 'chat-uploads-')),
    ...overrides,
  };
}

/**
 * Starts the whole app in-process on a random port with its own database.
 * Pass `testDb` to share a database between several app instances.
 */
export async function startTestApp(
  options: {
    env?: Record<string, string>;
    testDb?: TestDatabase;
    /** Where the app logs; default: the suite's log file, scanned for secrets (log-capture.ts). */
    logDestination?: DestinationStream;
  } = {},
): Promise<TestApp> {
  const config = loadConfig(testEnv(options.env));
  const testDb = options.testDb ?? (await createTestDatabase());
  // With LOG_LEVEL set by the developer, to stdout as before.
  const log = createLogger(
    config,
    options.logDestination ?? (process.env.LOG_LEVEL ? undefined : suiteLogDestination()),
  );
  const built = await createApp({ config, log, database: testDb.database });
  await new Promise<void>((resolve) => built.server.listen(0, '127.0.0.1', resolve));
  const { port } = built.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    ...built,
    testDb,
    url,
    http: supertest(built.server),
    async stop() {
      await built.close();
      if (!options.testDb) await testDb.drop();
    },
  };
}
