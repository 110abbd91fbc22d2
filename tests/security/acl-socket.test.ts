import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { roomChannel } from '../../src/realtime/channels.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  connectError,
  connectSocket,
  emitAck,
  type AckResult,
  type ClientSocket,
  handledEvents,
} from '../helpers/sockets.js';
import { buildFixture, deleteRoom, type Fixture, type RoomKind } from './fixtures.js';
import {
  CALLERS,
  TOKEN_CALLERS,
  buildCast,
  itLeaksNoSecrets,
  watchSecrets,
  type Caller,
  type Cast,
  type SecretWatch,
  type SignedCaller,
} from './support.js';

/**
 * The access-control matrix of every client → server Socket.io event. The callers without a valid
 * session never get a socket (connect_error UNAUTHORIZED); the others get the ack's error code, or OK.
 * `deleted` is the owner's socket, connected while the room existed, after the owner deleted it.
 */
type Outcome = string;
type Cells = Record<Caller, Outcome>;

interface SocketRow {
  event: string;
  kind: RoomKind;
  expect: Cells;
  /** Cells expected to succeed get a fresh room: they change it. */
  mutates?: boolean;
  payload: (fx: Fixture, cast: Cast) => unknown;
  /** What counts as the outcome; by default the ack's error code, or OK. */
  outcome?: (ack: AckResult) => Outcome;
}

const cells = (s: Record<SignedCaller, Outcome>): Cells => ({
  none: 'UNAUTHORIZED',
  expired: 'UNAUTHORIZED',
  tampered: 'UNAUTHORIZED',
  revoked: 'UNAUTHORIZED',
  ...s,
});
const inRoom = (stranger: Outcome) =>
  cells({ stranger, member: 'OK', admin: 'OK', owner: 'OK', deleted: 'NOT_FOUND' });
const ackOutcome = (ack: AckResult): Outcome => (ack.success ? 'OK' : (ack.error?.code ?? '?'));
/** `sync` answers per room: a room the caller cannot read comes back with its error code. */
const syncOutcome = (ack: AckResult<{ error?: { code: string } }[]>): Outcome =>
  ack.success ? (ack.data?.[0]?.error?.code ?? 'OK') : (ack.error?.code ?? '?');

const roomPayload = (fx: Fixture) => ({ room: fx.room.id });

/** Per event: the private-room row, and the public room's stranger cell (undefined: no public row). */
const EVENTS: (Omit<SocketRow, 'kind' | 'expect'> & { stranger?: Outcome; expect?: Cells })[] = [
  { event: 'join-room', payload: roomPayload, stranger: 'OK', mutates: true },
  { event: 'leave-room', payload: roomPayload, stranger: 'FORBIDDEN', mutates: true },
  {
    event: 'send-message',
    payload: (fx) => ({ room: fx.room.id, content: 'socket matrix' }),
    stranger: 'FORBIDDEN',
  },
  { event: 'typing-start', payload: roomPayload, stranger: 'FORBIDDEN' },
  { event: 'typing-stop', payload: roomPayload, stranger: 'FORBIDDEN' },
  {
    event: 'message-read',
    payload: (fx) => ({ messageId: fx.ownerMessage.id }),
    stranger: 'FORBIDDEN',
  },
  {
    event: 'sync',
    payload: (fx) => ({ rooms: [{ room: fx.room.id, after: 0 }] }),
    outcome: syncOutcome as (ack: AckResult) => Outcome,
    stranger: 'FORBIDDEN',
  },
  {
    event: 'user-status',
    payload: () => ({ status: 'busy' }),
    expect: cells({ stranger: 'OK', member: 'OK', admin: 'OK', owner: 'OK', deleted: 'OK' }),
  },
  {
    // The member's token: only the member's own socket (same user, same session) may take it.
    event: 'reauth',
    payload: (_fx, c) => ({ token: c.member.accessToken }),
    expect: cells({
      stranger: 'UNAUTHORIZED',
      member: 'OK',
      admin: 'UNAUTHORIZED',
      owner: 'UNAUTHORIZED',
      deleted: 'UNAUTHORIZED',
    }),
  },
];

const SOCKET_ROWS: SocketRow[] = EVENTS.flatMap(({ stranger, expect, ...rest }) => {
  const rows: SocketRow[] = [{ ...rest, kind: 'private', expect: expect ?? inRoom('NOT_FOUND') }];
  if (stranger) rows.push({ ...rest, kind: 'public', expect: inRoom(stranger) });
  return rows;
});

let t: TestApp;
let watch: SecretWatch;
let cast: Cast;
const live = new Map<RoomKind, Promise<Fixture>>();
/** Per kind: a room the owner deleted while this socket of theirs was subscribed to it. */
const deleted = new Map<RoomKind, Promise<{ fx: Fixture; socket: ClientSocket }>>();
const open = new Set<ClientSocket>();

beforeAll(async () => {
  t = await startTestApp({ env: { SOCKET_EVENT_LIMIT: '100000' } });
  watch = watchSecrets(t);
  cast = await buildCast(t, watch);
});
afterEach(() => {
  for (const s of open) s.close();
  open.clear();
});
afterAll(async () => {
  for (const entry of deleted.values()) (await entry).socket.close();
  await t?.stop();
});

function liveFixture(kind: RoomKind): Promise<Fixture> {
  if (!live.has(kind)) live.set(kind, buildFixture(t, cast, kind));
  return live.get(kind)!;
}

function deletedFixture(kind: RoomKind) {
  if (!deleted.has(kind)) {
    deleted.set(
      kind,
      (async () => {
        const fx = await buildFixture(t, cast, kind);
        const socket = await connectSocket(t.url, cast.owner.accessToken);
        await deleteRoom(t, cast, fx.room.id);
        return { fx, socket };
      })(),
    );
  }
  return deleted.get(kind)!;
}

async function runCell(row: SocketRow, caller: Caller): Promise<Outcome> {
  const token = cast.tokens[caller];
  if ((TOKEN_CALLERS as readonly string[]).includes(caller)) {
    const err = await connectError(t.url, token);
    return `${err.data?.code ?? err.message}`;
  }
  const outcome = row.outcome ?? ackOutcome;
  if (caller === 'deleted') {
    const { fx, socket } = await deletedFixture(row.kind);
    return outcome(await emitAck(socket, row.event, row.payload(fx, cast)));
  }
  const fresh = row.mutates && row.expect[caller] === 'OK';
  const fx = fresh ? await buildFixture(t, cast, row.kind) : await liveFixture(row.kind);
  const socket = await connectSocket(t.url, token);
  open.add(socket);
  return outcome(await emitAck(socket, row.event, row.payload(fx, cast)));
}

describe('the socket matrix covers every event', () => {
  it('has rows for exactly the events the server registers on a socket', async () => {
    const socket = await connectSocket(t.url, cast.member.accessToken);
    open.add(socket);
    const server = t.io.of('/').sockets.get(socket.id!);
    const registered = server ? handledEvents(server) : [];
    expect(registered.length).toBeGreaterThan(0);
    expect([...new Set(SOCKET_ROWS.map((r) => r.event))].sort()).toEqual(registered.sort());
  });
});

describe.each(['private', 'public'] as const)('socket access on a %s room', (kind) => {
  const rows = SOCKET_ROWS.filter((r) => r.kind === kind);
  it.each(rows.map((r) => [r.event, r] as const))('%s', async (_event, row) => {
    const outcomes = {} as Cells;
    for (const caller of CALLERS) outcomes[caller] = await runCell(row, caller);
    expect(outcomes).toEqual(row.expect);
  });
});

describe('a socket of a deleted room', () => {
  it('was unsubscribed when the room went: it hears nothing more from it', async () => {
    const { socket } = await deletedFixture('private');
    expect(socket.connected).toBe(true);
    const server = t.io.of('/').sockets.get(socket.id!);
    const { fx } = await deletedFixture('private');
    expect(server?.rooms.has(roomChannel(fx.room.id))).toBe(false);
  });
});

itLeaksNoSecrets(() => watch);
