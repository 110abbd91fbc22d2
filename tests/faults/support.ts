import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect } from 'socket.io-client';
import {
  startPrivatePostgres,
  startPrivateRedis,
  type PrivatePostgres,
  type PrivateRedis,
} from '../helpers/private-services.js';
import { processEnv, startServerProcess, type ServerProcess } from '../helpers/processes.js';
import type { ClientSocket } from '../helpers/sockets.js';
import { sleep } from '../helpers/sockets.js';

/**
 * Shared by the fault tests: their servers (a private PostgreSQL, a private Redis and server
 * processes), users over plain HTTP and a resilient chat client (audit: audit.ts).
 */

export interface FaultClusterOptions<R extends boolean, N extends 1 | 2> {
  /** Start a private Redis and point every node at it (default true). */
  redis?: R;
  /** With Redis: REDIS_PREFIX is `<prefix><8 random hex>:`. */
  prefix?: string;
  /** How many server processes (default 2). */
  nodes?: N;
  /** Added to (or overriding) the nodes' environment. */
  env?: Record<string, string>;
}

export interface FaultCluster<R extends boolean = true, N extends 1 | 2 = 2> {
  postgres: PrivatePostgres;
  redis: R extends true ? PrivateRedis : undefined;
  nodeA: ServerProcess;
  nodeB: N extends 2 ? ServerProcess : undefined;
  /** The environment every node was started with. */
  env: Record<string, string>;
  /** Closes `open` (clients, sockets), stops the nodes, destroys the services, removes UPLOAD_DIR. */
  stop(...open: Iterable<{ close(): void }>[]): Promise<void>;
}

/**
 * A fault test's own servers: a private PostgreSQL (and Redis, unless `redis: false`), an UPLOAD_DIR
 * of its own, and `nodes` server processes sharing them. If any of it fails to start, whatever did
 * start is torn down before the error is thrown.
 */
export async function startFaultCluster<R extends boolean = true, N extends 1 | 2 = 2>(
  options: FaultClusterOptions<R, N>,
): Promise<FaultCluster<R, N>> {
  const withRedis = options.redis ?? true;
  const count = options.nodes ?? 2;
  if (withRedis && !options.prefix) throw new Error('startFaultCluster: a Redis prefix is needed');
  const uploads = mkdtempSync(join(tmpdir(), 'chat-faults-uploads-'));
  let postgres: PrivatePostgres | undefined;
  let redis: PrivateRedis | undefined;
  const nodes: ServerProcess[] = [];
  const stop = async (...open: Iterable<{ close(): void }>[]) => {
    for (const list of open) for (const c of list) c.close();
    await Promise.all(nodes.map((n) => n.stop(2000)));
    await Promise.all([postgres?.destroy(), redis?.destroy()]);
    rmSync(uploads, { recursive: true, force: true });
  };
  try {
    const [pgStarted, redisStarted] = await Promise.allSettled([
      startPrivatePostgres(),
      withRedis ? startPrivateRedis() : undefined,
    ]);
    if (redisStarted.status === 'fulfilled') redis = redisStarted.value;
    if (pgStarted.status === 'rejected') throw pgStarted.reason;
    postgres = pgStarted.value;
    if (redisStarted.status === 'rejected') throw redisStarted.reason;
    const env = processEnv({
      DATABASE_URL: postgres.url,
      ...(redis && {
        REDIS_URL: redis.url,
        REDIS_PREFIX: `${options.prefix}${randomBytes(4).toString('hex')}:`,
        // A user whose sockets all closed is offline after 200 ms (the default is 3 s).
        PRESENCE_GRACE_MS: '200',
      }),
      UPLOAD_DIR: uploads,
      LOG_LEVEL: 'warn',
      SOCKET_EVENT_LIMIT: '1000000',
      DATABASE_POOL_MAX: '10',
      ...options.env,
    });
    // One after the other: they would all migrate at once otherwise (safe, but slower on a busy
    // machine).
    for (let i = 0; i < count; i += 1) nodes.push(await startServerProcess(env));
    return {
      postgres,
      redis: redis as FaultCluster<R, N>['redis'],
      nodeA: nodes[0]!,
      nodeB: nodes[1] as FaultCluster<R, N>['nodeB'],
      env,
      stop,
    };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

export interface Registered {
  id: string;
  username: string;
  accessToken: string;
}

/** The password of every user `register` makes (the convergence test signs them in again). */
export const REGISTERED_PASSWORD = 'long enough pw';

export async function register(url: string): Promise<Registered> {
  const username = `fault_${randomBytes(5).toString('hex')}`;
  const res = await fetch(`${url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username,
      email: `${username}@example.com`,
      password: REGISTERED_PASSWORD,
    }),
  });
  const body = (await res.json()) as { data: { user: { id: string }; accessToken: string } };
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(body)}`);
  return { id: body.data.user.id, username, accessToken: body.data.accessToken };
}

/** Registers `count` users, a few at a time (password hashing is CPU bound). */
export async function registerMany(urls: string[], count: number): Promise<Registered[]> {
  const users: Registered[] = [];
  for (let i = 0; i < count; i += 5) {
    const batch = Array.from({ length: Math.min(5, count - i) }, (_, j) =>
      register(urls[(i + j) % urls.length]!),
    );
    users.push(...(await Promise.all(batch)));
  }
  return users;
}

export async function roomId(url: string, token: string, ref: string): Promise<string> {
  const res = await fetch(`${url}/api/rooms/${ref}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) throw new Error(`get room failed: ${res.status}`);
  return ((await res.json()) as { data: { id: string } }).data.id;
}

export interface Msg {
  id: string;
  room: string;
  seq: number;
  createdAt?: string;
  deleted?: boolean;
}

export interface Ack<T = unknown> {
  success: boolean;
  data?: T;
  error?: { code: string; message: string };
}

export interface Attempt {
  clientId: string;
  /** The node it was sent to. */
  url: string;
  startedAt: number;
  ms: number;
  /**
   * The ack's error code, 'TIMEOUT' without an ack, 'DISCONNECTED' when the socket dropped,
   * 'ACK_LOST' for `sendAckLost`.
   */
  outcome: 'OK' | string;
}

/**
 * A chat client as a real front end would be: one socket (reconnection on), a UUID clientId per
 * message, and the clientIds not yet acknowledged kept for resending. When its node dies it opens
 * a socket to the next node of `urls`; everything received live is kept for the audit.
 */
export class ChatClient {
  socket: ClientSocket | undefined;
  url: string;
  /** id → seq of every new-message received live, per room id. */
  readonly live = new Map<string, Msg[]>();
  /** clientId → the acknowledged message. */
  readonly acked = new Map<string, Msg>();
  /** clientIds sent but not (yet) acknowledged, oldest first. */
  readonly unacked: string[] = [];
  /** The content sent with each unacknowledged clientId: a resend must be the same message. */
  private readonly pending = new Map<string, string>();
  readonly attempts: Attempt[] = [];
  failovers = 0;
  private switching: Promise<void> | undefined;
  private closed = false;

  constructor(
    readonly user: Registered,
    private readonly urls: string[],
    private readonly room: string,
    private readonly ackTimeoutMs = 5000,
  ) {
    this.url = urls[0]!;
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  async open(url = this.url): Promise<void> {
    const socket = connect(url, {
      auth: { token: this.user.accessToken },
      transports: ['websocket'],
      reconnection: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
      forceNew: true,
      timeout: 5000,
    });
    socket.on('new-message', (m: Msg) => {
      const list = this.live.get(m.room) ?? [];
      list.push({ id: m.id, room: m.room, seq: m.seq });
      this.live.set(m.room, list);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => {
        socket.close();
        reject(err);
      });
    });
    socket.on('disconnect', (reason) => {
      if (!this.closed && reason !== 'io client disconnect') void this.failover();
    });
    this.socket = socket;
    this.url = url;
  }

  /** The node went away: give up on it and connect to the first other node that answers. */
  failover(deadlineMs = 20_000): Promise<void> {
    this.switching ??= (async () => {
      this.socket?.close();
      this.failovers += 1;
      const order = [...this.urls.filter((u) => u !== this.url), this.url];
      const deadline = Date.now() + deadlineMs;
      for (let i = 0; !this.closed && Date.now() < deadline; i += 1) {
        try {
          await this.open(order[i % order.length]);
          return;
        } catch {
          await sleep(100);
        }
      }
    })().finally(() => {
      this.switching = undefined;
    });
    return this.switching;
  }

  async ack<T>(event: string, payload: unknown, timeoutMs = this.ackTimeoutMs): Promise<Ack<T>> {
    if (this.switching) await this.switching;
    if (!this.socket?.connected) throw new Error('DISCONNECTED');
    return (await this.socket.timeout(timeoutMs).emitWithAck(event, payload)) as Ack<T>;
  }

  /**
   * One send: a new message, or the oldest unacknowledged one again with the same clientId and the
   * same content (the server refuses a clientId with other content as CONFLICT).
   */
  async sendOne(fresh = `m ${randomBytes(3).toString('hex')}`): Promise<Attempt> {
    const retry = this.unacked.shift();
    const clientId = retry ?? randomUUID();
    const content = (retry && this.pending.get(retry)) ?? fresh;
    this.pending.set(clientId, content);
    const url = this.url;
    const startedAt = Date.now();
    let outcome: string;
    try {
      const reply = await this.ack<Msg>('send-message', { room: this.room, content, clientId });
      if (reply.success && reply.data) {
        const prior = this.acked.get(clientId);
        if (prior && prior.id !== reply.data.id)
          throw new Error(`clientId ${clientId} acked twice`);
        const { id, room, seq, createdAt } = reply.data;
        this.acked.set(clientId, { id, room, seq, createdAt });
        outcome = 'OK';
      } else {
        outcome = reply.error?.code ?? 'NO_ERROR_CODE';
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message.includes('acked twice')) throw err;
      outcome = /timed out/i.test(message) ? 'TIMEOUT' : 'DISCONNECTED';
    }
    if (outcome !== 'OK') this.unacked.unshift(clientId);
    else this.pending.delete(clientId);
    const attempt = { clientId, url, startedAt, ms: Date.now() - startedAt, outcome };
    this.attempts.push(attempt);
    return attempt;
  }

  /**
   * A send whose ack is lost on the way, as when the connection drops just before it arrives: the
   * server stores and acknowledges it, but the client keeps it as unacknowledged (to resend, with the
   * same clientId and content). Returns the clientId and the message the server acknowledged.
   */
  async sendAckLost(
    content = `lost ${randomBytes(3).toString('hex')}`,
  ): Promise<{ clientId: string; message: Msg }> {
    const clientId = randomUUID();
    const startedAt = Date.now();
    const reply = await this.ack<Msg>('send-message', { room: this.room, content, clientId });
    if (!reply.success || !reply.data) throw new Error(`send failed: ${JSON.stringify(reply)}`);
    this.unacked.push(clientId);
    this.pending.set(clientId, content);
    this.attempts.push({
      clientId,
      url: this.url,
      startedAt,
      ms: Date.now() - startedAt,
      outcome: 'ACK_LOST',
    });
    return { clientId, message: reply.data };
  }

  /** Sends one message after another until `stop()` is true. */
  async sendLoop(stop: () => boolean, pauseMs = 0, failPauseMs = 100): Promise<void> {
    while (!stop() && !this.closed) {
      const attempt = await this.sendOne();
      if (attempt.outcome !== 'OK') await sleep(failPauseMs);
      else if (pauseMs > 0) await sleep(pauseMs);
    }
  }

  /** Resends every unacknowledged clientId until all are acknowledged (or the deadline passes). */
  async flush(deadlineMs = 20_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    while (this.unacked.length > 0 && Date.now() < deadline) {
      const attempt = await this.sendOne();
      if (attempt.outcome !== 'OK') await sleep(200);
    }
  }

  /** Everything in the room from seq 0, page by page (`hasMore`). */
  async syncAll(room: string): Promise<Msg[]> {
    const all: Msg[] = [];
    let after = 0;
    for (;;) {
      const reply = await this.ack<{ messages?: Msg[]; hasMore?: boolean; error?: unknown }[]>(
        'sync',
        { rooms: [{ room, after }] },
        10_000,
      );
      const entry = reply.data?.[0];
      if (!reply.success || !entry?.messages)
        throw new Error(`sync failed: ${JSON.stringify(reply.error ?? entry)}`);
      all.push(...entry.messages.map((m) => ({ id: m.id, room: m.room, seq: m.seq })));
      const last = entry.messages.at(-1);
      if (!entry.hasMore || !last) return all;
      after = last.seq;
    }
  }

  close(): void {
    this.closed = true;
    this.socket?.close();
  }
}
