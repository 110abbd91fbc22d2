import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  addMember,
  createRoom,
  createUser,
  listMessages,
  type TestMessage,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';
import { socketPool } from '../helpers/sockets.js';
import { barrier } from './support.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let room: TestRoom;
const sockets = socketPool();

beforeAll(async () => {
  t = await startTestApp({
    env: {
      SOCKET_MESSAGE_LIMIT: '3',
      SOCKET_MESSAGE_WINDOW_MS: '60000',
      SOCKET_EVENT_LIMIT: '8',
      SOCKET_MAX_PAYLOAD_BYTES: '2000',
    },
  });
  alice = await createUser(t);
  bob = await createUser(t);
  room = await createRoom(t, alice, { members: [bob] });
});
afterEach(() => sockets.closeAll());
afterAll(async () => {
  await t?.stop();
});

/** A new member of the room: `send-message` is counted per user, so each test sends as its own. */
async function newMember(): Promise<TestUser> {
  const user = await createUser(t);
  await addMember(t, alice, room.id, user);
  return user;
}

const rateLimited = {
  success: false,
  error: { code: 'RATE_LIMITED', message: expect.any(String) },
};

describe('send-message rate limit (SOCKET_MESSAGE_LIMIT 3)', () => {
  it('acks the 4th send-message in the window RATE_LIMITED, delivers only 3, and keeps the socket', async () => {
    const spammer = await sockets.connect(t.url, alice.accessToken);
    const reader = await sockets.connect(t.url, bob.accessToken);
    const replies = [];
    for (let i = 1; i <= 5; i += 1)
      replies.push(await spammer.ack('send-message', { room: room.id, content: `spam ${i}` }));
    expect(replies.slice(0, 3).every((r) => r.success)).toBe(true);
    expect(replies[3]).toMatchObject(rateLimited);
    expect(replies[4]).toMatchObject(rateLimited);

    expect(spammer.socket.connected).toBe(true);
    expect((await spammer.ack('typing-stop', { room: room.id })).success).toBe(true);

    await barrier(t, bob, room.id, [reader]);
    const spam = reader.payloads<TestMessage>('new-message', (m) => m.content.startsWith('spam'));
    expect(spam.map((m) => m.content)).toEqual(['spam 1', 'spam 2', 'spam 3']);
    const { data } = await listMessages(t, bob, room.id, 'limit=100');
    expect(data.filter((m) => 'content' in m && m.content.startsWith('spam '))).toHaveLength(3);
  });

  it('counts per user: another socket of the same user is refused too', async () => {
    const carol = await newMember();
    const first = await sockets.connect(t.url, carol.accessToken);
    const second = await sockets.connect(t.url, carol.accessToken);
    for (let i = 0; i < 3; i += 1)
      await first.ack('send-message', { room: room.id, content: `first ${i}` });
    expect(await first.ack('send-message', { room: room.id, content: 'over' })).toMatchObject(
      rateLimited,
    );
    const reply = await second.ack('send-message', { room: room.id, content: 'second tab' });
    expect(reply).toMatchObject(rateLimited);
  });
});

describe('other events rate limit (SOCKET_EVENT_LIMIT 8)', () => {
  it('acks the 9th event in the window RATE_LIMITED and keeps the socket connected', async () => {
    const s = await sockets.connect(t.url, (await newMember()).accessToken);
    const replies = [];
    for (let i = 0; i < 10; i += 1) replies.push(await s.ack('typing-stop', { room: room.id }));
    expect(replies.slice(0, 8).every((r) => r.success)).toBe(true);
    expect(replies[8]).toMatchObject(rateLimited);
    expect(replies[9]).toMatchObject(rateLimited);
    expect(s.socket.connected).toBe(true);
    // send-message has its own budget.
    expect((await s.ack('send-message', { room: room.id, content: 'still can' })).success).toBe(
      true,
    );
  });
});

describe('an over-size payload (SOCKET_MAX_PAYLOAD_BYTES 2000)', () => {
  for (const transport of ['websocket', 'polling'] as const) {
    it(`of 10 kB over ${transport} disconnects only that client; others and the server carry on`, async () => {
      const big = await sockets.connect(t.url, alice.accessToken, { transports: [transport] });
      const other = await sockets.connect(t.url, bob.accessToken);
      big.socket.emit('send-message', { room: room.id, content: 'x'.repeat(10_000) });
      const reason = await big.disconnected();
      expect(reason).toMatch(/transport (close|error)/);

      expect(other.socket.connected).toBe(true);
      const reply = await other.ack<TestMessage>('send-message', {
        room: room.id,
        content: 'others unaffected',
      });
      expect(reply.success).toBe(true);
      expect((await t.http.get('/health')).status).toBe(200);
      const { data } = await listMessages(t, bob, room.id, 'limit=100');
      expect(data.some((m) => 'content' in m && m.content.startsWith('xxxx'))).toBe(false);

      // The client may come back.
      const again = await sockets.connect(t.url, alice.accessToken, { transports: [transport] });
      expect((await again.ack('typing-stop', { room: room.id })).success).toBe(true);
    });
  }
});
