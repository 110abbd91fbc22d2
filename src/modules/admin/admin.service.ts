import type { Actor, AppContext } from '../../context.js';
import type { UserRow } from '../../db/schema/index.js';
import { isId } from '../../db/ids.js';
import { transaction } from '../../db/tx.js';
import { forbidden, notFound, validationError } from '../../errors.js';
import { decodeJsonCursor, encodeCursor, isTimeIdPair } from '../../http/cursor.js';
import type { PageInfo } from '../../http/respond.js';
import { toOwnUser, type OwnUser } from '../users/users.port.js';
import * as repo from './admin.repo.js';
import { appendAudit } from './audit.js';

export interface AdminUserView extends OwnUser {
  lastSeenAt: string | null;
  deactivatedAt: string | null;
  deactivationReason: string | null;
}

function toAdminUser(u: UserRow): AdminUserView {
  return {
    ...toOwnUser(u),
    lastSeenAt: u.lastSeenAt?.toISOString() ?? null,
    deactivatedAt: u.deactivatedAt?.toISOString() ?? null,
    deactivationReason: u.deactivationReason ?? null,
  };
}

export type AdminService = ReturnType<typeof createAdminService>;

/**
 * Instance administration (SPEC "Moderation and administration"). Whether the caller is an admin is
 * read from the database at each action (a role revoked a moment ago counts at once), never from the
 * token.
 */
export function createAdminService(
  ctx: AppContext,
  deps: { revokeAllSessions: (userId: string) => Promise<number> },
) {
  const { db, log } = ctx;

  async function requireAdmin(actor: Actor): Promise<void> {
    if ((await repo.activeRoleOf(db, actor.userId)) !== 'admin')
      throw forbidden('Only instance admins can do this');
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
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map(toAdminUser),
        page: {
          nextCursor:
            rows.length > query.limit && last
              ? encodeCursor('a', JSON.stringify([last.createdAt.toISOString(), last.id]))
              : null,
          limit: query.limit,
        },
      };
    },

    /**
     * Deactivates an account: recorded with its audit entry in one transaction, then every session is
     * revoked and every socket closed on every node. Login is refused from the commit on, and a session
     * opened by a login that raced it is refused at its first request (the session check reads
     * `deactivated_at`).
     */
    async deactivate(actor: Actor, id: string, reason?: string): Promise<AdminUserView> {
      await requireAdmin(actor);
      if (id === actor.userId)
        throw validationError('An admin cannot deactivate themself', [
          { path: 'id', message: 'must not be yourself' },
        ]);
      if (!isId(id)) throw notFound('User');
      const user = await transaction(db, async (tx) => {
        const row = await repo.setDeactivated(tx, id, { reason: reason ?? null });
        if (!row) return undefined;
        await appendAudit(tx, {
          actorId: actor.userId,
          action: 'user.deactivate',
          targetType: 'user',
          targetId: id,
          details: reason ? { reason } : {},
        });
        return row;
      });
      if (!user) throw notFound('User');
      const sessions = await deps.revokeAllSessions(id);
      log.info({ userId: id, by: actor.userId, sessions }, 'user deactivated');
      return toAdminUser(user);
    },

    async reactivate(actor: Actor, id: string): Promise<AdminUserView> {
      await requireAdmin(actor);
      if (!isId(id)) throw notFound('User');
      const user = await transaction(db, async (tx) => {
        const row = await repo.setDeactivated(tx, id, null);
        if (!row) return undefined;
        await appendAudit(tx, {
          actorId: actor.userId,
          action: 'user.reactivate',
          targetType: 'user',
          targetId: id,
        });
        return row;
      });
      if (!user) throw notFound('User');
      return toAdminUser(user);
    },
  };
}
