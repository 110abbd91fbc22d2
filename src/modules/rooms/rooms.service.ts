import { randomBytes } from 'node:crypto';
import type { Actor, AppContext } from '../../context.js';
import { isId } from '../../db/ids.js';
import type { Tx } from '../../db/client.js';
import { transaction } from '../../db/tx.js';
import type { NotifyLevel, RoomRole, RoomRow, UserRow } from '../../db/schema/index.js';
import { conflict, forbidden, notFound, validationError } from '../../errors.js';
import { decodeJsonCursor, encodeCursor, isTimeIdPair } from '../../http/cursor.js';
import type { PageInfo } from '../../http/respond.js';
import { loadMessageViews, noFiles, type FileViewLoader } from '../messages/messages.port.js';
import { blockedEitherWay, findUserById } from '../users/users.port.js';
import { assertMember, assertVisible, requireModerator } from './rooms.access.js';
import { toMemberView, toRoomView, type MemberView, type RoomView } from './rooms.presenter.js';
import { memberJoined, memberUpdated, roomJoined } from './rooms.events.js';
import { isBanned } from './moderation.repo.js';
import { appendAudit } from '../admin/admin.port.js';
import type { RoomPatch } from './moderation.service.js';
import { deleteRoomLocked, removeMember } from './rooms.removal.js';
import * as repo from './rooms.repo.js';
import { ROLE_RANK } from './rooms.repo.js';
import { slugify, withSuffix } from './slug.js';

export const GENERAL_SLUG = 'general';

export type RoomsService = ReturnType<typeof createRoomsService>;

const isPair = (v: unknown): v is [string, string] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string';
const isRankPair = (v: unknown): v is [number, string] =>
  Array.isArray(v) &&
  v.length === 2 &&
  Number.isInteger(v[0]) &&
  (v[0] as number) >= 0 &&
  (v[0] as number) <= 2 &&
  typeof v[1] === 'string';

export function createRoomsService(
  ctx: AppContext,
  hooks: {
    loadFiles?: FileViewLoader;
    prepareRoomDeletion?: (room: RoomRow) => Promise<() => Promise<void>>;
    /** THE write of a room's PATCH (moderation.service): one transaction, one `room-updated`. */
    updateRoom?: (actor: Actor, ref: string, patch: RoomPatch) => Promise<RoomRow>;
  } = {},
) {
  const { db, broadcaster } = ctx;
  const loadFiles = hooks.loadFiles ?? noFiles;

  async function peersOf(userId: string, roomsList: RoomRow[]): Promise<Map<string, UserRow>> {
    const directIds = roomsList.filter((r) => r.type === 'direct').map((r) => r.id);
    const peers = new Map<string, UserRow>();
    for (const { roomId, user } of await repo.listDirectPeers(db, directIds)) {
      if (user.id !== userId) peers.set(roomId, user);
    }
    return peers;
  }

  /** One room as the caller sees it, with unread count and last message. */
  async function roomViewFor(userId: string, room: RoomRow): Promise<RoomView> {
    const member = (await repo.findMembership(db, room.id, userId)) ?? null;
    const { unread, mentions, lastMessageId } = member
      ? await repo.unreadCountOf(db, room.id, userId)
      : { unread: 0, mentions: 0, lastMessageId: null };
    const [views, peers] = await Promise.all([
      member && lastMessageId
        ? loadMessageViews(db, [lastMessageId], loadFiles)
        : Promise.resolve(new Map()),
      peersOf(userId, [room]),
    ]);
    return toRoomView(room, {
      member,
      unreadCount: unread,
      mentionCount: mentions,
      lastMessage: lastMessageId ? (views.get(lastMessageId) ?? null) : null,
      peer: peers.get(room.id),
    });
  }

  async function insertWithFreeSlug(
    values: Omit<Parameters<typeof repo.insertRoom>[1], 'slug'> & { slug: string },
    tx = db,
  ): Promise<RoomRow> {
    let slug = values.slug;
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const room = await repo.insertRoom(tx, { ...values, slug });
      if (room) return room;
      slug = withSuffix(values.slug);
    }
    throw conflict('Could not find a free slug for this room name');
  }

  async function announceJoin(roomId: string, userId: string): Promise<MemberView | undefined> {
    const [member, user] = await Promise.all([
      repo.findMembership(db, roomId, userId),
      findUserById(db, userId),
    ]);
    if (!member || !user) return undefined;
    const view = toMemberView(member, user);
    broadcaster.toRoom(roomId, memberJoined, { room: roomId, user: view.user, role: view.role });
    return view;
  }

  async function accessFor(actor: Actor, ref: string) {
    return assertMember(await repo.findRoomWithMembership(db, ref, actor.userId));
  }

  /**
   * Adds a member under the room's lock (lock order: room first, see db/tx.ts); true if added now.
   * With `claimOwnerless`, a user's own join of a room left without an owner (its last members left)
   * makes them its owner: a room that anyone can discover is never without someone to manage it.
   */
  function addMemberLocked(
    roomId: string,
    userId: string,
    role: RoomRole,
    claimOwnerless = false,
    bannedMessage = 'This user is banned from this room',
  ): Promise<boolean> {
    return transaction(db, async (tx) => {
      if (!(await repo.lockRoom(tx, roomId))) throw notFound('Room');
      // SPEC "Room moderation": a banned user cannot join or be added, decided under the room's lock.
      if (await isBanned(tx, roomId, userId)) throw forbidden(bannedMessage);
      const claim = claimOwnerless && !(await repo.hasOwner(tx, roomId));
      return repo.addMember(tx, roomId, userId, claim ? 'owner' : role);
    });
  }

  /** Leaves, or removes someone (`record`: the audit entry of a removal, in its transaction). */
  async function leaveRoom(
    room: RoomRow,
    userId: string,
    record?: (tx: Tx) => Promise<void>,
  ): Promise<void> {
    const outcome = await removeMember(db, broadcaster, room.id, userId, record);
    if (outcome === 'no-room') throw notFound('Room');
    if (outcome === 'not-member') throw notFound('Member');
  }

  return {
    /** The rooms I am in, most recently active first, with unread counts and last message. */
    async listMine(
      actor: Actor,
      params: { limit: number; cursor?: string },
    ): Promise<{ items: RoomView[]; page: PageInfo }> {
      const before = params.cursor ? decodeJsonCursor('r', params.cursor, isTimeIdPair) : undefined;
      const rows = await repo.listMyRooms(db, actor.userId, {
        before: before ? { activityAt: new Date(before[0]), id: before[1] } : undefined,
        limit: params.limit + 1,
      });
      const pageRows = rows.slice(0, params.limit);
      const lastIds = pageRows
        .map((r) => r.lastMessageId)
        .filter((id): id is string => id !== null);
      const [views, peers] = await Promise.all([
        loadMessageViews(db, lastIds, loadFiles),
        peersOf(
          actor.userId,
          pageRows.map((r) => r.room),
        ),
      ]);
      const items = pageRows.map((r) =>
        toRoomView(r.room, {
          member: r.member,
          unreadCount: r.unreadCount,
          mentionCount: r.mentionCount,
          lastMessage: r.lastMessageId ? (views.get(r.lastMessageId) ?? null) : null,
          peer: peers.get(r.room.id),
        }),
      );
      const last = pageRows.at(-1);
      const nextCursor =
        rows.length > params.limit && last
          ? encodeCursor('r', JSON.stringify([last.activityAt.toISOString(), last.room.id]))
          : null;
      return { items, page: { nextCursor, limit: params.limit } };
    },

    /** Public rooms anyone may join, by name. */
    async listPublic(
      actor: Actor,
      params: { q?: string; limit: number; cursor?: string },
    ): Promise<{ items: RoomView[]; page: PageInfo }> {
      const after = params.cursor ? decodeJsonCursor('p', params.cursor, isPair) : undefined;
      // One query: each room comes with the caller's membership (left join), not one lookup per room.
      const rows = await repo.listPublicRoomsWithMembership(db, actor.userId, {
        q: params.q || undefined,
        after: after ? { name: after[0], id: after[1] } : undefined,
        limit: params.limit + 1,
      });
      const pageRows = rows.slice(0, params.limit);
      const items = pageRows.map(({ room, member }) => toRoomView(room, { member }));
      const last = pageRows.at(-1)?.room;
      const nextCursor =
        rows.length > params.limit && last
          ? encodeCursor('p', JSON.stringify([last.name.toLowerCase(), last.id]))
          : null;
      return { items, page: { nextCursor, limit: params.limit } };
    },

    /** A room's details: public rooms to anyone signed in, others to members only. */
    async get(actor: Actor, ref: string): Promise<RoomView> {
      const found = await repo.findRoomWithMembership(db, ref, actor.userId);
      return roomViewFor(actor.userId, assertVisible(found).room);
    },

    /** Creates a public or private room owned by the caller. */
    async create(
      actor: Actor,
      input: { name: string; type: 'public' | 'private'; description?: string | null },
    ): Promise<RoomView> {
      const room = await transaction(db, async (tx) => {
        const created = await insertWithFreeSlug(
          {
            // A private room's slug always carries a random suffix: a plain one, taken, would show
            // whoever creates a room of the same name (and gets a suffixed slug) that it exists.
            slug: input.type === 'private' ? withSuffix(slugify(input.name)) : slugify(input.name),
            name: input.name,
            type: input.type,
            description: input.description ?? null,
            createdBy: actor.userId,
          },
          tx,
        );
        await repo.addMember(tx, created.id, actor.userId, 'owner');
        return created;
      });
      broadcaster.subscribeUser(actor.userId, room.id);
      return roomViewFor(actor.userId, (await repo.findRoomByRef(db, room.id))!);
    },

    /**
     * Renames or re-describes a room (owner or admin), and changes its slow mode and retention (also
     * instance admins, through the moderation service). Every part is checked before any is applied.
     */
    async update(
      actor: Actor,
      ref: string,
      patch: {
        name?: string;
        description?: string | null;
        slowModeSeconds?: number;
        retentionDays?: number | null;
      },
    ): Promise<RoomView> {
      // Renaming is the room's owner and admins' alone (instance admins moderate, they do not rename).
      if (patch.name !== undefined || patch.description !== undefined)
        requireModerator(await accessFor(actor, ref), 'change this room');
      if (!hooks.updateRoom) throw forbidden('Rooms cannot be changed here');
      return roomViewFor(actor.userId, await hooks.updateRoom(actor, ref, patch));
    },

    /** My notification level for a room (SPEC "Preferences"): any member, for themself. */
    async setNotifyLevel(actor: Actor, ref: string, level: NotifyLevel): Promise<RoomView> {
      const access = await accessFor(actor, ref);
      if (!(await repo.setNotifyLevel(db, access.room.id, actor.userId, level)))
        throw notFound('Room');
      return roomViewFor(actor.userId, access.room);
    },

    /** Deletes a room with its messages: owner only. */
    async remove(actor: Actor, ref: string): Promise<{ id: string }> {
      const access = await accessFor(actor, ref);
      if (access.room.type === 'direct') throw forbidden('Direct rooms cannot be deleted');
      if (access.member.role !== 'owner') throw forbidden('Only the owner can delete this room');
      const deleted = await deleteRoomLocked(
        db,
        broadcaster,
        access.room,
        hooks.prepareRoomDeletion,
        async (tx) => {
          // Still its owner at this moment (the room may have been handed over meanwhile).
          const member = await repo.findMembership(tx, access.room.id, actor.userId);
          if (member?.role !== 'owner') throw forbidden('Only the owner can delete this room');
          // SPEC "Audit log": a room deleted, in the deletion's transaction.
          await appendAudit(tx, {
            actorId: actor.userId,
            action: 'room.delete',
            targetType: 'room',
            targetId: access.room.id,
            details: {
              name: access.room.name,
              type: access.room.type,
              members: access.room.memberCount,
              by: 'owner',
            },
          });
        },
      );
      if (!deleted) throw notFound('Room');
      return { id: access.room.id };
    },

    /**
     * Deletes any room (an instance admin, SPEC "Content"), `general` excepted: under the room's lock,
     * with `record` (the audit entry) in the same transaction; then its files go and its sockets hear
     * `room-deleted`, as when its owner deletes it.
     */
    async removeAny(
      id: string,
      record: (tx: Tx, room: RoomRow) => Promise<void>,
    ): Promise<{ id: string }> {
      const room = isId(id) ? await repo.findRoomByRef(db, id) : undefined;
      if (!room) throw notFound('Room');
      if (room.slug === GENERAL_SLUG) throw forbidden('The general room cannot be deleted');
      const deleted = await deleteRoomLocked(
        db,
        broadcaster,
        room,
        hooks.prepareRoomDeletion,
        (tx) => record(tx, room),
      );
      if (!deleted) throw notFound('Room');
      return { id: room.id };
    },

    /** Joins a public room (idempotent). Private and direct rooms are joined by invitation only. */
    async join(actor: Actor, ref: string): Promise<RoomView> {
      const found = assertVisible(await repo.findRoomWithMembership(db, ref, actor.userId));
      if (!found.member) {
        // `general` belongs to the instance: nobody claims it.
        const claim = found.room.slug !== GENERAL_SLUG && found.room.createdBy !== null;
        const added = await addMemberLocked(
          found.room.id,
          actor.userId,
          'member',
          claim,
          'You are banned from this room',
        );
        if (added) {
          broadcaster.subscribeUser(actor.userId, found.room.id);
          await announceJoin(found.room.id, actor.userId);
        }
      } else {
        // Already a member: (re)subscribe every socket of the user, which repairs a subscription
        // change that was lost on the way (a Redis outage).
        broadcaster.subscribeUser(actor.userId, found.room.id);
      }
      return roomViewFor(actor.userId, (await repo.findRoomByRef(db, found.room.id))!);
    },

    /** Leaves a room; an owner who leaves hands the room to the longest-standing admin or member. */
    async leave(actor: Actor, ref: string): Promise<{ room: string; left: true }> {
      const access = await accessFor(actor, ref);
      if (access.room.type === 'direct') throw forbidden('Direct rooms cannot be left');
      await leaveRoom(access.room, actor.userId);
      return { room: access.room.id, left: true };
    },

    /** Members of a room I belong to: owners, admins, then members, alphabetical. */
    async listMembers(
      actor: Actor,
      ref: string,
      params: { limit: number; cursor?: string },
    ): Promise<{ items: MemberView[]; page: PageInfo }> {
      const { room } = await accessFor(actor, ref);
      const after = params.cursor ? decodeJsonCursor('m', params.cursor, isRankPair) : undefined;
      const rows = await repo.listMembers(db, room.id, {
        after: after ? { rank: after[0], username: after[1] } : undefined,
        limit: params.limit + 1,
      });
      const pageRows = rows.slice(0, params.limit);
      const last = pageRows.at(-1);
      const nextCursor =
        rows.length > params.limit && last
          ? encodeCursor(
              'm',
              JSON.stringify([ROLE_RANK[last.member.role], last.user.username.toLowerCase()]),
            )
          : null;
      return {
        items: pageRows.map((r) => toMemberView(r.member, r.user)),
        page: { nextCursor, limit: params.limit },
      };
    },

    /** Adds a user to a room: an owner or admin invites. Returns whether they were added now. */
    async addMember(
      actor: Actor,
      ref: string,
      userId: string,
    ): Promise<{ member: MemberView; added: boolean }> {
      const access = await accessFor(actor, ref);
      requireModerator(access, 'add members');
      const user = isId(userId) ? await findUserById(db, userId) : undefined;
      if (!user) throw notFound('User');
      const added = await addMemberLocked(access.room.id, user.id, 'member');
      if (added) {
        broadcaster.subscribeUser(user.id, access.room.id);
        broadcaster.toUser(user.id, roomJoined, { room: access.room.id });
      }
      const member = await repo.findMembership(db, access.room.id, user.id);
      if (!member) throw notFound('Member');
      const view = toMemberView(member, user);
      if (added)
        broadcaster.toRoom(access.room.id, memberJoined, {
          room: access.room.id,
          user: view.user,
          role: view.role,
        });
      return { member: view, added };
    },

    /**
     * Removes a member. Removing oneself is leaving; otherwise the owner may remove anyone and an admin
     * only plain members. Their sockets stop receiving the room at once.
     */
    async removeMember(
      actor: Actor,
      ref: string,
      userId: string,
    ): Promise<{ room: string; userId: string; removed: true }> {
      const access = await accessFor(actor, ref);
      if (access.room.type === 'direct') throw forbidden('Direct rooms cannot be changed');
      if (userId === actor.userId) {
        await leaveRoom(access.room, actor.userId);
        return { room: access.room.id, userId, removed: true };
      }
      requireModerator(access, 'remove members');
      const target = isId(userId)
        ? await repo.findMembership(db, access.room.id, userId)
        : undefined;
      if (!target) throw notFound('Member');
      if (access.member.role === 'admin' && target.role !== 'member')
        throw forbidden('An admin can remove only members');
      await leaveRoom(access.room, userId, (tx) =>
        appendAudit(tx, {
          actorId: actor.userId,
          action: 'member.remove',
          targetType: 'user',
          targetId: userId,
          details: { room: access.room.id },
        }),
      );
      return { room: access.room.id, userId, removed: true };
    },

    /** Changes a member's role: owner only. Making someone owner hands over the room (the old owner becomes admin). */
    async setRole(actor: Actor, ref: string, userId: string, role: RoomRole): Promise<MemberView> {
      const access = await accessFor(actor, ref);
      if (access.room.type === 'direct') throw forbidden('Direct rooms cannot be changed');
      if (access.member.role !== 'owner') throw forbidden('Only the owner can change roles');
      if (userId === actor.userId)
        throw validationError('Hand the room over by making another member owner');
      const target = isId(userId)
        ? await repo.findMembership(db, access.room.id, userId)
        : undefined;
      if (!target) throw notFound('Member');
      await transaction(db, async (tx) => {
        await repo.lockRoom(tx, access.room.id);
        await repo.setMemberRole(tx, access.room.id, userId, role);
        if (role === 'owner') await repo.setMemberRole(tx, access.room.id, actor.userId, 'admin');
      });
      const member = (await repo.findMembership(db, access.room.id, userId))!;
      const user = (await findUserById(db, userId))!;
      const view = toMemberView(member, user);
      broadcaster.toRoom(access.room.id, memberUpdated, {
        room: access.room.id,
        userId,
        role: view.role,
        muted: view.muted,
        mutedUntil: view.mutedUntil,
      });
      return view;
    },

    /** The one direct room of two users, created by whoever asks first. */
    async openDirect(actor: Actor, userId: string): Promise<{ room: RoomView; created: boolean }> {
      if (userId === actor.userId)
        throw validationError('A direct room needs another user', [
          { path: 'userId', message: 'must not be yourself' },
        ]);
      const other = isId(userId) ? await findUserById(db, userId) : undefined;
      if (!other) throw notFound('User');
      // SPEC "Blocking": no direct room between two users when either blocked the other.
      if (await blockedEitherWay(db, actor.userId, other.id))
        throw forbidden('You cannot message this user');
      const directKey = [actor.userId, other.id].sort().join(':');
      const created = await transaction(db, async (tx) => {
        const room = await repo.insertRoom(tx, {
          slug: `dm-${randomBytes(6).toString('hex')}`,
          name: 'Direct message',
          type: 'direct',
          directKey,
        });
        if (!room) return undefined;
        await repo.addMember(tx, room.id, actor.userId, 'member');
        await repo.addMember(tx, room.id, other.id, 'member');
        return room;
      });
      const room = created ?? (await repo.findRoomByDirectKey(db, directKey));
      if (!room) throw conflict('Direct room could not be opened, please retry');
      if (created) {
        broadcaster.subscribeUser(actor.userId, room.id);
        broadcaster.subscribeUser(other.id, room.id);
        broadcaster.toUser(other.id, roomJoined, { room: room.id });
      }
      // Re-read: the row returned by the insert predates the two members being counted.
      const fresh = (await repo.findRoomByRef(db, room.id)) ?? room;
      return { room: await roomViewFor(actor.userId, fresh), created: Boolean(created) };
    },

    /** New users join the `general` room. */
    async joinGeneral(userId: string): Promise<void> {
      const general = await repo.findRoomByRef(db, GENERAL_SLUG);
      if (general && (await addMemberLocked(general.id, userId, 'member'))) {
        broadcaster.subscribeUser(userId, general.id);
        await announceJoin(general.id, userId);
      }
    },
  };
}
