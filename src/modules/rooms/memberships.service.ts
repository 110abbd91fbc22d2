import type { AppContext } from '../../context.js';
import type { RoomRow } from '../../db/schema/index.js';
import { deleteRoomLocked, removeMember } from './rooms.removal.js';
import * as repo from './rooms.repo.js';
import { GENERAL_SLUG } from './rooms.service.js';

/** A room as a user's data export lists it: what it is, and my place in it. */
export interface MembershipView {
  id: string;
  slug: string;
  name: string;
  type: RoomRow['type'];
  myRole: 'owner' | 'admin' | 'member';
  joinedAt: string;
}

export type MembershipsService = ReturnType<typeof createMembershipsService>;

/** A user's memberships as a whole (SPEC "My data"): listed for their export, ended by erasure. */
export function createMembershipsService(
  ctx: AppContext,
  hooks: { prepareRoomDeletion?: (room: RoomRow) => Promise<() => Promise<void>> } = {},
) {
  const { db, broadcaster } = ctx;

  /**
   * Deletes a room that no one is a member of any more (`general` excepted), with its files: nobody
   * could manage it, and a private or direct one nobody could even reach. Decided again under the
   * room's lock, so a member who joined meanwhile keeps it.
   */
  async function deleteIfEmpty(roomId: string): Promise<boolean> {
    const room = await repo.findRoomByRef(db, roomId);
    if (!room || room.memberCount > 0 || room.slug === GENERAL_SLUG) return false;
    return deleteRoomLocked(db, broadcaster, room, hooks.prepareRoomDeletion, async (tx) => {
      const fresh = await repo.findRoomByRef(tx, roomId);
      return fresh !== undefined && fresh.memberCount === 0;
    });
  }

  return {
    /** The rooms a user belongs to, with their role and since when. */
    async membershipsOf(userId: string): Promise<MembershipView[]> {
      const rows = await repo.listMembershipsOf(db, userId);
      return rows.map(({ room, member }) => ({
        id: room.id,
        slug: room.slug,
        name: room.name,
        type: room.type,
        myRole: member.role,
        joinedAt: member.joinedAt.toISOString(),
      }));
    },

    /**
     * Takes a user out of every room, direct ones included (account erasure): each as when they leave,
     * under the room's lock (an owner hands the room to the longest-standing admin, else member; the
     * room hears `member-left`); a room left with no member is deleted. Safe to run again: a room
     * already left is skipped. Returns how many rooms were left now.
     */
    async leaveEverywhere(userId: string): Promise<number> {
      let left = 0;
      for (const roomId of await repo.listRoomIdsOfUser(db, userId)) {
        if ((await removeMember(db, broadcaster, roomId, userId)) !== 'removed') continue;
        left += 1;
        await deleteIfEmpty(roomId);
      }
      return left;
    },
  };
}
