import type { Request, Response } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceUnavailable } from '../../src/errors.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { createLogger } from '../../src/logger.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createUser } from '../helpers/factories.js';
import { memoryLogDestination } from '../helpers/log-capture.js';

/**
 * A development server may add `error.stack` to a 5xx, but only for a caller on the same machine, and
 * never behind a proxy (where every request reaches it from the proxy's address) (issue 16, item 3).
 */

/** Runs the error handler on a request from `remoteAddress` and returns the body it answered. */
function answerFrom(remoteAddress: string, exposeStack: boolean): { error: { stack?: string } } {
  const handler = errorHandler(
    createLogger({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }),
    exposeStack,
  );
  let body: unknown;
  const res = {
    headersSent: false,
    setHeader: () => res,
    status: () => res,
    json: (b: unknown) => {
      body = b;
      return res;
    },
  };
  const err = new Error('database exploded');
  err.cause = new Error('connection terminated');
  const unavailable = Object.assign(serviceUnavailable(), { cause: err });
  handler(
    unavailable,
    { socket: { remoteAddress } } as unknown as Request,
    res as unknown as Response,
    () => {},
  );
  return body as { error: { stack?: string } };
}

describe('stack traces in error responses', () => {
  it.each(['127.0.0.1', '::1', '::ffff:127.0.0.1'])(
    'in development, a caller on loopback (%s) gets the stack of a 5xx',
    (address) => {
      expect(answerFrom(address, true).error.stack).toMatch(/database exploded/);
    },
  );

  it.each(['203.0.113.9', '10.1.2.3', '::ffff:192.168.1.5', 'fe80::1'])(
    'in development, a caller from another machine (%s) gets no stack',
    (address) => {
      expect(answerFrom(address, true).error).not.toHaveProperty('stack');
    },
  );

  it('outside development nobody gets a stack, loopback included', () => {
    expect(answerFrom('127.0.0.1', false).error).not.toHaveProperty('stack');
  });
});

describe('a development server during a database outage', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  async function outage(env: Record<string, string>) {
    t = await startTestApp({
      env: { NODE_ENV: 'development', ...env },
      logDestination: memoryLogDestination(),
    });
    const user = await createUser(t);
    await t.testDb.database.close();
    const res = await t.http.get('/api/v1/auth/me').set(user.auth);
    expect(res.status).toBe(503);
    return res;
  }

  it('shows its stack to a browser on the same machine', async () => {
    expect((await outage({})).body.error.stack).toEqual(expect.any(String));
  });

  it('shows no stack behind a proxy, where every caller arrives from loopback', async () => {
    const res = await outage({ TRUST_PROXY: '1' });
    expect(res.body.error).not.toHaveProperty('stack');
  });
});
