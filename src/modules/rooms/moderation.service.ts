import type { Actor, AppContext } from '../../context.js';
import type { Tx } from '../../db/client.js';
import { isId } from '../../db/ids.js';
import type { RoomMemberRow, RoomRow } from '../../db/schema/index.js';
import { transaction } from '../../db/tx.js';
import { conflict, forbidden, notFound, validationError } from '../../errors.js';
import { decodeJsonCursor, isTimeIdPair, timeIdPage } from '../../http/cursor.js';
import type { PageInfo } from '../../http/respond.js';
import { appendAudit, instanceRoleOf } from '../admin/admin.port.js';
import { findUserById } from '../users/users.port.js';
import { isHidden, isModerator } from './rooms.access.js';
import { memberUpdated, roomUpdated } from './rooms.events.js';
import { toMemberView, type MemberView } from './rooms.presenter.js';
import * as repo from './rooms.repo.js';
import { ROLE_RANK } from './rooms.repo.js';
import * as mod from './moderation.repo.js';
import { announceRemoval, removeMemberLocked } from './rooms.removal.js';

export interface BanView {
  room: string;
  user: { id: string; username: string; displayName: string | null; avatarUrl: string | null };
  reason: string | null;
  bannedBy: { id: string; username: string } | null;
  createdAt: string;
}

/** Who may moderate, and over whom: an instance admin over anyone but themself; an owner over admins
 * and members; a room admin over plain members. */
interface Authority {
  instanceAdmin: boolean;
  member: RoomMemberRow | null;
}

function outranks(actor: Authority, target: RoomMemberRow | undefined): boolean {
  if (actor.instanceAdmin) return true;
  if (!actor.member) return false;
  // ROLE_RANK: owner 0, admin 1, member 2; anyone outranks a user who is not a member.
  return ROLE_RANK[actor.member.role] < (target ? ROLE_RANK[target.role] : Infinity);
}

export type ModerationService = ReturnType<typeof createModerationService>;

export type RoomPatch = Parameters<typeof repo.updateRoom>[2];

/**
 * Room moderation (SPEC "Room moderation"): mutes, bans and the room settings that moderators change
 * (slow mode, retention). Who may act is decided in the action's transaction, after the room's lock
 * (lock order room → members → messages, db/tx.ts), from the database: the room's owner and admins,
 * and instance admins. Every action writes its audit entry in that same transaction.
 */
export function createModerationService(ctx: AppContext) {
  const { db, broadcaster } = ctx;

  /**
   * THE moderation access rule, before any lock: the room as the caller may see it (instance admins
   * see every room; others get the hidden-room answer), and 403 for a caller who cannot moderate it.
   */
  async function roomToModerate(actor: Actor, ref: string): Promise<RoomRow> {
    const [found, role] = await Promise.all([
      repo.findRoomWithMembership(db, ref, actor.userId),
      instanceRoleOf(db, actor.userId),
    ]);
    const instanceAdmin = role === 'admin';
    if (!found || (!instanceAdmin && isHidden(found))) throw notFound('Room');
    if (found.room.type === 'direct') throw forbidden('Direct rooms cannot be moderated');
    if (!instanceAdmin && !(found.member && isModerator(found.member)))
      throw forbidden('Only an owner or admin can moderate this room');
    return found.room;
  }

  /**
   * Runs a moderation action under the room's lock, after re-reading the caller's authority there:
   * access is decided at the moment of the action, not by the read before it.
   */
  function underLock<T>(
    actor: Actor,
    room: RoomRow,
    fn: (tx: Tx, authority: Authority) => Promise<T>,
  ): Promise<T> {
    return transaction(db, async (tx) => {
      if (!(await repo.lockRoom(tx, room.id))) throw notFound('Room');
      const [member, role] = await Promise.all([
        repo.findMembership(tx, room.id, actor.userId),
        instanceRoleOf(tx, actor.userId),
      ]);
      const authority = { instanceAdmin: role === 'admin', member: member ?? null };
      if (!authority.instanceAdmin && !(member && isModerator(member)))
        throw forbidden('Only an owner or admin can moderate this room');
      return fn(tx, authority);
    });
  }

  async function targetUser(userId: string) {
    const user = isId(userId) ? await findUserById(db, userId) : undefined;
    if (!user) throw notFound('User');
    return user;
  }

  function announceMember(roomId: string, view: MemberView): void {
    broadcaster.toRoom(roomId, memberUpdated, {
      room: roomId,
      userId: view.user.id,
      role: view.role,
      muted: view.muted,
      mutedUntil: view.mutedUntil,
    });
  }

  async function setMute(
    actor: Actor,
    ref: string,
    userId: string,
    minutes: number | null | undefined,
    mute: boolean,
  ): Promise<MemberView> {
    const room = await roomToModerate(actor, ref);
    if (userId === actor.userId) throw validationError('You cannot mute or unmute yourself');
    const user = await targetUser(userId);
    const member = await underLock(actor, room, async (tx, authority) => {
      const target = await repo.findMembership(tx, room.id, user.id);
      if (!target) throw notFound('Member');
      if (!outranks(authority, target))
        throw forbidden('You can mute only members below your own role');
      const until = mute && minutes ? new Date(Date.now() + minutes * 60_000) : null;
      const row = mute
        ? await mod.setMute(tx, room.id, user.id, until)
        : await mod.clearMute(tx, room.id, user.id);
      if (!row) throw notFound('Member');
      await appendAudit(tx, {
        actorId: actor.userId,
        action: mute ? 'member.mute' : 'member.unmute',
        targetType: 'user',
        targetId: user.id,
        details: mute
          ? { room: room.id, minutes: minutes ?? null, until: until?.toISOString() ?? null }
          : { room: room.id },
      });
      return row;
    });
    const view = toMemberView(member, user);
    announceMember(room.id, view);
    return view;
  }

  return {
    mute: (actor: Actor, ref: string, userId: string, minutes?: number | null) =>
      setMute(actor, ref, userId, minutes, true),
    unmute: (actor: Actor, ref: string, userId: string) => setMute(actor, ref, userId, null, false),

    /** Bans a user: removed at once (their sockets stop the room's events) and refused on join/add. */
    async ban(
      actor: Actor,
      ref: string,
      input: { userId: string; reason?: string | null },
    ): Promise<BanView> {
      const room = await roomToModerate(actor, ref);
      if (input.userId === actor.userId) throw validationError('You cannot ban yourself');
      const user = await targetUser(input.userId);
      const { ban, removed } = await underLock(actor, room, async (tx, authority) => {
        const target = await repo.findMembership(tx, room.id, user.id);
        if (!outranks(authority, target))
          throw forbidden('You can ban only members below your own role');
        const row = await mod.insertBan(tx, {
          roomId: room.id,
          userId: user.id,
          bannedBy: actor.userId,
          reason: input.reason ?? null,
        });
        if (!row) throw conflict('This user is already banned from this room');
        const gone = await removeMemberLocked(tx, broadcaster, room.id, user.id);
        await appendAudit(tx, {
          actorId: actor.userId,
          action: 'room.ban',
          targetType: 'user',
          targetId: user.id,
          details: { room: room.id, reason: input.reason ?? null, removed: gone },
        });
        return { ban: row, removed: gone };
      });
      if (removed) announceRemoval(broadcaster, room.id, user.id);
      return {
        room: room.id,
        user: {
          id: user.id,
          username: user.username,
          displayName: user.displayName,
          avatarUrl: user.avatarUrl,
        },
        reason: ban.reason,
        bannedBy: { id: actor.userId, username: actor.username },
        createdAt: ban.createdAt.toISOString(),
      };
    },

    async unban(
      actor: Actor,
      ref: string,
      userId: string,
    ): Promise<{ room: string; userId: string; unbanned: true }> {
      const room = await roomToModerate(actor, ref);
      await underLock(actor, room, async (tx) => {
        if (!isId(userId) || !(await mod.deleteBan(tx, room.id, userId))) throw notFound('Ban');
        await appendAudit(tx, {
          actorId: actor.userId,
          action: 'room.unban',
          targetType: 'user',
          targetId: userId,
          details: { room: room.id },
        });
      });
      return { room: room.id, userId, unbanned: true };
    },

    async listBans(
      actor: Actor,
      ref: string,
      params: { limit: number; before?: string },
    ): Promise<{ items: BanView[]; page: PageInfo }> {
      const room = await roomToModerate(actor, ref);
      const before = params.before ? decodeJsonCursor('b', params.before, isTimeIdPair) : undefined;
      const rows = await mod.listBans(db, room.id, {
        before: before ? { at: new Date(before[0]), userId: before[1] } : undefined,
        limit: params.limit + 1,
      });
      const { page, nextCursor } = timeIdPage(rows, params.limit, 'b', (r) => [
        r.ban.createdAt,
        r.ban.userId,
      ]);
      return {
        items: page.map((r) => ({
          room: room.id,
          user: r.user,
          reason: r.ban.reason,
          bannedBy: r.bannedBy,
          createdAt: r.ban.createdAt.toISOString(),
        })),
        page: { nextCursor, limit: params.limit },
      };
    },

    /**
     * THE write of `PATCH /api/rooms/:id`, in one transaction under the room's lock, with one
     * `room-updated`: slow mode and retention (moderators and instance admins; a room's retention may
     * only be shorter than the instance's; audited when a value changes), and the name and
     * description (whose owner/admin rule rooms.service checks first).
     */
    async updateRoom(actor: Actor, ref: string, patch: RoomPatch): Promise<RoomRow> {
      const room = await roomToModerate(actor, ref);
      const instanceDays = ctx.config.MESSAGE_RETENTION_DAYS;
      if (
        instanceDays !== undefined &&
        typeof patch.retentionDays === 'number' &&
        patch.retentionDays > instanceDays
      ) {
        throw validationError('Invalid retention', [
          {
            path: 'retentionDays',
            message: `must be at most the instance's ${instanceDays} days`,
          },
        ]);
      }
      const updated = await underLock(actor, room, async (tx) => {
        const before = await repo.findRoomByRef(tx, room.id);
        const row = await repo.updateRoom(tx, room.id, patch);
        if (!before || !row) throw notFound('Room');
        const changes = [
          ['room.slow-mode', before.slowModeSeconds, row.slowModeSeconds],
          ['room.retention', before.retentionDays, row.retentionDays],
        ] as const;
        for (const [action, from, to] of changes)
          if (from !== to)
            await appendAudit(tx, {
              actorId: actor.userId,
              action,
              targetType: 'room',
              targetId: room.id,
              details: { from, to },
            });
        return row;
      });
      broadcaster.toRoom(updated.id, roomUpdated, {
        room: updated.id,
        name: updated.name,
        description: updated.description,
        slowModeSeconds: updated.slowModeSeconds,
        retentionDays: updated.retentionDays,
      });
      return updated;
    },
  };
}
