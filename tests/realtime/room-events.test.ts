import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  myRoom,
  openDirect,
  sendMessage,
  type TestMessage,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';
import { socketPool } from '../helpers/sockets.js';
import { barrier, leaveGeneral, roundTrip } from './support.js';

let t: TestApp;
let owner: TestUser;
let joiner: TestUser;
let outsider: TestUser;
const sockets = socketPool();

beforeAll(async () => {
  t = await startTestApp();
  [owner, joiner, outsider] = [await createUser(t), await createUser(t), await createUser(t)];
});
afterEach(() => sockets.closeAll());
afterAll(async () => {
  await t?.stop();
});

describe('join-room', () => {
  it('on a public room acks the room with myRole member and subscribes every socket of the user', async () => {
    const room = await createRoom(t, owner, { type: 'public' });
    const tab1 = await sockets.connect(t.url, joiner.accessToken);
    const tab2 = await sockets.connect(t.url, joiner.accessToken);
    const reply = await tab1.ack<TestRoom>('join-room', { room: room.id });
    expect(reply).toMatchObject({
      success: true,
      data: { id: room.id, type: 'public', myRole: 'member' },
    });
    expect((await myRoom(t, joiner, room.id))?.myRole).toBe('member');

    const sent = await sendMessage(t, owner, room.id, 'welcome');
    for (const tab of [tab1, tab2])
      await tab.waitFor<TestMessage>('new-message', (m) => m.id === sent.id);
  });

  it('by slug twice is idempotent and acks success both times', async () => {
    const room = await createRoom(t, owner, { type: 'public' });
    const s = await sockets.connect(t.url, joiner.accessToken);
    expect((await s.ack('join-room', { room: room.slug })).success).toBe(true);
    expect((await s.ack('join-room', { room: room.slug })).success).toBe(true);
  });

  it('tells the members of the room with member-joined', async () => {
    const room = await createRoom(t, owner, { type: 'public' });
    const o = await sockets.connect(t.url, owner.accessToken);
    const s = await sockets.connect(t.url, joiner.accessToken);
    await s.ack('join-room', { room: room.id });
    const event = await o.waitFor<{ room: string; user: { id: string } }>(
      'member-joined',
      (e) => e.room === room.id,
    );
    expect(event.user.id).toBe(joiner.id);
  });

  it('on a private room by a non-member acks NOT_FOUND and subscribes nothing', async () => {
    const room = await createRoom(t, owner, { type: 'private' });
    await leaveGeneral(t, outsider);
    const s = await sockets.connect(t.url, outsider.accessToken);
    const reply = await s.ack('join-room', { room: room.id });
    expect(reply).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    await sendMessage(t, owner, room.id, 'private talk');
    await roundTrip(s);
    expect(s.payloads('new-message')).toEqual([]);
  });

  it('on a room that does not exist acks NOT_FOUND', async () => {
    const s = await sockets.connect(t.url, joiner.accessToken);
    const reply = await s.ack('join-room', { room: 'does-not-exist' });
    expect(reply).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });

  it('on a direct room of two other users acks NOT_FOUND', async () => {
    const direct = await openDirect(t, owner, joiner);
    const s = await sockets.connect(t.url, outsider.accessToken);
    const reply = await s.ack('join-room', { room: direct.id });
    expect(reply).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });

  it('with a bad payload acks VALIDATION_ERROR', async () => {
    const s = await sockets.connect(t.url, joiner.accessToken);
    for (const payload of [undefined, {}, { room: '' }, { room: 5 }, { room: 'x'.repeat(101) }])
      expect(await s.ack('join-room', payload)).toMatchObject({
        success: false,
        error: { code: 'VALIDATION_ERROR' },
      });
  });
});

describe('leave-room', () => {
  it('acks { room, left: true } and every socket of the user stops receiving the room', async () => {
    const room = await createRoom(t, owner, { type: 'public' });
    const o = await sockets.connect(t.url, owner.accessToken);
    const tab1 = await sockets.connect(t.url, joiner.accessToken);
    const tab2 = await sockets.connect(t.url, joiner.accessToken);
    await tab1.ack('join-room', { room: room.id });

    const reply = await tab1.ack('leave-room', { room: room.id });
    expect(reply).toEqual({ success: true, data: { room: room.id, left: true } });
    expect(await myRoom(t, joiner, room.id)).toBeUndefined();
    await o.waitFor<{ room: string; userId: string }>(
      'member-left',
      (e) => e.room === room.id && e.userId === joiner.id,
    );

    await sendMessage(t, owner, room.id, 'after you left');
    // The joiner is still in general with the owner: a barrier there proves the room message is not coming.
    await barrier(t, owner, 'general', [tab1, tab2]);
    for (const tab of [tab1, tab2])
      expect(tab.payloads<TestMessage>('new-message', (m) => m.room === room.id)).toEqual([]);
  });

  it('tells the user own sockets room-left', async () => {
    const room = await createRoom(t, owner, { type: 'public' });
    const tab1 = await sockets.connect(t.url, joiner.accessToken);
    const tab2 = await sockets.connect(t.url, joiner.accessToken);
    await tab1.ack('join-room', { room: room.id });
    await tab1.ack('leave-room', { room: room.id });
    await tab2.waitFor<{ room: string }>('room-left', (e) => e.room === room.id);
  });

  it('of a room the user is not in acks an error, not success', async () => {
    const open = await createRoom(t, owner, { type: 'public' });
    const closed = await createRoom(t, owner, { type: 'private' });
    const s = await sockets.connect(t.url, outsider.accessToken);
    expect(await s.ack('leave-room', { room: open.id })).toMatchObject({
      success: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(await s.ack('leave-room', { room: closed.id })).toMatchObject({
      success: false,
      error: { code: 'NOT_FOUND' },
    });
  });

  it('of a direct room acks FORBIDDEN', async () => {
    const direct = await openDirect(t, owner, outsider);
    const s = await sockets.connect(t.url, outsider.accessToken);
    expect(await s.ack('leave-room', { room: direct.id })).toMatchObject({
      success: false,
      error: { code: 'FORBIDDEN' },
    });
  });

  it('then join-room again resubscribes the socket', async () => {
    const room = await createRoom(t, owner, { type: 'public' });
    const s = await sockets.connect(t.url, joiner.accessToken);
    await s.ack('join-room', { room: room.id });
    await s.ack('leave-room', { room: room.id });
    expect((await s.ack('join-room', { room: room.id })).success).toBe(true);
    const sent = await sendMessage(t, owner, room.id, 'back again');
    await s.waitFor<TestMessage>('new-message', (m) => m.id === sent.id);
    expect(s.payloads<TestMessage>('new-message', (m) => m.room === room.id)).toHaveLength(1);
  });
});
