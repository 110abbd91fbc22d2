import type { Executor } from '../../db/client.js';
import type { RoomMemberRow, RoomRow } from '../../db/schema/index.js';
import { forbidden, notFound } from '../../errors.js';
import * as roomsRepo from './rooms.repo.js';

export interface RoomAccess {
  room: RoomRow;
  member: RoomMemberRow;
}

type Found = { room: RoomRow; member: RoomMemberRow | null } | undefined;

/**
 * THE hidden-room rule: a private or direct room the user is not a member of (or no room at all) is
 * hidden, and everything in it answers exactly as if it did not exist. Every access path asks here.
 */
export function isHidden(found: Found): found is undefined {
  return !found || (!found.member && found.room.type !== 'public');
}

/** The room if the caller may see it (a member, or any public room); NOT_FOUND(`what`) otherwise. */
export function assertVisible(
  found: Found,
  what = 'Room',
): { room: RoomRow; member: RoomMemberRow | null } {
  if (isHidden(found)) throw notFound(what);
  return found!;
}

/**
 * The room, if the user is a member. A non-member learns nothing about a private or direct room
 * (NOT_FOUND(`what`)) and is told to join a public one first (FORBIDDEN).
 */
export async function requireMember(
  db: Executor,
  roomRef: string,
  userId: string,
  what = 'Room',
): Promise<RoomAccess> {
  const found = await roomsRepo.findRoomWithMembership(db, roomRef, userId);
  return assertMember(found, what);
}

export function assertMember(found: Found, what = 'Room'): RoomAccess {
  const visible = assertVisible(found, what);
  if (!visible.member) throw forbidden('Join this room first');
  return { room: visible.room, member: visible.member };
}

export function isModerator(member: RoomMemberRow): boolean {
  return member.role === 'owner' || member.role === 'admin';
}

export function requireModerator(access: RoomAccess, action = 'manage this room'): void {
  if (access.room.type === 'direct') throw forbidden(`Direct rooms cannot be changed`);
  if (!isModerator(access.member)) throw forbidden(`Only an owner or admin can ${action}`);
}
