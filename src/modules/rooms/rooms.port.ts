import type { Executor, Tx } from '../../db/client.js';
import type { RoomMemberRow } from '../../db/schema/index.js';
import * as repo from './rooms.repo.js';

/**
 * The rooms feature's surface for other features, besides RoomsService: the access rules and the room
 * lock, as functions that take the caller's executor, so that they can run inside the caller's
 * transaction. rooms.repo is private to this folder (eslint.config.js, tests/architecture).
 */

/**
 * THE hidden-room answer, for other features: the room (by id or slug) and the user's membership; a
 * private or direct room of which the user is not a member answers NOT_FOUND(`what`), a public one
 * FORBIDDEN ("Join this room first"). A message in a hidden room passes `what = 'Message'`.
 */
export { requireMember } from './rooms.access.js';
/** Owner or admin of the room (may delete others' messages). */
export { isModerator } from './rooms.access.js';
export type { RoomAccess } from './rooms.access.js';

/**
 * Locks the room's row, the FIRST lock of any transaction that touches a room's rows (lock order
 * room → members → messages, see db/tx.ts). False when the room does not exist.
 */
export async function lockRoom(tx: Tx, roomId: string): Promise<boolean> {
  return (await repo.lockRoom(tx, roomId)) !== undefined;
}

/**
 * Locks the room (as `lockRoom`), then re-reads the user's membership under that lock, so that access is
 * decided at the moment of the change. Undefined when the room is gone or the user is not a member.
 */
export async function lockRoomForMember(
  tx: Tx,
  roomId: string,
  userId: string,
): Promise<RoomMemberRow | undefined> {
  if (!(await repo.lockRoom(tx, roomId))) return undefined;
  return repo.findMembership(tx, roomId, userId);
}

/** The ids of the rooms the user is a member of (whom to tell about the user's presence). */
export function listRoomIdsOfUser(db: Executor, userId: string): Promise<string[]> {
  return repo.listRoomIdsOfUser(db, userId);
}

/** The users who share at least one room with the user (the user among them), without duplicates. */
export function listRoomMateIds(db: Executor, userId: string): Promise<string[]> {
  return repo.listRoomMateIds(db, userId);
}

/**
 * The rooms of many users at once, after the removals of those rooms in progress have committed (the
 * realtime layer re-checking a node's subscriptions).
 */
export function listRoomIdsOfUsers(
  db: Executor,
  userIds: string[],
): Promise<Map<string, Set<string>>> {
  return repo.listRoomIdsOfUsers(db, userIds);
}

/** Of these users, those who are members of the room now (the realtime layer checking a delivery). */
export function listMembersAmong(
  db: Executor,
  roomId: string,
  userIds: string[],
): Promise<Set<string>> {
  return repo.listMembersAmong(db, roomId, userIds);
}

/** A member's notification level: what they chose, or the default of the room's type (push uses it). */
export { notifyLevelOf } from './notify-level.js';
/** The mute and slow-mode rules, for the send statement and the explanation of a refused send. */
export {
  assertNotMuted,
  mutedSql,
  slowedInBatchSql,
  slowedSql,
  slowModeWait,
} from './moderation.repo.js';

/** A room's caller-independent fields, as every room view carries them (admin lists too). */
export { toRoomMetadata, type RoomMetadata } from './rooms.presenter.js';
