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
  broadcaster: Broadcaster,
  roomId: string,
  userId: string,
): Promise<boolean> {
  const before = await repo.findMembership(tx, roomId, userId);
  if (!before || !(await repo.removeMember(tx, roomId, userId))) return false;
  // Before the commit, while the room's lock holds back every other change of the room: every node
  // drops the user's sockets from the room first, so no event committed after this removal (which
  // may be published by another node, racing this node's unsubscription) can reach them.
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
