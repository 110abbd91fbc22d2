import type { Executor } from '../../db/client.js';
import type { RoomMemberRow, RoomRow } from '../../db/schema/index.js';
import { forbidden, notFound } from '../../errors.js';
import * as roomsRepo from './rooms.repo.js';

export interface RoomAccess {
  room: RoomRow;
  member: RoomMemberRow;
}

/**
 * The room, if the user is a member. A non-member learns nothing about a private or direct room
 * (NOT_FOUND) and is told to join a public one first (FORBIDDEN).
 */
export async function requireMember(
  db: Executor,
  roomRef: string,
  userId: string,
): Promise<RoomAccess> {
  const found = await roomsRepo.findRoomWithMembership(db, roomRef, userId);
  return assertMember(found);
}

export function assertMember(
  found: { room: RoomRow; member: RoomMemberRow | null } | undefined,
): RoomAccess {
  if (!found) throw notFound('Room');
  if (!found.member) {
    if (found.room.type === 'public') throw forbidden('Join this room first');
    throw notFound('Room');
  }
  return { room: found.room, member: found.member };
}

export function isModerator(member: RoomMemberRow): boolean {
  return member.role === 'owner' || member.role === 'admin';
}

export function requireModerator(access: RoomAccess, action = 'manage this room'): void {
  if (access.room.type === 'direct') throw forbidden(`Direct rooms cannot be changed`);
  if (!isModerator(access.member)) throw forbidden(`Only an owner or admin can ${action}`);
}
