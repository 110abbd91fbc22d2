import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createUser, login, type TestSession, type TestUser } from '../helpers/factories.js';
import {
  killRedisClients,
  privateRedisAvailable,
  startPrivateRedis,
  type PrivateRedis,
} from '../helpers/private-services.js';
import { requireOrSkip, skipUnless } from '../helpers/skips.js';
import { sleep } from '../helpers/sockets.js';

/**
 * The session cache (src/modules/auth/session-cache.ts) saves the session query of each request; it
 * must answer exactly as the database does. Two nodes share one database and a private Redis: every
 * request's answer is compared with what the sessions table says at that moment.
 */
let redis: PrivateRedis;
let testDb: TestDatabase;
let nodeA: TestApp;
let nodeB: TestApp;

/** What the database says of this session: live (not revoked, not expired) or not. */
async function liveInDatabase(t: TestApp, accessToken: string): Promise<boolean> {
  const payload = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as {
    sid: string;
  };
  const { rows } = (await t.testDb.database.db.execute(
    sql`select 1 from sessions where id = ${payload.sid} and revoked_at is null and expires_at > now()`,
  )) as unknown as { rows: unknown[] };
  return rows.length === 1;
}

/** The status of a session-checked request on a node. */
const status = async (node: TestApp, session: Pick<TestSession, 'auth'>) =>
  (await node.http.get('/api/auth/me').set(session.auth)).status;

/** Polls until the node answers `want` (a revocation reaching another node over Redis). */
async function answers(node: TestApp, session: Pick<TestSession, 'auth'>, want: number) {
  const deadline = Date.now() + 2000;
  let got = await status(node, session);
  while (got !== want && Date.now() < deadline) {
    await sleep(10);
    got = await status(node, session);
  }
  return got;
}

const skip = skipUnless(requireOrSkip(privateRedisAvailable, 'redis-server'));

describe.skipIf(skip.skip)(
  skip.title('the session cache answers as the database (two nodes, a private Redis)'),
  () => {
    let user: TestUser;

    beforeAll(async () => {
      redis = await startPrivateRedis();
      const env = { REDIS_URL: redis.url, REDIS_PREFIX: 'sess:' };
      testDb = await createTestDatabase();
      nodeA = await startTestApp({ env, testDb });
      nodeB = await startTestApp({ env, testDb });
      user = await createUser(nodeA);
    });
    afterAll(async () => {
      await nodeA?.stop();
      await nodeB?.stop();
      await testDb?.drop();
      await redis?.destroy();
    });

    it('a logout on this node: the next request with its token gets 401 (the cache held it)', async () => {
      const session = await login(nodeA, user);
      expect(await status(nodeA, session)).toBe(200);
      expect(await status(nodeA, session)).toBe(200); // from the cache
      await nodeA.http.post('/api/auth/logout').set(session.auth).send({}).expect(200);
      expect(await liveInDatabase(nodeA, session.accessToken)).toBe(false);
      expect(await status(nodeA, session)).toBe(401);
    });

    it('a logout on node A reaches node B, which had the session cached', async () => {
      const session = await login(nodeA, user);
      expect(await status(nodeB, session)).toBe(200);
      expect(await status(nodeB, session)).toBe(200); // cached on B
      await nodeA.http.post('/api/auth/logout').set(session.auth).send({}).expect(200);
      expect(await answers(nodeB, session, 401)).toBe(401);
    });

    it('logout-all and a password change reach the other node for every session', async () => {
      const sessions = [await login(nodeA, user), await login(nodeA, user)];
      for (const s of sessions) expect(await status(nodeB, s)).toBe(200);
      await nodeA.http.post('/api/auth/password').set(sessions[0]!.auth).send({
        currentPassword: user.password,
        newPassword: 'another password 1',
      });
      user.password = 'another password 1';
      expect(await answers(nodeB, sessions[1]!, 401)).toBe(401);
      expect(await status(nodeB, sessions[0]!)).toBe(200); // the changing session stays
      await nodeB.http.post('/api/auth/logout-all').set(sessions[0]!.auth).send({}).expect(200);
      expect(await status(nodeB, sessions[0]!)).toBe(401);
      expect(await answers(nodeA, sessions[0]!, 401)).toBe(401);
    });

    it("while node B's subscriber is down it asks the database, and after it is back too", async () => {
      const cached = await login(nodeA, user);
      const other = await login(nodeA, user);
      expect(await status(nodeB, cached)).toBe(200);
      expect(await status(nodeB, other)).toBe(200);
      // B hears nothing from Redis now: a revocation on A cannot reach it.
      nodeB.redis!.sub.disconnect();
      await nodeA.http.post('/api/auth/logout').set(cached.auth).send({}).expect(200);
      expect(await status(nodeB, cached)).toBe(401); // from the database, not B's stale entry
      expect(await status(nodeB, other)).toBe(200);
      await nodeB.redis!.sub.connect();
      await new Promise<void>((resolve) => {
        if (nodeB.redis!.sub.status === 'ready') resolve();
        else nodeB.redis!.sub.once('ready', () => resolve());
      });
      expect(await status(nodeB, cached)).toBe(401);
      // Subscribed again: a revocation on A reaches B's cache once more.
      expect(await status(nodeB, other)).toBe(200);
      await nodeA.http.post('/api/auth/logout').set(other.auth).send({}).expect(200);
      expect(await answers(nodeB, other, 401)).toBe(401);
    });

    it('after a Redis cut of both subscribers, every answer still matches the database', async () => {
      const live = await login(nodeA, user);
      const doomed = await login(nodeA, user);
      for (const s of [live, doomed]) expect(await status(nodeB, s)).toBe(200);
      await killRedisClients(redis.url, 'pubsub');
      await nodeA.http.post('/api/auth/logout').set(doomed.auth).send({}).expect(200);
      for (const node of [nodeA, nodeB]) {
        expect(await status(node, doomed)).toBe(401);
        expect(await status(node, live)).toBe(200);
      }
    });

    it('random logins, logouts and requests on either node: each answer is the database answer', async () => {
      const sessions: TestSession[] = [];
      let seed = 7;
      const random = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      for (let step = 0; step < 60; step++) {
        const node = random(2) === 0 ? nodeA : nodeB;
        const action = random(10);
        if (action < 2 || sessions.length === 0) sessions.push(await login(node, user));
        else if (action < 4) {
          const s = sessions[random(sessions.length)]!;
          await node.http.post('/api/auth/logout').set(s.auth).send({});
        } else {
          const s = sessions[random(sessions.length)]!;
          const want = (await liveInDatabase(node, s.accessToken)) ? 200 : 401;
          // A revocation made on the other node may still be on its way over Redis: it must arrive.
          expect(await answers(node, s, want), `step ${step}`).toBe(want);
        }
      }
    });
  },
);
