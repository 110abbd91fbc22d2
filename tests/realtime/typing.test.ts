import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createRoom, createUser, type TestRoom, type TestUser } from '../helpers/factories.js';
import { socketPool } from '../helpers/sockets.js';
import { barrier, roundTrip } from './support.js';

interface Typing {
  room: string;
  userId: string;
  username: string;
  isTyping: boolean;
}

const sockets = socketPool();
afterEach(() => sockets.closeAll());

/** An app with its typing timeout, and a private room of Alice and Bob in it. */
function setup(timeoutMs: number) {
  const ctx = {} as { t: TestApp; alice: TestUser; bob: TestUser; room: TestRoom };
  beforeAll(async () => {
    ctx.t = await startTestApp({ env: { TYPING_TIMEOUT_MS: String(timeoutMs) } });
    ctx.alice = await createUser(ctx.t);
    ctx.bob = await createUser(ctx.t);
    ctx.room = await createRoom(ctx.t, ctx.alice, { members: [ctx.bob] });
  });
  afterAll(async () => {
    await ctx.t?.stop();
  });
  return ctx;
}

describe('typing with a long timeout', () => {
  const ctx = setup(30_000);
  const from = (user: TestUser, isTyping: boolean) => (e: Typing) =>
    e.userId === user.id && e.isTyping === isTyping;

  it("typing-start acks the room and reaches the others as user-typing, not the typist's own sockets", async () => {
    const { t, alice, bob, room } = ctx;
    const typist = await sockets.connect(t.url, alice.accessToken);
    const typistTab = await sockets.connect(t.url, alice.accessToken);
    const reader = await sockets.connect(t.url, bob.accessToken);
    const reply = await typist.ack('typing-start', { room: room.id });
    expect(reply).toEqual({ success: true, data: { room: room.id } });
    expect(await reader.waitFor<Typing>('user-typing', from(alice, true))).toEqual({
      room: room.id,
      userId: alice.id,
      username: alice.username,
      isTyping: true,
    });
    await barrier(t, bob, room.id, [typist, typistTab, reader]);
    expect(typist.payloads('user-typing')).toEqual([]);
    expect(typistTab.payloads('user-typing')).toEqual([]);
    await typist.ack('typing-stop', { room: room.id });
  });

  it('repeated typing-start is announced once; typing-stop sends isTyping false', async () => {
    const { t, alice, bob, room } = ctx;
    const typist = await sockets.connect(t.url, alice.accessToken);
    const reader = await sockets.connect(t.url, bob.accessToken);
    for (let i = 0; i < 3; i += 1) await typist.ack('typing-start', { room: room.slug });
    const stop = await typist.ack('typing-stop', { room: room.id });
    expect(stop).toEqual({ success: true, data: { room: room.id } });
    expect(await reader.waitFor<Typing>('user-typing', from(alice, false))).toEqual({
      room: room.id,
      userId: alice.id,
      username: alice.username,
      isTyping: false,
    });
    await barrier(t, alice, room.id, [reader]);
    expect(reader.payloads<Typing>('user-typing', from(alice, true))).toHaveLength(1);
    expect(reader.payloads<Typing>('user-typing', from(alice, false))).toHaveLength(1);
  });

  it('typing-stop without a typing-start tells no one', async () => {
    const { t, alice, bob, room } = ctx;
    const typist = await sockets.connect(t.url, alice.accessToken);
    const reader = await sockets.connect(t.url, bob.accessToken);
    expect((await typist.ack('typing-stop', { room: room.id })).success).toBe(true);
    await barrier(t, alice, room.id, [reader]);
    expect(reader.payloads('user-typing')).toEqual([]);
  });

  it("stops when the typist's socket disconnects", async () => {
    const { t, alice, bob, room } = ctx;
    const typist = await sockets.connect(t.url, alice.accessToken);
    const reader = await sockets.connect(t.url, bob.accessToken);
    await typist.ack('typing-start', { room: room.id });
    await reader.waitFor<Typing>('user-typing', from(alice, true));
    typist.close();
    expect(await reader.waitFor<Typing>('user-typing', from(alice, false))).toMatchObject({
      room: room.id,
      isTyping: false,
    });
  });

  it('in a private room the user is not in acks NOT_FOUND; in an unjoined public room FORBIDDEN', async () => {
    const { t, alice } = ctx;
    const outsider = await createUser(t);
    const open = await createRoom(t, alice, { type: 'public' });
    const s = await sockets.connect(t.url, outsider.accessToken);
    for (const event of ['typing-start', 'typing-stop']) {
      expect(await s.ack(event, { room: ctx.room.id })).toMatchObject({
        success: false,
        error: { code: 'NOT_FOUND' },
      });
      expect(await s.ack(event, { room: open.id })).toMatchObject({
        success: false,
        error: { code: 'FORBIDDEN' },
      });
    }
  });

  it('with a bad payload acks VALIDATION_ERROR', async () => {
    const s = await sockets.connect(ctx.t.url, ctx.alice.accessToken);
    for (const payload of [undefined, {}, { room: '' }, { room: ctx.room.id, x: 1 }, [ctx.room.id]])
      expect(await s.ack('typing-start', payload)).toMatchObject({
        success: false,
        error: { code: 'VALIDATION_ERROR' },
      });
  });
});

const SHORT_TIMEOUT_MS = 500;

describe('typing with a short timeout', () => {
  const ctx = setup(SHORT_TIMEOUT_MS);

  it('stops by itself without a new typing-start, with isTyping false, not before the timeout', async () => {
    const { t, alice, bob, room } = ctx;
    const typist = await sockets.connect(t.url, alice.accessToken);
    const reader = await sockets.connect(t.url, bob.accessToken);
    const stopped = (e: Typing) => e.userId === alice.id && !e.isTyping;
    const startedAt = Date.now();
    await typist.ack('typing-start', { room: room.id });
    await reader.waitFor<Typing>('user-typing', (e) => e.userId === alice.id && e.isTyping);
    // Right after the start, nothing has stopped it yet: whatever the server had emitted to the
    // reader by then has arrived after a round trip.
    await roundTrip(reader);
    expect(reader.payloads<Typing>('user-typing', stopped)).toEqual([]);
    expect(await reader.waitFor<Typing>('user-typing', stopped)).toEqual({
      room: room.id,
      userId: alice.id,
      username: alice.username,
      isTyping: false,
    });
    // A lower bound only (timers never fire early; a busy machine only makes it later), with a
    // margin for clock granularity.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(SHORT_TIMEOUT_MS - 50);
    // The socket is still connected: the stop came from the timeout.
    expect(typist.socket.connected).toBe(true);
  });
});
