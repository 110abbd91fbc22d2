import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  sendMessage,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';
import { sleep, socketPool } from '../helpers/sockets.js';
import { startTwoNodes, type TwoNodes } from '../realtime/support.js';

// SPEC "Room moderation": mutes (timed or not), bans (removed at once on every node; join and add
// refused until unbanned), slow mode with Retry-After; who may do each; each action audited once.

let nodes: TwoNodes;
let nodeA: TestApp;
let nodeB: TestApp;
let owner: TestUser;
let roomAdmin: TestUser;
let member: TestUser;
let other: TestUser;
let instanceAdmin: TestUser;
const sockets = socketPool();

beforeAll(async () => {
  nodes = await startTwoNodes();
  ({ nodeA, nodeB } = nodes);
  [owner, roomAdmin, member, other, instanceAdmin] = await Promise.all([
    createUser(nodeA),
    createUser(nodeA),
    createUser(nodeA),
    createUser(nodeA),
    createUser(nodeA),
  ]);
  await queryRows(
    nodeA.ctx.db,
    sql`update users set role = 'admin' where id = ${instanceAdmin.id}`,
  );
});
afterAll(async () => {
  sockets.closeAll();
  await nodes?.stop();
});

async function auditOf(targetId: string) {
  return queryRows<{ action: string; actor_id: string | null; details: Record<string, unknown> }>(
    nodeA.ctx.db,
    sql`select action, actor_id, details from audit_log where target_id = ${targetId} order by id`,
  );
}

function publicRoom(): Promise<TestRoom> {
  return createRoom(nodeA, owner, {
    type: 'public',
    admins: [roomAdmin],
    members: [member, other],
  });
}

describe('mute', () => {
  it('a muted member reads but cannot send, react or edit (403, REST and socket); unmute lets them back', async () => {
    const room = await publicRoom();
    const mine = await sendMessage(nodeA, member, room.id, 'before the mute');
    const theirs = await sendMessage(nodeA, other, room.id, 'hello');
    const res = await nodeA.http
      .post(`/api/rooms/${room.id}/members/${member.id}/mute`)
      .set(roomAdmin.auth)
      .send({});
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ muted: true, mutedUntil: null, role: 'member' });

    const send = await nodeB.http
      .post('/api/messages')
      .set(member.auth)
      .send({ room: room.id, content: 'muted?' });
    expect(send.status).toBe(403);
    expect(send.body.error.message).toMatch(/muted/);
    const socket = await sockets.connect(nodeB.url, member.accessToken);
    const ack = await socket.ack('send-message', { room: room.id, content: 'muted socket' });
    expect(ack.error?.code).toBe('FORBIDDEN');
    const typing = await socket.ack('typing-start', { room: room.id });
    expect(typing.error?.code).toBe('FORBIDDEN');
    const react = await nodeA.http
      .post(`/api/messages/${theirs.id}/react`)
      .set(member.auth)
      .send({ emoji: '👍' });
    expect(react.status).toBe(403);
    const upload = await nodeA.http
      .post('/api/files/upload')
      .set(member.auth)
      .field('room', room.id)
      .attach('file', Buffer.from('plain words\n'), {
        filename: 'notes.txt',
        contentType: 'text/plain',
      });
    expect(upload.status).toBe(403);
    const kept = await queryRows<{ n: number }>(
      nodeA.ctx.db,
      sql`select count(*)::int as n from files where uploader_id = ${member.id}`,
    );
    expect(kept).toEqual([{ n: 0 }]);
    const edit = await nodeA.http
      .put(`/api/messages/${mine.id}`)
      .set(member.auth)
      .send({ content: 'edited' });
    expect(edit.status).toBe(403);
    // Reads still work.
    const history = await nodeA.http.get(`/api/messages?room=${room.id}`).set(member.auth);
    expect(history.status).toBe(200);
    expect(history.body.data.map((m: { id: string }) => m.id)).toContain(theirs.id);
    // Members carry the mute.
    const members = await nodeA.http.get(`/api/rooms/${room.id}/members`).set(other.auth);
    const row = members.body.data.find((m: { user: { id: string } }) => m.user.id === member.id);
    expect(row).toMatchObject({ muted: true, mutedUntil: null });

    const un = await nodeA.http
      .delete(`/api/rooms/${room.id}/members/${member.id}/mute`)
      .set(owner.auth);
    expect(un.status).toBe(200);
    expect(un.body.data).toMatchObject({ muted: false, mutedUntil: null });
    await sendMessage(nodeA, member, room.id, 'free again');
    expect((await auditOf(member.id)).map((a) => [a.action, a.actor_id])).toEqual([
      ['member.mute', roomAdmin.id],
      ['member.unmute', owner.id],
    ]);
  });

  it('a timed mute ends by itself', async () => {
    const room = await publicRoom();
    const res = await nodeA.http
      .post(`/api/rooms/${room.id}/members/${member.id}/mute`)
      .set(owner.auth)
      .send({ minutes: 5 });
    expect(res.status).toBe(200);
    const until = Date.parse(res.body.data.mutedUntil);
    expect(until).toBeGreaterThan(Date.now() + 4 * 60_000);
    expect(until).toBeLessThan(Date.now() + 6 * 60_000);
    const refused = await nodeA.http
      .post('/api/messages')
      .set(member.auth)
      .send({ room: room.id, content: 'x' });
    expect(refused.status).toBe(403);
    // Five minutes later (moved back in the database instead of waiting).
    await queryRows(
      nodeA.ctx.db,
      sql`update room_members set muted_until = now() - interval '1 second'
          where room_id = ${room.id} and user_id = ${member.id}`,
    );
    await sendMessage(nodeA, member, room.id, 'the mute ended');
    const members = await nodeA.http.get(`/api/rooms/${room.id}/members`).set(owner.auth);
    const row = members.body.data.find((m: { user: { id: string } }) => m.user.id === member.id);
    expect(row).toMatchObject({ muted: false, mutedUntil: null });
  });

  it('who may mute: owner over admins, admin only over members, instance admins over anyone; plain members 403', async () => {
    const room = await publicRoom();
    const mute = (actor: TestUser, target: TestUser) =>
      nodeA.http
        .post(`/api/rooms/${room.id}/members/${target.id}/mute`)
        .set(actor.auth)
        .send({ minutes: 1 });
    expect((await mute(member, other)).status).toBe(403);
    expect((await mute(roomAdmin, owner)).status).toBe(403);
    expect((await mute(owner, roomAdmin)).status).toBe(200);
    expect((await mute(instanceAdmin, owner)).status).toBe(200);
    expect((await mute(owner, owner)).status).toBe(400);
    // A non-member of a private room is told nothing about it; an instance admin can still act.
    const secret = await createRoom(nodeA, owner, { type: 'private', members: [member] });
    const hidden = await nodeA.http
      .post(`/api/rooms/${secret.id}/members/${member.id}/mute`)
      .set(other.auth)
      .send({});
    expect(hidden.status).toBe(404);
    const byInstance = await nodeA.http
      .post(`/api/rooms/${secret.id}/members/${member.id}/mute`)
      .set(instanceAdmin.auth)
      .send({});
    expect(byInstance.status).toBe(200);
    // Only members can be muted.
    const stranger = await createUser(nodeA);
    expect((await mute(owner, stranger)).status).toBe(404);
  });
});

describe('bans', () => {
  it('a banned member is removed at once on both nodes; join and re-add refused; unban lets them join again', async () => {
    const room = await publicRoom();
    const onA = await sockets.connect(nodeA.url, member.accessToken);
    const onB = await sockets.connect(nodeB.url, member.accessToken);
    const watcher = await sockets.connect(nodeB.url, other.accessToken);
    const res = await nodeA.http
      .post(`/api/rooms/${room.id}/bans`)
      .set(roomAdmin.auth)
      .send({ userId: member.id, reason: 'spam' });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      room: room.id,
      user: { id: member.id, username: member.username },
      reason: 'spam',
      bannedBy: { id: roomAdmin.id },
    });
    await onA.waitFor('room-left', (p: { room: string }) => p.room === room.id);
    await onB.waitFor('room-left', (p: { room: string }) => p.room === room.id);
    await watcher.waitFor(
      'member-left',
      (p: { room: string; userId: string }) => p.room === room.id && p.userId === member.id,
    );
    // No further event of the room reaches the banned user's sockets, on either node.
    const after = await sendMessage(nodeB, other, room.id, 'after the ban');
    await watcher.waitFor('new-message', (m: { id: string }) => m.id === after.id);
    await sleep(200);
    for (const s of [onA, onB])
      expect(s.payloads('new-message', (m: { id: string }) => m.id === after.id)).toEqual([]);
    const sent = await onA.ack('send-message', { room: room.id, content: 'still here?' });
    expect(sent.error?.code).toBe('FORBIDDEN');

    const join = await nodeB.http.post(`/api/rooms/${room.id}/join`).set(member.auth);
    expect(join.status).toBe(403);
    expect(join.body.error.message).toMatch(/banned/);
    const joinSocket = await onB.ack('join-room', { room: room.id });
    expect(joinSocket.error?.code).toBe('FORBIDDEN');
    const add = await nodeA.http
      .post(`/api/rooms/${room.id}/members`)
      .set(owner.auth)
      .send({ userId: member.id });
    expect(add.status).toBe(403);
    const again = await nodeA.http
      .post(`/api/rooms/${room.id}/bans`)
      .set(owner.auth)
      .send({ userId: member.id });
    expect(again.status).toBe(409);

    const list = await nodeA.http.get(`/api/rooms/${room.id}/bans`).set(owner.auth);
    expect(list.status).toBe(200);
    expect(list.body.data.map((b: { user: { id: string } }) => b.user.id)).toEqual([member.id]);
    expect((await nodeA.http.get(`/api/rooms/${room.id}/bans`).set(other.auth)).status).toBe(403);

    const unban = await nodeA.http
      .delete(`/api/rooms/${room.id}/bans/${member.id}`)
      .set(owner.auth);
    expect(unban.status).toBe(200);
    expect(unban.body.data).toEqual({ room: room.id, userId: member.id, unbanned: true });
    expect(
      (await nodeA.http.delete(`/api/rooms/${room.id}/bans/${member.id}`).set(owner.auth)).status,
    ).toBe(404);
    const rejoin = await nodeB.http.post(`/api/rooms/${room.id}/join`).set(member.auth);
    expect(rejoin.status).toBe(200);

    const audit = (await auditOf(member.id)).filter((a) => a.details.room === room.id);
    expect(audit.map((a) => [a.action, a.actor_id])).toEqual([
      ['room.ban', roomAdmin.id],
      ['room.unban', owner.id],
    ]);
  });

  it('a private room: a banned user cannot be re-added; a non-member can be banned ahead; the owner cannot be banned by an admin', async () => {
    const room = await createRoom(nodeA, owner, {
      type: 'private',
      admins: [roomAdmin],
      members: [member],
    });
    const stranger = await createUser(nodeA);
    const ahead = await nodeA.http
      .post(`/api/rooms/${room.id}/bans`)
      .set(owner.auth)
      .send({ userId: stranger.id });
    expect(ahead.status).toBe(201);
    const add = await nodeA.http
      .post(`/api/rooms/${room.id}/members`)
      .set(roomAdmin.auth)
      .send({ userId: stranger.id });
    expect(add.status).toBe(403);
    expect(
      (
        await nodeA.http
          .post(`/api/rooms/${room.id}/bans`)
          .set(roomAdmin.auth)
          .send({ userId: owner.id })
      ).status,
    ).toBe(403);
    expect(
      (
        await nodeA.http
          .post(`/api/rooms/${room.id}/bans`)
          .set(member.auth)
          .send({ userId: roomAdmin.id })
      ).status,
    ).toBe(403);
    // An outsider gets the hidden-room answer.
    expect((await nodeA.http.get(`/api/rooms/${room.id}/bans`).set(other.auth)).status).toBe(404);
  });

  it('an instance admin bans the owner: the room passes to its longest-standing admin', async () => {
    const room = await publicRoom();
    const res = await nodeA.http
      .post(`/api/rooms/${room.id}/bans`)
      .set(instanceAdmin.auth)
      .send({ userId: owner.id });
    expect(res.status).toBe(201);
    const mine = await nodeA.http.get(`/api/rooms/${room.id}`).set(roomAdmin.auth);
    expect(mine.body.data.myRole).toBe('owner');
  });
});

describe('slow mode', () => {
  it('members send once per interval; a faster send is 429 with the right Retry-After; owner and admins are exempt', async () => {
    const room = await publicRoom();
    const patch = await nodeA.http
      .patch(`/api/rooms/${room.id}`)
      .set(roomAdmin.auth)
      .send({ slowModeSeconds: 30 });
    expect(patch.status).toBe(200);
    expect(patch.body.data.slowModeSeconds).toBe(30);
    expect(
      (
        await nodeA.http
          .patch(`/api/rooms/${room.id}`)
          .set(member.auth)
          .send({ slowModeSeconds: 0 })
      ).status,
    ).toBe(403);
    expect(
      (
        await nodeA.http
          .patch(`/api/rooms/${room.id}`)
          .set(owner.auth)
          .send({ slowModeSeconds: 3601 })
      ).status,
    ).toBe(400);

    await sendMessage(nodeA, member, room.id, 'first');
    const fast = await nodeB.http
      .post('/api/messages')
      .set(member.auth)
      .send({ room: room.id, content: 'second' });
    expect(fast.status).toBe(429);
    expect(fast.body.error.code).toBe('RATE_LIMITED');
    const retry = Number(fast.headers['retry-after']);
    expect(retry).toBeGreaterThanOrEqual(29);
    expect(retry).toBeLessThanOrEqual(30);
    // Over a socket: the same refusal, with retryAfter in the ack.
    const socket = await sockets.connect(nodeA.url, member.accessToken);
    const ack = await socket.ack<unknown>('send-message', { room: room.id, content: 'third' });
    expect(ack.error?.code).toBe('RATE_LIMITED');
    expect((ack.error as { retryAfter?: number }).retryAfter).toBeGreaterThanOrEqual(29);
    // 20 seconds later (moved back in the database): 10 s left.
    await queryRows(
      nodeA.ctx.db,
      sql`update room_members set last_sent_at = last_sent_at - interval '20 seconds'
          where room_id = ${room.id} and user_id = ${member.id}`,
    );
    const later = await nodeA.http
      .post('/api/messages')
      .set(member.auth)
      .send({ room: room.id, content: 'second' });
    expect(later.status).toBe(429);
    const left = Number(later.headers['retry-after']);
    expect(left).toBeGreaterThanOrEqual(9);
    expect(left).toBeLessThanOrEqual(10);
    // 31 seconds after the first: allowed again.
    await queryRows(
      nodeA.ctx.db,
      sql`update room_members set last_sent_at = last_sent_at - interval '11 seconds'
          where room_id = ${room.id} and user_id = ${member.id}`,
    );
    await sendMessage(nodeB, member, room.id, 'second, in time');
    // A retry of the first message's clientId is still answered with that message, not 429.
    const keyed = await nodeA.http
      .post('/api/messages')
      .set(other.auth)
      .send({ room: room.id, content: 'keyed', clientId: 'slow-1' });
    expect(keyed.status).toBe(201);
    const retried = await nodeA.http
      .post('/api/messages')
      .set(other.auth)
      .send({ room: room.id, content: 'keyed', clientId: 'slow-1' });
    expect(retried.status).toBe(200);
    expect(retried.body.data.id).toBe(keyed.body.data.id);
    // Owner and admins are not slowed.
    for (const who of [owner, roomAdmin]) {
      await sendMessage(nodeA, who, room.id, 'one');
      await sendMessage(nodeA, who, room.id, 'two');
    }
    // Concurrent sends of one member: exactly one gets through.
    const racer = await createUser(nodeA);
    await nodeA.http.post(`/api/rooms/${room.id}/join`).set(racer.auth);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? nodeA : nodeB).http
          .post('/api/messages')
          .set(racer.auth)
          .send({ room: room.id, content: `race ${i}` }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 429, 429, 429, 429, 429]);

    const off = await nodeA.http
      .patch(`/api/rooms/${room.id}`)
      .set(owner.auth)
      .send({ slowModeSeconds: 0 });
    expect(off.body.data.slowModeSeconds).toBe(0);
    await sendMessage(nodeA, member, room.id, 'free');
    expect((await auditOf(room.id)).map((a) => [a.action, a.actor_id, a.details])).toEqual([
      ['room.slow-mode', roomAdmin.id, { from: 0, to: 30 }],
      ['room.slow-mode', owner.id, { from: 30, to: 0 }],
    ]);
  });
});

describe('retention of a room', () => {
  it('owner/admins set it (at most the instance’s, null: the instance’s again), members 403, audited', async () => {
    const node = await startTestApp({
      env: { ...nodes.env, MESSAGE_RETENTION_DAYS: '30' },
      testDb: nodes.db,
    });
    try {
      const room = await publicRoom();
      const patch = (who: TestUser, retentionDays: unknown) =>
        node.http.patch(`/api/rooms/${room.id}`).set(who.auth).send({ retentionDays });
      const set = await patch(roomAdmin, 7);
      expect(set.status).toBe(200);
      expect(set.body.data.retentionDays).toBe(7);
      const longer = await patch(owner, 31);
      expect(longer.status).toBe(400);
      expect(longer.body.error.details[0].path).toBe('retentionDays');
      expect((await patch(member, 1)).status).toBe(403);
      expect((await patch(owner, 0)).status).toBe(400);
      const cleared = await patch(owner, null);
      expect(cleared.status).toBe(200);
      expect(cleared.body.data.retentionDays).toBeNull();
      // Without an instance limit (nodeA), any positive number of days.
      const free = await nodeA.http
        .patch(`/api/rooms/${room.id}`)
        .set(owner.auth)
        .send({ retentionDays: 3650 });
      expect(free.body.data.retentionDays).toBe(3650);
      expect(
        (await auditOf(room.id))
          .filter((a) => a.action === 'room.retention')
          .map((a) => [a.actor_id, a.details]),
      ).toEqual([
        [roomAdmin.id, { from: null, to: 7 }],
        [owner.id, { from: 7, to: null }],
        [owner.id, { from: null, to: 3650 }],
      ]);
    } finally {
      await node.stop();
    }
  });
});

describe('audit of room moderators', () => {
  it("a moderator deleting someone's message, removing a member and the owner deleting the room are audited once each; a sender's own deletion is not", async () => {
    const room = await publicRoom();
    const theirs = await sendMessage(nodeA, member, room.id, 'to be moderated');
    const own = await sendMessage(nodeA, roomAdmin, room.id, 'my own');
    expect((await nodeB.http.delete(`/api/messages/${theirs.id}`).set(roomAdmin.auth)).status).toBe(
      200,
    );
    expect((await nodeB.http.delete(`/api/messages/${own.id}`).set(roomAdmin.auth)).status).toBe(
      200,
    );
    expect(
      (await nodeA.http.delete(`/api/rooms/${room.id}/members/${other.id}`).set(roomAdmin.auth))
        .status,
    ).toBe(200);
    expect((await nodeA.http.delete(`/api/rooms/${room.id}`).set(owner.auth)).status).toBe(200);
    expect(await auditOf(theirs.id)).toEqual([
      {
        action: 'message.delete',
        actor_id: roomAdmin.id,
        details: { room: room.id, sender: member.id, by: 'room-moderator' },
      },
    ]);
    expect(await auditOf(own.id)).toEqual([]);
    expect(
      (await auditOf(other.id))
        .filter((a) => a.details.room === room.id)
        .map((a) => [a.action, a.actor_id]),
    ).toEqual([['member.remove', roomAdmin.id]]);
    expect((await auditOf(room.id)).map((a) => [a.action, a.actor_id])).toEqual([
      ['room.delete', owner.id],
    ]);
  });
});

describe('the bans list', () => {
  it('pages through bans made within one millisecond, each once', async () => {
    const room = await publicRoom();
    const banned = await Promise.all([createUser(nodeA), createUser(nodeA), createUser(nodeA)]);
    for (const user of banned)
      expect(
        (
          await nodeA.http
            .post(`/api/rooms/${room.id}/bans`)
            .set(owner.auth)
            .send({ userId: user.id })
        ).status,
      ).toBe(201);
    // The same millisecond, different microseconds (as bans of one burst can be).
    await queryRows(
      nodeA.ctx.db,
      sql`update room_bans set created_at = '2026-01-01T00:00:00.123000Z'::timestamptz
                                            + (random() * interval '900 microseconds')
          where room_id = ${room.id}`,
    );
    const seen: string[] = [];
    let before: string | null = null;
    do {
      const query: string = before ? `&before=${encodeURIComponent(before)}` : '';
      const res = await nodeA.http
        .get(`/api/rooms/${room.id}/bans?limit=1${query}`)
        .set(owner.auth);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((b: { user: { id: string } }) => b.user.id));
      before = res.body.page.nextCursor;
    } while (before);
    expect(seen.sort()).toEqual(banned.map((u) => u.id).sort());
  });
});
