import type { Actor, AppContext } from '../../context.js';
import type { Executor } from '../../db/client.js';
import type { ReportAction, RoomRow, UserRow } from '../../db/schema/index.js';
import { isId } from '../../db/ids.js';
import { transaction } from '../../db/tx.js';
import { conflict, forbidden, notFound, validationError } from '../../errors.js';
import {
  decodeJsonCursor,
  decodeSeqCursor,
  encodeCursor,
  isTimeIdPair,
  timeIdPage,
} from '../../http/cursor.js';
import type { PageInfo } from '../../http/respond.js';
import { toOwnUser, type OwnUser } from '../users/users.port.js';
import { requireMessageAccess } from '../messages/messages.port.js';
import { toRoomMetadata, type RoomMetadata } from '../rooms/rooms.port.js';
import * as repo from './admin.repo.js';
import * as reportsRepo from './reports.repo.js';
import { appendAudit } from './audit.js';
import { statsRange } from './stats.range.js';
import * as statsRepo from './stats.repo.js';

export interface AdminUserView extends Omit<OwnUser, 'email'> {
  /** Null for an erased account. */
  email: string | null;
  lastSeenAt: string | null;
  deactivatedAt: string | null;
  deactivationReason: string | null;
}

function toAdminUser(u: UserRow): AdminUserView {
  return {
    ...toOwnUser(u),
    email: u.email,
    lastSeenAt: u.lastSeenAt?.toISOString() ?? null,
    deactivatedAt: u.deactivatedAt?.toISOString() ?? null,
    deactivationReason: u.deactivationReason ?? null,
  };
}

export interface AuditView {
  id: number;
  at: string;
  actor: { id: string; username: string | null } | null;
  action: string;
  target: { type: string; id: string };
  details: Record<string, unknown>;
}

export interface ReportView {
  id: string;
  status: 'open' | 'resolved';
  reason: string;
  createdAt: string;
  reporter: { id: string; username: string | null } | null;
  message: {
    id: string;
    seq: number;
    content: string;
    deleted: boolean;
    sender: { id: string; username: string | null } | null;
  };
  room: { id: string; name: string };
  /** Reports of this message, all reporters. */
  reports: number;
  resolution: { action: ReportAction; note: string | null; at: string; by: string | null } | null;
}

function toReportView(r: reportsRepo.ReportListRow): ReportView {
  return {
    id: r.id,
    status: r.resolvedAt ? 'resolved' : 'open',
    reason: r.reason,
    createdAt: r.createdAt.toISOString(),
    reporter: r.reporterId ? { id: r.reporterId, username: r.reporterUsername } : null,
    message: {
      id: r.messageId,
      seq: r.messageSeq,
      content: r.messageDeleted ? '' : r.messageContent,
      deleted: r.messageDeleted,
      sender: r.senderId ? { id: r.senderId, username: r.senderUsername } : null,
    },
    room: { id: r.roomId, name: r.roomName },
    reports: r.count,
    resolution:
      r.resolvedAt && r.action
        ? { action: r.action, note: r.note, at: r.resolvedAt.toISOString(), by: r.resolvedBy }
        : null,
  };
}

/** A room as admins list it: metadata only, never message content (SPEC "Content"). */
export interface AdminRoomView extends RoomMetadata {
  lastMessageAt: string | null;
}

export interface ActivityStatsView extends statsRepo.DayRange {
  days: statsRepo.DayActivity[];
  totals: statsRepo.ActivityTotals;
  busiestRooms: statsRepo.BusyRoom[];
}

export type AdminService = ReturnType<typeof createAdminService>;

/**
 * Instance administration (SPEC "Moderation and administration"). Whether the caller is an admin is
 * read from the database at each action (a role revoked a moment ago counts at once), never from the
 * token.
 */
export function createAdminService(
  ctx: AppContext,
  deps: {
    revokeAllSessions: (userId: string) => Promise<number>;
    /** Deletes any message as its sender could, running `record` in its transaction. */
    removeAnyMessage: (
      id: string,
      record: (tx: Executor, message: { roomId: string; senderId: string | null }) => Promise<void>,
    ) => Promise<{ id: string; room: string; seq: number; rev: number }>;
    /** Deletes any room, running `record` in its transaction. */
    removeAnyRoom: (
      id: string,
      record: (tx: Executor, room: RoomRow) => Promise<void>,
    ) => Promise<{ id: string }>;
  },
) {
  const { db, log } = ctx;

  async function requireAdmin(actor: Actor): Promise<void> {
    if ((await repo.activeRoleOf(db, actor.userId)) !== 'admin')
      throw forbidden('Only instance admins can do this');
  }

  /** Deactivates (with a reason) or reactivates a user, with its audit entry in one transaction. */
  async function setActive(
    actor: Actor,
    id: string,
    deactivated: { reason: string | null } | null,
  ): Promise<UserRow> {
    if (!isId(id)) throw notFound('User');
    const user = await transaction(db, async (tx) => {
      const row = await repo.setDeactivated(tx, id, deactivated);
      if (!row) return undefined;
      await appendAudit(tx, {
        actorId: actor.userId,
        action: deactivated ? 'user.deactivate' : 'user.reactivate',
        targetType: 'user',
        targetId: id,
        details: deactivated?.reason ? { reason: deactivated.reason } : {},
      });
      return row;
    });
    if (!user) throw notFound('User');
    return user;
  }

  /** Deactivation, once the caller is known to be an admin (the route, or resolving a report). */
  async function deactivateUser(actor: Actor, id: string, reason?: string): Promise<AdminUserView> {
    if (id === actor.userId)
      throw validationError('An admin cannot deactivate themself', [
        { path: 'id', message: 'must not be yourself' },
      ]);
    const user = await setActive(actor, id, { reason: reason ?? null });
    const sessions = await deps.revokeAllSessions(id);
    log.info({ userId: id, by: actor.userId, sessions }, 'user deactivated');
    return toAdminUser(user);
  }

  /** An admin's deletion of any message, with its audit entry in the deletion's transaction. */
  function deleteAnyMessage(actor: Actor, id: string) {
    return deps.removeAnyMessage(id, (tx, message) =>
      appendAudit(tx, {
        actorId: actor.userId,
        action: 'message.delete',
        targetType: 'message',
        targetId: id,
        details: { room: message.roomId, sender: message.senderId },
      }),
    );
  }

  return {
    requireAdmin,

    async listUsers(
      actor: Actor,
      query: { q?: string; status?: 'active' | 'deactivated'; limit: number; before?: string },
    ): Promise<{ items: AdminUserView[]; page: PageInfo }> {
      await requireAdmin(actor);
      const before = query.before ? decodeJsonCursor('a', query.before, isTimeIdPair) : undefined;
      const rows = await repo.listUsers(db, {
        q: query.q || undefined,
        status: query.status,
        before: before ? { at: new Date(before[0]), id: before[1] } : undefined,
        limit: query.limit + 1,
      });
      const { page, nextCursor } = timeIdPage(rows, query.limit, 'a', (u) => [u.createdAt, u.id]);
      return { items: page.map(toAdminUser), page: { nextCursor, limit: query.limit } };
    },

    /**
     * Deactivates an account: recorded with its audit entry in one transaction, then every session is
     * revoked and every socket closed on every node. Login is refused from the commit on, and a session
     * opened by a login that raced it is refused at its first request (the session check reads
     * `deactivated_at`).
     */
    async deactivate(actor: Actor, id: string, reason?: string): Promise<AdminUserView> {
      await requireAdmin(actor);
      return deactivateUser(actor, id, reason);
    },

    /** Deletes any message (SPEC "Content"), as a tombstone like its sender's deletion; audited. */
    async deleteMessage(
      actor: Actor,
      id: string,
    ): Promise<{ id: string; room: string; seq: number; rev: number }> {
      await requireAdmin(actor);
      return deleteAnyMessage(actor, id);
    },

    /** Reports a message I can read (SPEC "Reports"): once per reporter and message (409 after). */
    async report(
      actor: Actor,
      messageId: string,
      reason: string,
    ): Promise<{ id: string; messageId: string; reason: string; createdAt: string }> {
      const { message } = await requireMessageAccess(db, messageId, actor.userId);
      const row = await reportsRepo.insertReport(db, {
        messageId: message.id,
        reporterId: actor.userId,
        reason,
      });
      if (!row) throw conflict('You already reported this message');
      return {
        id: row.id,
        messageId: row.messageId,
        reason: row.reason,
        createdAt: row.createdAt.toISOString(),
      };
    },

    async listReports(
      actor: Actor,
      query: { status?: 'open' | 'resolved'; before?: string; limit: number },
    ): Promise<{ items: ReportView[]; page: PageInfo }> {
      await requireAdmin(actor);
      const before = query.before ? decodeJsonCursor('o', query.before, isTimeIdPair) : undefined;
      const rows = await reportsRepo.listReports(db, {
        status: query.status,
        before: before ? { at: new Date(before[0]), id: before[1] } : undefined,
        limit: query.limit + 1,
      });
      const { page, nextCursor } = timeIdPage(rows, query.limit, 'o', (r) => [r.createdAt, r.id]);
      return { items: page.map(toReportView), page: { nextCursor, limit: query.limit } };
    },

    /**
     * Resolves an open report with an action (SPEC "Reports"): `dismiss`, `delete-message` (as
     * `DELETE /admin/messages/:id`) or `deactivate-sender` (as deactivation); then the report is
     * marked resolved with its audit entry, in one transaction. 409 when it is already resolved.
     */
    async resolveReport(
      actor: Actor,
      id: string,
      body: { action: ReportAction; note?: string },
    ): Promise<ReportView> {
      await requireAdmin(actor);
      const [report] = isId(id) ? await reportsRepo.listReports(db, { id, limit: 1 }) : [];
      if (!report) throw notFound('Report');
      if (report.resolvedAt) throw conflict('This report is already resolved');
      if (body.action === 'delete-message' && !report.messageDeleted) {
        await deleteAnyMessage(actor, report.messageId).catch((err: unknown) => {
          // Deleted meanwhile: the action is done either way.
          if ((err as { status?: number }).status !== 404) throw err;
        });
      }
      if (body.action === 'deactivate-sender') {
        if (!report.senderId) throw conflict('The sender no longer exists');
        await deactivateUser(actor, report.senderId, body.note ?? `report ${report.id}`);
      }
      const resolved = await transaction(db, async (tx) => {
        if (
          !(await reportsRepo.resolveReport(tx, id, actor.userId, body.action, body.note ?? null))
        )
          return false;
        await appendAudit(tx, {
          actorId: actor.userId,
          action: 'report.resolve',
          targetType: 'report',
          targetId: id,
          details: {
            action: body.action,
            message: report.messageId,
            ...(body.note ? { note: body.note } : {}),
          },
        });
        return true;
      });
      if (!resolved) throw conflict('This report is already resolved');
      const [after] = await reportsRepo.listReports(db, { id, limit: 1 });
      return toReportView(after!);
    },

    /** Every room, private and direct included; metadata only. */
    async listRooms(
      actor: Actor,
      query: { q?: string; before?: string; limit: number },
    ): Promise<{ items: AdminRoomView[]; page: PageInfo }> {
      await requireAdmin(actor);
      const before = query.before ? decodeJsonCursor('k', query.before, isTimeIdPair) : undefined;
      const rows = await repo.listAllRooms(db, {
        q: query.q || undefined,
        before: before ? { at: new Date(before[0]), id: before[1] } : undefined,
        limit: query.limit + 1,
      });
      const { page, nextCursor } = timeIdPage(rows, query.limit, 'k', (r) => [r.createdAt, r.id]);
      return {
        items: page.map((r) => ({
          ...toRoomMetadata(r),
          lastMessageAt: r.lastMessageAt?.toISOString() ?? null,
        })),
        page: { nextCursor, limit: query.limit },
      };
    },

    /** Deletes any room but `general`, with its messages and files; audited. */
    async deleteRoom(actor: Actor, id: string): Promise<{ id: string }> {
      await requireAdmin(actor);
      return deps.removeAnyRoom(id, (tx, room) =>
        appendAudit(tx, {
          actorId: actor.userId,
          action: 'room.delete',
          targetType: 'room',
          targetId: room.id,
          details: { name: room.name, type: room.type, members: room.memberCount },
        }),
      );
    },

    /** The audit log, newest first (SPEC "Audit log"). */
    async audit(
      actor: Actor,
      query: { before?: string; actor?: string; action?: string; limit: number },
    ): Promise<{ items: AuditView[]; page: PageInfo }> {
      await requireAdmin(actor);
      const before = query.before ? decodeSeqCursor('l', query.before) : undefined;
      if (query.actor && !isId(query.actor))
        throw validationError('Invalid actor', [{ path: 'actor', message: 'must be a user id' }]);
      const rows = await repo.listAudit(db, {
        before,
        actor: query.actor,
        action: query.action,
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map((r) => ({
          id: r.id,
          at: r.at.toISOString(),
          actor: r.actorId ? { id: r.actorId, username: r.actorUsername } : null,
          action: r.action,
          target: { type: r.targetType, id: r.targetId },
          details: r.details,
        })),
        page: {
          nextCursor: rows.length > query.limit && last ? encodeCursor('l', last.id) : null,
          limit: query.limit,
        },
      };
    },

    /**
     * Activity of a range of UTC days (SPEC "Activity"): per day, the busiest rooms, and the totals
     * of now. 400 when `from` is after `to` or the range is longer than 366 days.
     */
    async stats(actor: Actor, query: { from?: string; to?: string }): Promise<ActivityStatsView> {
      await requireAdmin(actor);
      const range = statsRange(query);
      const [days, totals, busiestRooms] = await Promise.all([
        statsRepo.dailyActivity(db, range),
        statsRepo.activityTotals(db),
        statsRepo.busiestRooms(db, range),
      ]);
      return { ...range, days, totals, busiestRooms };
    },

    async reactivate(actor: Actor, id: string): Promise<AdminUserView> {
      await requireAdmin(actor);
      return toAdminUser(await setActive(actor, id, null));
    },
  };
}
