import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/tx.js';
import { listRoomIdsOfUsers, lockRoom, removeMember } from '../../src/modules/rooms/rooms.repo.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createRoom, createUser } from '../helpers/factories.js';
import { sleep } from '../helpers/sockets.js';

// A node whose Redis subscriber was cut re-checks its sockets' rooms in the database before it trusts
// its deliveries again. A removal still in progress (its room locked, waiting for Redis to take its
// unsubscription, which that node may have missed) must not be read as a membership that goes on: the
// re-check waits for it to commit. (On PGlite every query waits for an open transaction anyway.)

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

describe("the re-check's read of many users' rooms", () => {
  it('waits for a removal holding its room to commit, and does not find the room', async () => {
    const db = t.testDb.database.db;
    const [owner, member] = await Promise.all([createUser(t), createUser(t)]);
    const room = await createRoom(t, owner, { type: 'private', members: [member] });
    const other = await createRoom(t, member, { type: 'public' });
    let committed = false;
    let pending: Promise<{ rooms: Set<string> | undefined; early: boolean }> | undefined;
    await transaction(db, async (tx) => {
      expect(await lockRoom(tx, room.id)).toBeDefined();
      expect(await removeMember(tx, room.id, member.id)).toBe(true);
      pending = listRoomIdsOfUsers(db, [member.id, owner.id]).then((byUser) => ({
        rooms: byUser.get(member.id),
        early: !committed,
      }));
      await sleep(300);
      committed = true;
    });
    const answer = await pending!;
    expect(answer.early).toBe(false);
    // Their other rooms are still there (a new user is also in the default room).
    expect(answer.rooms?.has(other.id)).toBe(true);
    expect(answer.rooms?.has(room.id)).toBe(false);
  });
});
