import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import type { TestMessage } from '../helpers/factories.js';
import { processEnv, startServerProcess, type ServerProcess } from '../helpers/processes.js';
import { onlyIn, skipUnless } from '../helpers/skips.js';
import { socketPool } from '../helpers/sockets.js';
import { clearRedisPrefix, redisEnv } from './support.js';

interface Registered {
  id: string;
  username: string;
  accessToken: string;
}

/** Registers a user over plain HTTP on one node. */
async function register(node: ServerProcess): Promise<Registered> {
  const username = `proc_${randomBytes(4).toString('hex')}`;
  const res = await fetch(`${node.url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username,
      email: `${username}@example.com`,
      password: 'long enough pw',
    }),
  });
  const body = (await res.json()) as {
    data: { user: { id: string }; accessToken: string };
  };
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(body)}`);
  return { id: body.data.user.id, username, accessToken: body.data.accessToken };
}

async function getJson<T>(node: ServerProcess, path: string, token: string) {
  const res = await fetch(`${node.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as { data: T } };
}

type OnlineList = { id: string }[];

// Two real server processes, as deployed behind a load balancer: one PostgreSQL database, one Redis.
const skip = skipUnless(onlyIn('pg'));

describe.skipIf(skip.skip)(skip.title('two server processes sharing PostgreSQL and Redis'), () => {
  const redis = redisEnv();
  let testDb: TestDatabase;
  let nodeA: ServerProcess | undefined;
  let nodeB: ServerProcess | undefined;
  let alice: Registered;
  let bob: Registered;
  const sockets = socketPool();

  beforeAll(async () => {
    testDb = await createTestDatabase('pg');
    const env = processEnv({
      ...redis,
      DATABASE_URL: testDb.url!,
      UPLOAD_DIR: mkdtempSync(join(tmpdir(), 'chat-proc-uploads-')),
      PRESENCE_GRACE_MS: '300',
      // Heartbeats every second; a dead node's sockets expire after 3 s.
      PRESENCE_TTL_MS: '3000',
    });
    [nodeA, nodeB] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    alice = await register(nodeA);
    bob = await register(nodeB);
  });
  afterEach(() => sockets.closeAll());
  afterAll(async () => {
    await Promise.all([nodeA?.stop(), nodeB?.stop()]);
    await testDb?.drop();
    await clearRedisPrefix(redis.REDIS_PREFIX);
  });

  it('a message sent on node A by socket reaches a client connected to node B', async () => {
    const a = await sockets.connect(nodeA!.url, alice.accessToken);
    const b = await sockets.connect(nodeB!.url, bob.accessToken);
    const reply = await a.ack<TestMessage>('send-message', {
      room: 'general',
      content: 'across processes',
    });
    expect(reply.success).toBe(true);
    const got = await b.waitFor<TestMessage>('new-message', (m) => m.id === reply.data!.id);
    expect(got).toMatchObject({ content: 'across processes', sender: { id: alice.id } });
  });

  it('a user connected only to node B is online for node A, by event and by GET /api/users/online', async () => {
    const carol = await register(nodeA!);
    const watcher = await sockets.connect(nodeA!.url, alice.accessToken);
    await watcher.waitFor('online-users');
    const c = await sockets.connect(nodeB!.url, carol.accessToken);
    await c.waitFor('online-users');
    expect(
      await watcher.waitFor<{ userId: string }>('user-online', (e) => e.userId === carol.id),
    ).toEqual({ userId: carol.id, username: carol.username });
    const listed = await getJson<OnlineList>(nodeA!, '/api/users/online', alice.accessToken);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((u) => u.id)).toContain(carol.id);

    c.close();
    await watcher.waitFor<{ userId: string }>('user-offline', (e) => e.userId === carol.id);
    const after = await getJson<OnlineList>(nodeA!, '/api/users/online', alice.accessToken);
    expect(after.body.data.map((u) => u.id)).not.toContain(carol.id);
  });

  it('a token issued by node B is accepted by node A', async () => {
    const s = await sockets.connect(nodeA!.url, bob.accessToken);
    expect(s.socket.connected).toBe(true);
    expect(
      (await getJson<{ id: string }>(nodeA!, '/api/auth/me', bob.accessToken)).body.data.id,
    ).toBe(bob.id);
  });

  // Last: it kills node A.
  it('when node A dies without shutting down, node B announces its users offline after the TTL', async () => {
    const dan = await register(nodeA!);
    const watcher = await sockets.connect(nodeB!.url, alice.accessToken);
    await watcher.waitFor('online-users');
    const d = await sockets.connect(nodeA!.url, dan.accessToken);
    await watcher.waitFor<{ userId: string }>('user-online', (e) => e.userId === dan.id);

    await nodeA!.crash();
    await d.disconnected();
    expect(
      await watcher.waitFor<{ userId: string }>('user-offline', (e) => e.userId === dan.id, 20_000),
    ).toEqual({ userId: dan.id, username: dan.username });
    const listed = await getJson<OnlineList>(nodeB!, '/api/users/online', alice.accessToken);
    expect(listed.body.data.map((u) => u.id)).not.toContain(dan.id);
    expect(watcher.socket.connected).toBe(true);
  });
});
