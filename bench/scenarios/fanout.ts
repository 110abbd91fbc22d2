import {
  createRoom,
  joinRoom,
  mapLimit,
  registerUsers,
  runTag,
  type BenchUser,
} from '../lib/api.js';
import type { BenchContext } from '../lib/context.js';
import { runFanout, type FanoutRun } from '../lib/fanout-engine.js';
import type { ClientSpec } from '../lib/protocol.js';

export interface FanoutSetup {
  /** members[r] are the users of room r (its creator first). */
  members: BenchUser[][];
  roomIds: string[];
}

/**
 * `clients` users in `rooms` public rooms of equal size (by default --clients and --rooms): the first
 * member creates the room over REST, the others join it with POST /api/rooms/:id/join. Every user is
 * also in `general` (never sent to). Shared by fanout and cluster within one run; tokens outlive server
 * restarts (same database).
 */
export async function fanoutSetup(
  ctx: BenchContext,
  baseUrl: string,
  print: (l: string) => void,
  size: { clients: number; rooms: number } = ctx.opts,
): Promise<FanoutSetup> {
  const { clients, rooms } = size;
  const key = `fanout:${clients}:${rooms}`;
  const cached = ctx.cache.get(key) as FanoutSetup | undefined;
  if (cached) return cached;
  // Another size in the same run (the ejabberd scenario's) gets its own user and room names.
  const kind =
    clients === ctx.opts.clients && rooms === ctx.opts.rooms ? 'f' : `f${clients}x${rooms}`;
  const t0 = performance.now();
  const users = await registerUsers(baseUrl, kind, clients);
  print(
    `[setup] registered ${users.length} users in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const members: BenchUser[][] = Array.from({ length: rooms }, () => []);
  users.forEach((u, i) => members[i % rooms]!.push(u));
  const roomIds = await mapLimit(members, 8, (m, r) =>
    createRoom(baseUrl, m[0]!.token, `bench ${runTag} ${kind} room ${r}`),
  );
  const joins = members.flatMap((m, r) => m.slice(1).map((u) => ({ u, room: roomIds[r]! })));
  await mapLimit(joins, 16, ({ u, room }) => joinRoom(baseUrl, u.token, room));
  print(
    `[setup] ${rooms} rooms created and joined in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const setup = { members, roomIds };
  ctx.cache.set(key, setup);
  return setup;
}

/** Socket specs: every member of every room, spread over `urls` alternately within each room. */
export function fanoutClients(
  setup: FanoutSetup,
  urls: string[],
  withTokens: boolean,
): ClientSpec[] {
  return setup.members.flatMap((m, r) =>
    m.map((u, i) => ({
      url: urls[i % urls.length]!,
      token: withTokens ? u.token : undefined,
      room: setup.roomIds[r]!,
    })),
  );
}

export interface FanoutResult {
  server: FanoutRun;
  relay: FanoutRun;
}

export async function fanoutScenario(
  ctx: BenchContext,
  print: (l: string) => void,
): Promise<FanoutResult> {
  const { rates, duration, clientId } = ctx.opts;
  const server = await ctx.startServer('fanout-server');
  let serverRun: FanoutRun;
  try {
    const setup = await fanoutSetup(ctx, server.url, print);
    serverRun = await runFanout({
      label: 'fanout/server',
      nodes: [server],
      clients: fanoutClients(setup, [server.url], true),
      rates,
      durationS: duration,
      clientId,
      print,
      database: ctx.db.name,
    });
  } finally {
    await ctx.stop(server);
  }
  const relay = await ctx.startRelay('fanout-relay');
  try {
    const setup = ctx.cache.get(`fanout:${ctx.opts.clients}:${ctx.opts.rooms}`) as FanoutSetup;
    const relayRun = await runFanout({
      label: 'fanout/relay',
      nodes: [relay],
      clients: fanoutClients(setup, [relay.url], false),
      rates,
      durationS: duration,
      clientId,
      print,
      database: ctx.db.name,
    });
    return { server: serverRun, relay: relayRun };
  } finally {
    await ctx.stop(relay);
  }
}
