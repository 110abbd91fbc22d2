import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  openDirect,
  sendMessage,
  type TestUser,
} from '../helpers/factories.js';
import { connectSocket, emitAck } from '../helpers/sockets.js';

// SPEC "Blocking": POST/DELETE /api/users/:id/block, GET /api/users/blocked; no direct room between a
// blocker and the blocked, either way (403 FORBIDDEN); shared rooms unchanged.

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

const block = (who: TestUser, other: { id: string }) =>
  t.http.post(`/api/users/${other.id}/block`).set(who.auth);
const unblock = (who: TestUser, other: { id: string }) =>
  t.http.delete(`/api/users/${other.id}/block`).set(who.auth);
const send = (who: TestUser, room: string, content: string, clientId?: string) =>
  t.http.post('/api/messages').set(who.auth).send({ room, content, clientId });

describe('blocking', () => {
  it('blocks, lists and unblocks; blocking twice changes nothing; myself 400, unknown 404', async () => {
    const me = await createUser(t);
    const a = await createUser(t);
    const b = await createUser(t);
    const first = await block(me, a);
    expect(first.status).toBe(200);
    expect(first.body.data).toMatchObject({ userId: a.id, blocked: true });
    const again = await block(me, a);
    expect(again.body.data.blockedAt).toBe(first.body.data.blockedAt);
    expect((await block(me, b)).status).toBe(200);
    const list = await t.http.get('/api/users/blocked').set(me.auth);
    expect(list.status).toBe(200);
    expect(list.body.data.map((e: { user: { id: string } }) => e.user.id)).toEqual([b.id, a.id]);
    expect(list.body.data[0].user).not.toHaveProperty('email');
    const paged = await t.http.get('/api/users/blocked?limit=1').set(me.auth);
    expect(paged.body.data).toHaveLength(1);
    const rest = await t.http
      .get(`/api/users/blocked?limit=1&before=${paged.body.page.nextCursor}`)
      .set(me.auth);
    expect(rest.body.data.map((e: { user: { id: string } }) => e.user.id)).toEqual([a.id]);
    expect(rest.body.page.nextCursor).toBeNull();

    const un = await unblock(me, a);
    expect(un.status).toBe(200);
    expect(un.body.data).toEqual({ userId: a.id, blocked: false, blockedAt: null });
    expect((await unblock(me, a)).status).toBe(200);
    const after = await t.http.get('/api/users/blocked').set(me.auth);
    expect(after.body.data.map((e: { user: { id: string } }) => e.user.id)).toEqual([b.id]);

    const self = await block(me, me);
    expect(self.status).toBe(400);
    expect(self.body.error.code).toBe('VALIDATION_ERROR');
    const unknown = await block(me, { id: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.status).toBe(404);
    expect((await block(me, { id: 'not-an-id' })).status).toBe(404);
  });

  it('no direct room opens either way while a block stands; it opens again after unblocking', async () => {
    const blocker = await createUser(t);
    const blocked = await createUser(t);
    expect((await block(blocker, blocked)).status).toBe(200);
    for (const [from, to] of [
      [blocked, blocker],
      [blocker, blocked],
    ] as const) {
      const res = await t.http.post('/api/rooms/direct').set(from.auth).send({ userId: to.id });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
    expect((await unblock(blocker, blocked)).status).toBe(200);
    expect((await openDirect(t, blocked, blocker)).type).toBe('direct');
  });

  it('no message in an existing direct room either way, over REST and sockets; a clientId retry still gets its message', async () => {
    const x = await createUser(t);
    const y = await createUser(t);
    const dm = await openDirect(t, x, y);
    const before = await send(x, dm.id, 'before the block', 'retry-me');
    expect(before.status).toBe(201);
    expect((await block(y, x)).status).toBe(200);

    for (const who of [x, y]) {
      const res = await send(who, dm.id, 'after the block');
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
    const socket = await connectSocket(t.url, x.accessToken);
    try {
      const ack = await emitAck(socket, 'send-message', { room: dm.id, content: 'by socket' });
      expect(ack).toMatchObject({ success: false, error: { code: 'FORBIDDEN' } });
    } finally {
      socket.close();
    }
    const retry = await send(x, dm.id, 'before the block', 'retry-me');
    expect(retry.status).toBe(200);
    expect(retry.body.data.id).toBe(before.body.data.id);
    // Reading the history is still allowed.
    expect((await t.http.get(`/api/messages?room=${dm.id}`).set(x.auth)).status).toBe(200);

    expect((await unblock(y, x)).status).toBe(200);
    expect((await send(x, dm.id, 'after unblocking')).status).toBe(201);
  });

  it('changes nothing in shared rooms', async () => {
    const owner = await createUser(t);
    const other = await createUser(t);
    const room = await createRoom(t, owner, { members: [other] });
    expect((await block(owner, other)).status).toBe(200);
    const m = await sendMessage(t, other, room.id, `hello @${owner.username}`);
    expect(m.mentions).toEqual([owner.id]);
    expect((await send(owner, room.id, 'still here')).status).toBe(201);
  });
});
