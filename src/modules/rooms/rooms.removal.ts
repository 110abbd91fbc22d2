import type { Broadcaster } from '../../realtime/broadcaster.js';
import type { Executor } from '../../db/client.js';
import { memberLeft, roomLeft } from './rooms.events.js';
import * as repo from './rooms.repo.js';

/**
 * Removes a member inside a transaction that holds the room's lock (`lockRoom`): leaving, a kick and a
 * ban all take this path. An owner who goes hands the room to the longest-standing admin or member.
 * False when they were not a member.
 */
export async function removeMemberLocked(
  tx: Executor,
  roomId: string,
  userId: string,
): Promise<boolean> {
  const before = await repo.findMembership(tx, roomId, userId);
  if (!before || !(await repo.removeMember(tx, roomId, userId))) return false;
  if (before.role === 'owner') {
    const successor = await repo.findSuccessor(tx, roomId);
    if (successor && successor.role !== 'owner')
      await repo.setMemberRole(tx, roomId, successor.userId, 'owner');
  }
  return true;
}

/**
 * After the removal committed: the user's sockets are unsubscribed first (no further event of the
 * room reaches them), then the room hears `member-left` and the user's sockets `room-left`.
 */
export function announceRemoval(broadcaster: Broadcaster, roomId: string, userId: string): void {
  broadcaster.unsubscribeUser(userId, roomId);
  broadcaster.toRoom(roomId, memberLeft, { room: roomId, userId });
  broadcaster.toUser(userId, roomLeft, { room: roomId });
}
