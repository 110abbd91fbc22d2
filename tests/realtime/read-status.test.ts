import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  myRoom,
  sendMessages,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';
import { socketPool } from '../helpers/sockets.js';
import { barrier, leaveGeneral, roundTrip } from './support.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let loner: TestUser;
let room: TestRoom;
const sockets = socketPool();

beforeAll(async () => {
  t = await startTestApp();
  [alice, bob, loner] = [await createUser(t), await createUser(t), await createUser(t)];
  room = await createRoom(t, alice, { members: [bob] });
  await leaveGeneral(t, loner);
});
afterEach(() => sockets.closeAll());
afterAll(async () => {
  await t?.stop();
});

interface Receipt {
  room: string;
  userId: string;
  messageId: string;
  readAt: string;
}

describe('message-read', () => {
  it('acks the receipt, moves my read position, and the others in the room get message-read-receipt', async () => {
    const sent = await sendMessages(t, alice, room.id, 3, 'unread');
    const reader = await sockets.connect(t.url, bob.accessToken);
    const other = await sockets.connect(t.url, alice.accessToken);
    expect((await myRoom(t, bob, room.id))?.unreadCount).toBeGreaterThanOrEqual(3);

    const last = sent[2]!;
    const reply = await reader.ack<Receipt>('message-read', { messageId: last.id });
    expect(reply).toMatchObject({
      success: true,
      data: { room: room.id, userId: bob.id, messageId: last.id, readAt: expect.any(String) },
    });
    const receipt = await other.waitFor<Receipt>(
      'message-read-receipt',
      (r) => r.userId === bob.id,
    );
    expect(receipt).toMatchObject({ room: room.id, userId: bob.id, messageId: last.id });
    expect(new Date(receipt.readAt).toISOString()).toBe(receipt.readAt);

    const after = await myRoom(t, bob, room.id);
    expect(after).toMatchObject({ unreadCount: 0, lastReadSeq: last.seq });
  });

  it('of a message in a private room I am not in acks NOT_FOUND and tells no one', async () => {
    const [secret] = await sendMessages(t, alice, room.id, 1, 'secret');
    const intruder = await sockets.connect(t.url, loner.accessToken);
    const member = await sockets.connect(t.url, alice.accessToken);
    expect(await intruder.ack('message-read', { messageId: secret!.id })).toMatchObject({
      success: false,
      error: { code: 'NOT_FOUND' },
    });
    await barrier(t, alice, room.id, [member]);
    expect(member.payloads('message-read-receipt')).toEqual([]);
  });

  it('of an unknown message id acks NOT_FOUND', async () => {
    const s = await sockets.connect(t.url, bob.accessToken);
    for (const messageId of ['nope', '00000000-0000-4000-8000-000000000000'])
      expect(await s.ack('message-read', { messageId })).toMatchObject({
        success: false,
        error: { code: 'NOT_FOUND' },
      });
  });

  it('with a bad payload acks VALIDATION_ERROR', async () => {
    const s = await sockets.connect(t.url, bob.accessToken);
    for (const payload of [undefined, {}, { messageId: 7 }, { messageId: 'x', extra: 1 }])
      expect(await s.ack('message-read', payload)).toMatchObject({
        success: false,
        error: { code: 'VALIDATION_ERROR' },
      });
  });
});

describe('user-status', () => {
  it('acks my profile with the status, and users sharing a room get user-status-update', async () => {
    const me = await sockets.connect(t.url, bob.accessToken);
    const friend = await sockets.connect(t.url, alice.accessToken);
    const reply = await me.ack<{ id: string; status: string }>('user-status', { status: 'busy' });
    expect(reply).toMatchObject({ success: true, data: { id: bob.id, status: 'busy' } });
    expect(
      await friend.waitFor<{ userId: string; status: string }>(
        'user-status-update',
        (e) => e.userId === bob.id && e.status === 'busy',
      ),
    ).toEqual({ userId: bob.id, status: 'busy' });
    const profile = await t.http.get(`/api/users/${bob.id}`).set(alice.auth);
    expect(profile.body.data.status).toBe('busy');
    await me.ack('user-status', { status: 'online' });
  });

  it('is not told to a user who shares no room', async () => {
    const me = await sockets.connect(t.url, bob.accessToken);
    const far = await sockets.connect(t.url, loner.accessToken);
    expect((await me.ack('user-status', { status: 'away' })).success).toBe(true);
    await roundTrip(far);
    expect(far.payloads('user-status-update')).toEqual([]);
    await me.ack('user-status', { status: 'online' });
  });

  it('with a status that does not exist acks VALIDATION_ERROR and changes nothing', async () => {
    const me = await sockets.connect(t.url, bob.accessToken);
    const friend = await sockets.connect(t.url, alice.accessToken);
    for (const payload of [{ status: 'sleeping' }, { status: '' }, {}, undefined, 'online'])
      expect(await me.ack('user-status', payload)).toMatchObject({
        success: false,
        error: { code: 'VALIDATION_ERROR' },
      });
    await barrier(t, alice, room.id, [friend]);
    expect(friend.payloads('user-status-update')).toEqual([]);
    const profile = await t.http.get('/api/users/profile').set(bob.auth);
    expect(profile.body.data.status).toBe('online');
  });

  it('set over REST reaches sockets the same way', async () => {
    const friend = await sockets.connect(t.url, alice.accessToken);
    const res = await t.http.post('/api/users/status').set(bob.auth).send({ status: 'away' });
    expect(res.status).toBe(200);
    await friend.waitFor<{ userId: string; status: string }>(
      'user-status-update',
      (e) => e.userId === bob.id && e.status === 'away',
    );
    await t.http.post('/api/users/status').set(bob.auth).send({ status: 'online' });
  });
});
