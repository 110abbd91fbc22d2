import { registerMany, roomId, type Registered } from '../faults/support.js';
import { sleep } from '../helpers/sockets.js';
import { User } from './actions.js';
import { ConvergenceClient } from './client.js';
import { inject, planFaults, type FaultLog, type NodeSet } from './faults.js';
import type { Rng } from './random.js';
import { print, type Recorder } from './recorder.js';

/** Users, rooms and the run itself: random actions of every user while faults are injected. */

async function call(url: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as { data?: { id: string } };
  if (res.status >= 300)
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.data!;
}

export interface Cast {
  users: Registered[];
  /** Every room of the run: general first. */
  rooms: string[];
  /** user id → the rooms they are a member of. */
  roomsOf: Map<string, string[]>;
  /** The rooms the run created (not general) → their owner and type: who moderates them. */
  owners: Map<string, { owner: Registered; type: 'public' | 'private' }>;
}

/**
 * `count` users, all in `general` (joined at registration), plus one public and two private rooms,
 * each created by one user and joined by about half of the others.
 */
export async function setUpCast(rng: Rng, urls: string[], count: number): Promise<Cast> {
  const users = await registerMany(urls, count);
  const general = await roomId(urls[0]!, users[0]!.accessToken, 'general');
  const roomsOf = new Map(users.map((u) => [u.id, [general]]));
  const rooms = [general];
  const owners: Cast['owners'] = new Map();
  const kinds = ['public', 'private', 'private'] as const;
  for (const [i, type] of kinds.entries()) {
    const owner = users[i]!;
    const url = urls[i % urls.length]!;
    const room = await call(url, owner.accessToken, 'POST', '/api/rooms', {
      name: `convergence ${type} ${i} ${rng.token()}`,
      type,
    });
    rooms.push(room.id);
    owners.set(room.id, { owner, type });
    roomsOf.get(owner.id)!.push(room.id);
    for (const user of users) {
      if (user === owner || !rng.chance(0.5)) continue;
      if (type === 'public')
        await call(url, user.accessToken, 'POST', `/api/rooms/${room.id}/join`);
      else
        await call(url, owner.accessToken, 'POST', `/api/rooms/${room.id}/members`, {
          userId: user.id,
        });
      roomsOf.get(user.id)!.push(room.id);
    }
  }
  return { users, rooms, roomsOf, owners };
}

export interface RunResult {
  users: User[];
  faults: FaultLog;
  ms: number;
}

/**
 * Every user acts `actions / users` times (a short random pause between actions) on a socket to a
 * random node, while the planned faults are injected as the shared action count passes them.
 */
export async function runActions(
  rng: Rng,
  cast: Cast,
  set: NodeSet,
  redisUrl: string,
  rec: Recorder,
  actions: number,
  clients: ConvergenceClient[],
): Promise<RunResult> {
  const started = Date.now();
  const urls = set.nodes.map((n) => n.url);
  const users = cast.users.map((u, i) => {
    const name = `u${i}`;
    const client = new ConvergenceClient(
      name,
      u,
      cast.roomsOf.get(u.id)!,
      urls,
      rng.fork(1000 + i),
      rec,
    );
    clients.push(client);
    return new User(
      client,
      rng.fork(i),
      rng.fork(2000 + i),
      rec,
      cast.users.map((x) => x.username),
      cast.owners,
    );
  });
  await Promise.all(users.map((u, i) => u.client.reconnect(urls[i % urls.length])));
  await Promise.all(users.map((u) => u.client.settle()));

  const progress = { done: 0 };
  const faults: FaultLog = { injected: [], clock: () => rec.elapsed() };
  const plan = planFaults(rng.fork(3000), actions);
  const faultRng = rng.fork(4000);
  let finished = false;
  const injecting = (async () => {
    for (const fault of plan) {
      while (progress.done < fault.at && !finished) await sleep(10);
      if (finished) break;
      await inject(fault, faultRng, set, redisUrl, faults);
    }
  })();

  // A run that stops moving says where each user is, before the test's timeout hides it.
  let last = { done: -1, at: Date.now() };
  const watchdog = setInterval(() => {
    if (progress.done !== last.done) last = { done: progress.done, at: Date.now() };
    else if (Date.now() - last.at > 30_000) {
      last.at = Date.now();
      const where = users.map((u) => `${u.client.name}:${u.doing}:${u.client.describe()}`);
      rec.fail(`no action finished for 30 s at ${progress.done}: ${where.join(' ')}`);
      print(`convergence stalled (seed ${rec.seed}): ${rec.failures.at(-1)}`);
      for (const line of rec.failures.slice(-6, -1)) print(`  before that: ${line}`);
    }
  }, 1000);
  try {
    await Promise.all(
      users.map(async (user, i) => {
        const quota = Math.floor(actions / users.length) + (i < actions % users.length ? 1 : 0);
        const pause = rng.fork(5000 + i);
        for (let n = 0; n < quota; n += 1) {
          await user.step();
          progress.done += 1;
          await sleep(pause.int(0, 40));
        }
      }),
    );
  } finally {
    finished = true;
    clearInterval(watchdog);
  }
  await injecting;
  await faults.restarting;
  return { users, faults, ms: Date.now() - started };
}

/** Resolves once every URL answers /health with 200 (or throws after `ms`). */
export async function bothNodesUp(urls: string[], ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (const url of urls) {
    for (;;) {
      const status = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`${url} not healthy after ${ms} ms`);
      await sleep(100);
    }
  }
}
