import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { roomChannel } from '../../src/realtime/channels.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createRoom, createUser, type TestUser } from '../helpers/factories.js';
import { socketPool } from '../helpers/sockets.js';

/**
 * The handshake reads the user's rooms, and the socket joins them a moment later. A removal committed
 * while that read is on its way must still take effect. The read is held back here (the real query
 * runs first; only its answer waits) so that the removal lands exactly in that window every time.
 */
const gate = vi.hoisted(() => {
  let open: () => void = () => {};
  let reached: () => void = () => {};
  const state = {
    closed: false,
    wait: Promise.resolve(),
    reached: Promise.resolve(),
    close() {
      state.closed = true;
      state.wait = new Promise<void>((r) => (open = r));
      state.reached = new Promise<void>((r) => (reached = r));
    },
    arrive() {
      reached();
    },
    open() {
      state.closed = false;
      open();
    },
  };
  return state;
});

vi.mock('../../src/modules/rooms/rooms.repo.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/modules/rooms/rooms.repo.js')>();
  return {
    ...original,
    async listRoomIdsOfUser(...args: Parameters<typeof original.listRoomIdsOfUser>) {
      const ids = await original.listRoomIdsOfUser(...args);
      if (gate.closed) {
        gate.arrive();
        await gate.wait;
      }
      return ids;
    },
  };
});

let t: TestApp;
let owner: TestUser;
let member: TestUser;
const sockets = socketPool();

beforeAll(async () => {
  t = await startTestApp();
  [owner, member] = await Promise.all([createUser(t), createUser(t)]);
});
afterAll(async () => {
  sockets.closeAll();
  await t?.stop();
});

async function follows(roomId: string): Promise<boolean> {
  return (await t.io.local.in(roomChannel(roomId)).fetchSockets()).some(
    (s) => (s.data as { actor: { userId: string } }).actor.userId === member.id,
  );
}

describe('a membership change while a socket connects', () => {
  it('a removal committed while the handshake reads the rooms leaves the socket unsubscribed', async () => {
    const room = await createRoom(t, owner, { type: 'private', members: [member] });
    gate.close();
    const connecting = sockets.connect(t.url, member.accessToken);
    await gate.reached; // the rooms were read, with this room among them
    const removal = await t.http
      .delete(`/api/rooms/${room.id}/members/${member.id}`)
      .set(owner.auth);
    expect(removal.status).toBe(200);
    gate.open();
    await connecting;
    expect(await follows(room.id)).toBe(false);
  });

  it('an addition committed while the handshake reads the rooms leaves the socket subscribed', async () => {
    const room = await createRoom(t, owner, { type: 'private' });
    gate.close();
    const connecting = sockets.connect(t.url, member.accessToken);
    await gate.reached; // the rooms were read, without this room
    const added = await t.http
      .post(`/api/rooms/${room.id}/members`)
      .set(owner.auth)
      .send({ userId: member.id });
    expect(added.status).toBe(201);
    gate.open();
    await connecting;
    expect(await follows(room.id)).toBe(true);
  });
});
