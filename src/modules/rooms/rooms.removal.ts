import type { Database, Executor, Tx } from '../../db/client.js';
import type { RoomRow } from '../../db/schema/index.js';
import { transaction } from '../../db/tx.js';
import type { Broadcaster } from '../../realtime/broadcaster.js';
import { memberLeft, roomDeleted, roomLeft } from './rooms.events.js';
import * as repo from './rooms.repo.js';

/**
 * Removes a member inside a transaction that holds the room's lock (`lockRoom`): leaving, a kick and a
 * ban all take this path. An owner who goes hands the room to the longest-standing admin or member.
 * False when they were not a member.
 */
export async function removeMemberLocked(
  tx: Executor,
  broadcaster: Broadcaster,
  roomId: string,
  userId: string,
): Promise<boolean> {
  const before = await repo.findMembership(tx, roomId, userId);
  if (!before || !(await repo.removeMember(tx, roomId, userId))) return false;
  // Before the commit, while the room's lock holds back every other change of the room: the
  // unsubscription goes into the one order every node delivers in, ahead of every event committed
  // after this removal, whichever node publishes it (see room-bus.ts).
  await broadcaster.unsubscribeUserFenced(userId, roomId);
  if (before.role === 'owner') {
    const successor = await repo.findSuccessor(tx, roomId);
    if (successor && successor.role !== 'owner')
      await repo.setMemberRole(tx, roomId, successor.userId, 'owner');
  }
  return true;
}

/**
 * After the removal committed: the user's sockets are unsubscribed again (a socket that subscribed
 * from the database between the fence and the commit), then the room hears `member-left` and the
 * user's sockets `room-left`.
 */
export function announceRemoval(broadcaster: Broadcaster, roomId: string, userId: string): void {
  broadcaster.unsubscribeUser(userId, roomId);
  broadcaster.toRoom(roomId, memberLeft, { room: roomId, userId });
  broadcaster.toUser(userId, roomLeft, { room: roomId });
}

/**
 * THE removal of a member, in a transaction of its own: the room's lock, `removeMemberLocked`, the
 * caller's `record` (an audit entry) in the same transaction, then `announceRemoval` after the commit.
 * Leaving, kicking and erasure use it (a ban adds its own row first, under the same lock).
 */
export async function removeMember(
  db: Database['db'],
  broadcaster: Broadcaster,
  roomId: string,
  userId: string,
  record?: (tx: Tx) => Promise<void>,
): Promise<'removed' | 'no-room' | 'not-member'> {
  const outcome = await transaction(db, async (tx) => {
    // Room first: a send in progress holds the room's lock and then updates the sender's member row.
    if (!(await repo.lockRoom(tx, roomId))) return 'no-room' as const;
    if (!(await removeMemberLocked(tx, broadcaster, roomId, userId))) return 'not-member' as const;
    await record?.(tx);
    return 'removed' as const;
  });
  if (outcome === 'removed') announceRemoval(broadcaster, roomId, userId);
  return outcome;
}

/**
 * THE deletion of a room with its messages: its files' objects are listed first (`prepare`), then under
 * the room's lock `decide` runs (the caller's check at that moment and its audit entry; false: keep
 * the room) and the room goes; after the commit the objects are purged, and its sockets hear
 * `room-deleted` and leave it. False when the room was gone or `decide` kept it.
 */
export async function deleteRoomLocked(
  db: Database['db'],
  broadcaster: Broadcaster,
  room: RoomRow,
  prepare: ((room: RoomRow) => Promise<() => Promise<void>>) | undefined,
  decide: (tx: Tx) => Promise<boolean | void>,
): Promise<boolean> {
  const purgeFiles = await prepare?.(room);
  const deleted = await transaction(db, async (tx) => {
    if (!(await repo.lockRoom(tx, room.id))) return false;
    if ((await decide(tx)) === false) return false;
    return repo.deleteRoom(tx, room.id);
  });
  if (!deleted) return false;
  await purgeFiles?.();
  broadcaster.closeRoom(room.id, roomDeleted, { room: room.id });
  return true;
}
