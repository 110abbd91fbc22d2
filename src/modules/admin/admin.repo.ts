import { and, desc, eq, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import { newestFirst, olderThan } from '../../db/keyset.js';
import type { Executor } from '../../db/client.js';
import { likePrefix } from '../../db/like.js';
import {
  auditLog,
  rooms,
  users,
  type RoomRow,
  type UserRole,
  type UserRow,
} from '../../db/schema/index.js';

/** The user's instance role, read at the moment of the action; undefined when gone or deactivated. */
export async function activeRoleOf(db: Executor, userId: string): Promise<UserRole | undefined> {
  const [row] = await db
    .select({ role: users.role })
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.deactivatedAt)));
  return row?.role;
}

/** Every user, newest first (keyset on created_at, id), by username/email/display-name prefix. */
export async function listUsers(
  db: Executor,
  params: {
    q?: string;
    status?: 'active' | 'deactivated';
    before?: { at: Date; id: string };
    limit: number;
  },
): Promise<UserRow[]> {
  const { before, q } = params;
  return db
    .select()
    .from(users)
    .where(
      and(
        q
          ? or(
              sql`lower(${users.username}) like ${likePrefix(q)}`,
              sql`lower(${users.email}) like ${likePrefix(q)}`,
              sql`lower(${users.displayName}) like ${likePrefix(q)}`,
            )
          : undefined,
        params.status === 'active' ? isNull(users.deactivatedAt) : undefined,
        params.status === 'deactivated' ? isNotNull(users.deactivatedAt) : undefined,
        olderThan(users.createdAt, users.id, before),
      ),
    )
    .orderBy(...newestFirst(users.createdAt, users.id))
    .limit(params.limit);
}

/** Deactivates (with a reason) or reactivates; the row after, or undefined when there is no such user. */
export async function setDeactivated(
  db: Executor,
  userId: string,
  deactivated: { reason: string | null } | null,
): Promise<UserRow | undefined> {
  const [row] = await db
    .update(users)
    .set(
      deactivated
        ? {
            deactivatedAt: sql`coalesce(${users.deactivatedAt}, now())`,
            deactivationReason: deactivated.reason,
          }
        : { deactivatedAt: null, deactivationReason: null },
    )
    .where(eq(users.id, userId))
    .returning();
  return row;
}

/** Sets the role of the user with this username (any case); the row before and after. */
export async function setRoleByUsername(
  db: Executor,
  username: string,
  role: UserRole,
): Promise<{ before: UserRole; user: UserRow } | undefined> {
  const [found] = await db
    .select()
    .from(users)
    .where(sql`lower(${users.username}) = ${username.toLowerCase()}`)
    .for('update');
  if (!found) return undefined;
  const [user] = await db.update(users).set({ role }).where(eq(users.id, found.id)).returning();
  return { before: found.role, user: user! };
}

export interface AuditListRow {
  id: number;
  at: Date;
  actorId: string | null;
  actorUsername: string | null;
  action: string;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
}

/** The audit log, newest first (keyset on id), by actor and/or action. */
export async function listAudit(
  db: Executor,
  params: { before?: number; actor?: string; action?: string; limit: number },
): Promise<AuditListRow[]> {
  const rows = await db
    .select({
      id: auditLog.id,
      at: auditLog.at,
      actorId: auditLog.actorId,
      actorUsername: users.username,
      action: auditLog.action,
      targetType: auditLog.targetType,
      targetId: auditLog.targetId,
      details: auditLog.details,
    })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.actorId))
    .where(
      and(
        params.before !== undefined ? lt(auditLog.id, params.before) : undefined,
        params.actor ? eq(auditLog.actorId, params.actor) : undefined,
        params.action ? eq(auditLog.action, params.action) : undefined,
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(params.limit);
  return rows;
}

/** Every room, private and direct included, newest first (keyset on created_at, id), by name prefix. */
export async function listAllRooms(
  db: Executor,
  params: { q?: string; before?: { at: Date; id: string }; limit: number },
): Promise<RoomRow[]> {
  const { before } = params;
  return db
    .select()
    .from(rooms)
    .where(
      and(
        params.q ? sql`lower(${rooms.name}) like ${likePrefix(params.q)}` : undefined,
        olderThan(rooms.createdAt, rooms.id, before),
      ),
    )
    .orderBy(...newestFirst(rooms.createdAt, rooms.id))
    .limit(params.limit);
}
