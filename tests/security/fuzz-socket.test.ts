import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../../src/errors.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { addMember, createRoom, sendMessage, type TestUser } from '../helpers/factories.js';
import {
  connectErrorWith,
  connectSocket,
  emitAck,
  type AckResult,
  type ClientSocket,
  handledEvents,
} from '../helpers/sockets.js';
import { hostileBody, hostileString, hostileValue } from './hostile.js';
import { itLeaksNoSecrets, snapshotIntegrity, watchSecrets, type SecretWatch } from './support.js';

/**
 * Property-based fuzzing of every client → server Socket.io event, from a member (owner of one room),
 * a stranger to the rooms and a member who was removed from them: whatever the payload (hostile
 * values, wrong types, binary, extra arguments, none), the ack is `{ success, data | error }` with a
 * known code that is never INTERNAL_ERROR, and the socket stays connected.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
/** The events fuzzed; the first test fails when the server registers one more (or one less). */
const EVENTS = [
  'join-room',
  'leave-room',
  'typing-start',
  'typing-stop',
  'send-message',
  'message-read',
  'user-status',
  'sync',
  'reauth',
];

let t: TestApp;
let watch: SecretWatch;
let fuzzer: TestUser;
let keeper: TestUser;
let socket: ClientSocket;
/** Who fuzzes: the member (`fuzzer`, on `socket`), a stranger and a removed member. */
const CALLERS = ['member', 'stranger', 'removed member'] as const;
type Caller = (typeof CALLERS)[number];
const callers = {} as Record<Caller, { user: TestUser; socket: ClientSocket }>;
let events: string[];
let verifyIntegrity: (newUsers: number) => Promise<void>;
let ids: { rooms: string[]; messages: string[] };

beforeAll(async () => {
  // Generous limits: the point here is the payloads, not the rate limiter or the frame size.
  t = await startTestApp({
    env: { SOCKET_EVENT_LIMIT: '1000000', SOCKET_MAX_PAYLOAD_BYTES: '5000000' },
  });
  watch = watchSecrets(t);
  keeper = await watch.user(t);
  fuzzer = await watch.user(t);
  const stranger = await watch.user(t);
  const removed = await watch.user(t);
  const keepRoom = await createRoom(t, keeper, { type: 'private', members: [fuzzer, removed] });
  const known = await sendMessage(t, keeper, keepRoom.id, 'the known message');
  const ownRoom = await createRoom(t, fuzzer, { type: 'public' });
  await addMember(t, fuzzer, ownRoom.id, removed);
  const own = await sendMessage(t, fuzzer, ownRoom.id, 'mine');
  // The removed member leaves a message behind, then is taken out of both rooms.
  const left = await sendMessage(t, removed, keepRoom.id, 'sent before the removal');
  for (const [owner, room] of [
    [keeper, keepRoom],
    [fuzzer, ownRoom],
  ] as const) {
    const res = await t.http.delete(`/api/rooms/${room.id}/members/${removed.id}`).set(owner.auth);
    if (res.status !== 200) throw new Error(`removal failed: ${res.status}`);
  }
  ids = {
    rooms: [keepRoom.id, ownRoom.id, ownRoom.slug, 'general'],
    messages: [known.id, own.id, left.id],
  };
  verifyIntegrity = await snapshotIntegrity(t, keeper, known);
  socket = await connectSocket(t.url, fuzzer.accessToken);
  callers.member = { user: fuzzer, socket };
  callers.stranger = { user: stranger, socket: await connectSocket(t.url, stranger.accessToken) };
  callers['removed member'] = {
    user: removed,
    socket: await connectSocket(t.url, removed.accessToken),
  };
  const server = t.io.of('/').sockets.get(socket.id!);
  events = server ? handledEvents(server) : [];
});
afterAll(async () => {
  for (const { socket: s } of Object.values(callers)) s.close();
  await t?.stop();
});

/** The known fields of each event's payload, with valid values. */
function specs(): Record<string, Record<string, fc.Arbitrary<unknown>>> {
  const room = fc.constantFrom(...ids.rooms);
  const roomOnly = { room };
  return {
    'join-room': roomOnly,
    'leave-room': roomOnly,
    'typing-start': roomOnly,
    'typing-stop': roomOnly,
    'send-message': {
      room,
      content: fc.string({ minLength: 1, maxLength: 30 }),
      replyTo: fc.constantFrom(...ids.messages),
      clientId: fc.uuid(),
    },
    'message-read': { messageId: fc.constantFrom(...ids.messages) },
    'user-status': { status: fc.constantFrom('online', 'away', 'busy', 'offline') },
    // The fuzzer's own token (accepted), another user's or a mangled one (refused UNAUTHORIZED).
    reauth: {
      token: fc.oneof(
        fc.constantFrom(fuzzer.accessToken, `Bearer ${fuzzer.accessToken}`, keeper.accessToken),
        fc.constantFrom(fuzzer.accessToken).map((tk) => `${tk.slice(0, -4)}AAAA`),
        fc.constantFrom(fuzzer.accessToken).map((tk) => tk.split('.').reverse().join('.')),
      ),
    },
    sync: {
      rooms: fc.array(
        fc.oneof(
          fc.record({ room, after: fc.oneof(fc.nat(), hostileValue) }),
          fc.record({ room, rev: fc.oneof(fc.nat(), hostileValue) }),
          fc.record({ room, after: fc.nat(), rev: fc.nat() }),
        ),
        { maxLength: 3 },
      ),
    },
  };
}

/** A payload: the event's fields (valid, hostile or missing), any hostile value, bytes, nothing. */
function payloads(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      arbitrary: hostileBody(fields).map((text) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return text;
        }
      }),
      weight: 6,
    },
    { arbitrary: hostileValue, weight: 2 },
    { arbitrary: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)), weight: 1 },
    { arbitrary: fc.constant(undefined), weight: 1 },
  );
}

function checkAck(ack: AckResult, what: string): void {
  expect(typeof ack.success, what).toBe('boolean');
  if (!ack.success) {
    const code = ack.error?.code ?? '';
    expect(code, what).not.toBe('INTERNAL_ERROR');
    expect(Object.keys(ERROR_STATUS), `${what}: ${code}`).toContain(code);
  }
}

describe('hostile payloads on every socket event', () => {
  it('fuzzes exactly the events the server registers', () => {
    expect([...events].sort()).toEqual([...EVENTS].sort());
    expect(Object.keys(specs()).sort()).toEqual([...EVENTS].sort());
  });

  // Each event from each caller; join-room last, since it makes the stranger and the removed member
  // members of the public room again.
  const cases = [...EVENTS.filter((e) => e !== 'join-room'), 'join-room'].flatMap((event) =>
    [...CALLERS].reverse().map((caller) => [event, caller] as const),
  );
  it.each(cases)(
    '%s as a %s acks anything with a known code, never INTERNAL_ERROR',
    async (event, caller) => {
      const { user, socket } = callers[caller];
      const input = fc.record({
        payload: payloads(specs()[event]!),
        extra: fc.option(hostileValue, { freq: 4 }),
      });
      await fc.assert(
        fc.asyncProperty(input, async ({ payload, extra }) => {
          const ack =
            extra === null
              ? await emitAck(socket, event, payload)
              : ((await socket.timeout(5000).emitWithAck(event, payload, extra)) as AckResult);
          checkAck(ack, `${caller}: ${event}`);
          if (event === 'reauth' && ack.success) {
            // Only the socket's own token (its user, its session) is ever accepted.
            const token = (payload as { token?: unknown } | null)?.token;
            expect(String(token)).toContain(user.accessToken);
          }
          expect(socket.connected).toBe(true);
        }),
        { numRuns: RUNS },
      );
    },
  );

  it('unknown and prototype-named events are ignored, and the socket keeps working', async () => {
    const reserved = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting']);
    reserved.add('newListener').add('removeListener');
    const name = fc
      .oneof(
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'),
        hostileString.map((s) => s.slice(0, 200)),
      )
      .filter((n) => !reserved.has(n));
    await fc.assert(
      fc.asyncProperty(name, payloads({}), async (event, payload) => {
        socket.emit(event, payload);
      }),
      { numRuns: RUNS },
    );
    const ack = await emitAck(socket, 'user-status', { status: 'online' });
    expect(ack.success).toBe(true);
    expect(socket.connected).toBe(true);
  });
});

describe('hostile handshakes', () => {
  it('any auth.token that is not a live access token gets connect_error UNAUTHORIZED', async () => {
    const token = fc.oneof(
      hostileValue,
      fc.constantFrom('Bearer ', 'Bearer', `Bearer ${'x'.repeat(5000)}`, 'null', '[object Object]'),
    );
    await fc.assert(
      fc.asyncProperty(token, async (value) => {
        const err = await connectErrorWith(t.url, undefined, { auth: { token: value } });
        expect(err.data?.code, JSON.stringify(value)?.slice(0, 100)).toBe('UNAUTHORIZED');
      }),
      { numRuns: RUNS },
    );
    expect(socket.connected).toBe(true);
  });
});

describe('after the fuzzing', () => {
  it('the server is healthy and the data intact', async () => {
    for (const caller of CALLERS) expect(callers[caller].socket.connected, caller).toBe(true);
    await verifyIntegrity(0);
  });
});

itLeaksNoSecrets(() => watch);
