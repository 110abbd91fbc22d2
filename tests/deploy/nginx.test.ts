// deploy/nginx/chat.conf.template in front of two nodes sharing PostgreSQL and Redis, run with the
// system's nginx: sticky polling, the WebSocket upgrade, cross-node delivery, the body size limit,
// /metrics kept back, and rate limits keyed on the address nginx saw (TRUST_PROXY=1).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { onlyIn, requireOrSkip, skipUnless } from '../helpers/skips.js';
import { clearRedisPrefix, redisEnv } from '../realtime/support.js';

const NGINX = '/usr/sbin/nginx';
const TEMPLATE = fileURLToPath(new URL('../../deploy/nginx/chat.conf.template', import.meta.url));
const MB = 1024 * 1024;
const METRICS_TOKEN = 'nginx-test-metrics-token';
/** Failed logins per client address and window on the nodes (shared through Redis). */
const LOGIN_LIMIT = 3;

/** The template with the node addresses filled in and `listen 80` moved to a loopback port. */
function renderTemplate(template: string, app1: string, app2: string, port: number): string {
  const listen = `listen 127.0.0.1:${port};`;
  const out = template
    .replaceAll('${APP1}', app1)
    .replaceAll('${APP2}', app2)
    .replace(/^(\s*)listen 80;$/m, `$1${listen}`);
  if (!out.includes(listen) || /\$\{\w+\}/.test(out))
    throw new Error(
      'template: expected `listen 80;` and only the ${APP1} and ${APP2} placeholders',
    );
  return out;
}

/** A minimal nginx.conf around the rendered server block, with every writable path in `dir`. */
function mainConfig(dir: string): string {
  // As root the master drops its workers to `user` (default nobody), who cannot use the temp dir.
  const user = process.getuid?.() === 0 ? 'user root;' : '';
  return `${user}
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/chat.conf;
}
`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForHealth(url: string, child: ChildProcess, errorLog: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${url}/health`)).status === 200) return;
    } catch {
      // nginx not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const log = existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '';
  throw new Error(`nginx did not answer /health (exit code ${child.exitCode}):\n${log}`);
}

let shared: TestDatabase;
let prefix: string;
let nodes: TestApp[] = [];
let dir: string;
let nginx: ChildProcess | undefined;
let proxy: string;
const sockets: Socket[] = [];

interface Registered {
  accessToken: string;
  user: { id: string };
}

async function register(name: string): Promise<Registered> {
  const res = await fetch(`${proxy}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: name,
      email: `${name}@example.com`,
      password: 'correct horse',
    }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { data: Registered }).data;
}

/** Connects through nginx from a given loopback source address: polling first, then the upgrade. */
async function connectFrom(address: string, token: string): Promise<Socket> {
  const socket = connect(proxy, {
    auth: { token },
    transports: ['polling', 'websocket'],
    // socket.io-client hands `agent` on to the polling requests and to ws; its type says string.
    agent: new Agent({ localAddress: address }) as unknown as string,
    reconnection: false,
    forceNew: true,
    timeout: 10_000,
  });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  const engine = socket.io.engine;
  if (engine.transport.name !== 'websocket') {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no upgrade from ${address}`)), 10_000);
      engine.once('upgrade', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return socket;
}

/** Index of the node holding this client's socket. */
const nodeOf = (socket: Socket) => nodes.findIndex((n) => n.io.of('/').sockets.has(socket.id!));

function nextMessage(socket: Socket, content: string): Promise<{ content: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no new-message "${content}"`)), 10_000);
    const handler = (m: { content: string }) => {
      if (m.content !== content) return;
      clearTimeout(timer);
      socket.off('new-message', handler);
      resolve(m);
    };
    socket.on('new-message', handler);
  });
}

/** A failed login through nginx from a loopback source address, sending its own X-Forwarded-For. */
function failedLoginFrom(address: string, forwardedFor: string): Promise<number> {
  const body = JSON.stringify({ username: 'nobody_here', password: 'wrong password' });
  return new Promise((resolve, reject) => {
    const req = request(
      `${proxy}/api/auth/login`,
      {
        method: 'POST',
        localAddress: address,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-forwarded-for': forwardedFor,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function upload(token: string, bytes: number): Promise<Response> {
  const form = new FormData();
  form.append('room', 'general');
  form.append('file', new Blob([Buffer.alloc(bytes, 0x61)], { type: 'text/plain' }), 'big.txt');
  return fetch(`${proxy}/api/files/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
}

const skip = skipUnless(requireOrSkip(existsSync(NGINX), 'nginx'), onlyIn('pg'));

describe.skipIf(skip.skip)(skip.title('nginx in front of two nodes'), () => {
  let alice: Registered;
  let bob: Registered;
  let onA: Socket;
  let onB: Socket;

  beforeAll(async () => {
    shared = await createTestDatabase();
    const redis = redisEnv();
    prefix = redis.REDIS_PREFIX;
    const env = {
      ...redis,
      TRUST_PROXY: '1',
      MAX_UPLOAD_MB: '10',
      METRICS_TOKEN,
      AUTH_RATE_LIMIT_MAX: String(LOGIN_LIMIT),
    };
    nodes = [
      await startTestApp({ env, testDb: shared }),
      await startTestApp({ env, testDb: shared }),
    ];
    // As server.ts does: idle connections outlive nginx's upstream keepalive_timeout (60 s).
    for (const n of nodes) n.server.keepAliveTimeout = 65_000;

    dir = mkdtempSync(join(tmpdir(), 'chat-nginx-'));
    const port = await freePort();
    const [app1, app2] = nodes.map((n) => new URL(n.url).host) as [string, string];
    writeFileSync(
      join(dir, 'chat.conf'),
      renderTemplate(readFileSync(TEMPLATE, 'utf8'), app1, app2, port),
    );
    writeFileSync(join(dir, 'nginx.conf'), mainConfig(dir));
    nginx = spawn(NGINX, ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf')], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    proxy = `http://127.0.0.1:${port}`;
    await waitForHealth(proxy, nginx, join(dir, 'error.log'));

    const suffix = Date.now().toString(36);
    alice = await register(`alice_${suffix}`);
    bob = await register(`bob_${suffix}`);
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx!.once('exit', resolve));
      nginx.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (nginx.exitCode === null) nginx.kill('SIGKILL');
    }
    for (const n of nodes) await n.stop();
    await shared?.drop();
    if (prefix) await clearRedisPrefix(prefix);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers /health and REST requests with a body through the proxy, but not /metrics', async () => {
    const health = await fetch(`${proxy}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ success: true, database: 'connected' });
    const general = await fetch(`${proxy}/api/rooms/general`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    });
    expect(general.status).toBe(200);
    // Behind a proxy a node answers /metrics only with METRICS_TOKEN (loopback proves nothing when
    // nginx is on loopback too), and the proxy keeps /metrics to itself, token or not.
    const scrape = { headers: { authorization: `Bearer ${METRICS_TOKEN}` } };
    expect((await fetch(`${nodes[0]!.url}/metrics`, scrape)).status).toBe(200);
    expect((await fetch(`${nodes[0]!.url}/metrics`)).status).toBe(401);
    for (const path of ['/metrics', '/Metrics/'])
      expect((await fetch(`${proxy}${path}`, scrape)).status).toBe(404);
  });

  it('limits failed logins by the address nginx saw, whatever X-Forwarded-For the client sends', async () => {
    // TRUST_PROXY=1: the node takes the right-most entry, the one nginx appended.
    const attacker = '127.0.0.201';
    for (let i = 1; i <= LOGIN_LIMIT; i += 1)
      expect(await failedLoginFrom(attacker, `203.0.113.${i}`)).toBe(401);
    for (const forged of ['203.0.113.99', '127.0.0.1', '198.51.100.1, 198.51.100.2'])
      expect(await failedLoginFrom(attacker, forged)).toBe(429);
    expect(await failedLoginFrom('127.0.0.202', '203.0.113.1')).toBe(401);
  });

  it('pins each client address to one node, across polling and the WebSocket upgrade', async () => {
    // The hash is over the whole client address: find two loopback addresses that land apart.
    const byNode = new Map<number, string>();
    for (let i = 2; i < 40 && byNode.size < 2; i += 1) {
      const address = `127.0.0.${i}`;
      const socket = await connectFrom(address, alice.accessToken);
      const node = nodeOf(socket);
      expect(node).toBeGreaterThanOrEqual(0);
      expect(socket.io.engine.transport.name).toBe('websocket');
      if (!byNode.has(node)) {
        byNode.set(node, address);
        if (node === 0) onA = socket;
        else socket.close();
      } else socket.close();
    }
    expect(byNode.size).toBe(2);
    expect(nodeOf(onA)).toBe(0);
    // The same address lands on the same node again.
    onB = await connectFrom(byNode.get(1)!, bob.accessToken);
    expect(nodeOf(onB)).toBe(1);
    // The probes closed: one client left on each node.
    await expect.poll(() => nodes.map((n) => n.io.engine.clientsCount)).toEqual([1, 1]);
  });

  it('a message sent on one node reaches the client on the other, both ways', async () => {
    for (const [from, to] of [
      [onA, onB],
      [onB, onA],
    ] as const) {
      const content = `via nginx from node ${nodeOf(from)} ${Date.now()}`;
      const received = nextMessage(to, content);
      const reply = (await from
        .timeout(10_000)
        .emitWithAck('send-message', { room: 'general', content })) as { success: boolean };
      expect(reply.success).toBe(true);
      expect(await received).toMatchObject({ content });
    }
  });

  it('passes uploads up to client_max_body_size to the app and refuses larger ones itself', async () => {
    // Over MAX_UPLOAD_MB (10) but within nginx's 12m: the node answers with its own JSON 413.
    const overApp = await upload(alice.accessToken, 10 * MB + 1024);
    expect(overApp.status).toBe(413);
    expect(await overApp.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    // Over client_max_body_size: nginx answers (HTML) without bothering a node.
    const overProxy = await upload(alice.accessToken, 13 * MB);
    expect(overProxy.status).toBe(413);
    expect(overProxy.headers.get('content-type')).toMatch(/text\/html/);
    await overProxy.arrayBuffer();
  });
});
