import type { Executor } from '../../db/client.js';
import { auditLog } from '../../db/schema/index.js';

export interface AuditEntry {
  /** Who did it; null for the server's shell (`npm run admin`) or a job. */
  actorId: string | null;
  action: string;
  targetType: 'user' | 'room' | 'message' | 'report';
  targetId: string;
  details?: Record<string, unknown>;
}

/**
 * THE way an action is recorded (SPEC "Audit log"): in the caller's transaction, so the entry commits
 * with the action or not at all. Nothing updates or deletes these rows.
 */
export async function appendAudit(tx: Executor, entry: AuditEntry): Promise<void> {
  await tx.insert(auditLog).values({
    actorId: entry.actorId,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    details: entry.details ?? {},
  });
}
