import type { Actor, AppContext } from '../../context.js';
import type { JobRow } from '../../db/schema/index.js';
import { notFound, validationError } from '../../errors.js';
import { backoffMs, enqueue, type JobHandler, type JobOutcome } from '../../jobs/queue.js';
import { notifyLevelOf } from '../rooms/rooms.port.js';
import { endpointProblem } from './endpoint-guard.js';
import type { PushSender } from './push-sender.js';
import * as repo from './push.repo.js';

export type PushService = ReturnType<typeof createPushService>;

/** The JSON a push carries (SPEC "Web Push"); `preview` at most 120 characters. */
export interface PushPayload {
  type: 'message';
  room: string;
  roomName: string;
  messageId: string;
  seq: number;
  sender: { id: string; username: string } | null;
  preview: string;
}

const PREVIEW_LENGTH = 120;
/** How long a push service keeps an undelivered push: a day. */
const PUSH_TTL_SEC = 86_400;

function previewOf(m: repo.PushMessage): string {
  const text = m.type === 'file' ? `📎 ${m.content || 'a file'}` : m.content;
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > PREVIEW_LENGTH ? `${flat.slice(0, PREVIEW_LENGTH - 1)}…` : flat;
}

/** When to try again after a 429/503 with `Retry-After` (seconds or an HTTP date); undefined if none. */
export function retryAfterDate(value: string | undefined, now = Date.now()): Date | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return new Date(now + Number(value.trim()) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : new Date(Math.max(at, now));
}

/**
 * Web Push (SPEC "Web Push"): subscriptions, and the two jobs of the durable queue that deliver a
 * message. `push.message` (queued by the send statement, in its transaction) decides who is notified
 * when it runs: members other than the sender with no connected socket on any node, whose level lets
 * the message through and who have not blocked the sender; it queues one `push.send` per subscription
 * (deduplicated by message and subscription). `push.send` encrypts and sends; 404/410 delete the
 * subscription, 429 waits for Retry-After, a failure is retried with backoff and jitter for
 * PUSH_RETRY_FOR_MS after the message, then given up.
 */
export function createPushService(
  ctx: AppContext,
  deps: { send: PushSender; isConnected: (userId: string) => Promise<boolean> },
) {
  const { db, config, log } = ctx;
  const allowPrivate = config.PUSH_ALLOW_PRIVATE_ENDPOINTS;

  const pushMessage: JobHandler = async (job) => {
    const messageId = String(job.payload.messageId);
    const message = await repo.findPushMessage(db, messageId);
    if (!message || message.deleted) return { done: true };
    const candidates = await repo.listPushCandidates(db, message);
    const wanted = candidates.filter((c) => {
      const level = notifyLevelOf(message.roomType, c.notifyLevel);
      return level === 'all' || (level === 'mentions' && c.mentioned);
    });
    const userIds = [...new Set(wanted.map((c) => c.userId))];
    const online = await Promise.all(userIds.map((u) => deps.isConnected(u)));
    const connected = new Map(userIds.map((u, i) => [u, online[i]]));
    await enqueue(
      db,
      wanted
        .filter((c) => !connected.get(c.userId))
        .map((c) => ({
          kind: 'push.send',
          payload: { messageId, subscriptionId: c.subscriptionId, queuedAt: job.createdAt },
          dedupeKey: `push.send:${messageId}:${c.subscriptionId}`,
        })),
    );
    return { done: true };
  };

  const pushSend: JobHandler = async (job: JobRow): Promise<JobOutcome> => {
    const messageId = String(job.payload.messageId);
    const subscription = await repo.findSubscription(db, String(job.payload.subscriptionId));
    if (!subscription) return { done: true };
    const message = await repo.findPushMessage(db, messageId);
    if (!message || message.deleted) return { done: true };
    const payload: PushPayload = {
      type: 'message',
      room: message.roomId,
      roomName: message.roomName,
      messageId: message.id,
      seq: message.seq,
      sender: message.senderId
        ? { id: message.senderId, username: message.senderUsername ?? '' }
        : null,
      preview: previewOf(message),
    };
    const queuedAt = Date.parse(String(job.payload.queuedAt ?? job.createdAt.toISOString()));
    const expired = Date.now() - queuedAt > config.PUSH_RETRY_FOR_MS;
    const retry = (error: string, at?: Date): JobOutcome =>
      expired
        ? { giveUp: `${error}; retried for ${config.PUSH_RETRY_FOR_MS} ms` }
        : {
            retryAt:
              at ?? new Date(Date.now() + backoffMs(job.attempts, config.JOBS_RETRY_BASE_MS)),
            error,
          };
    let res;
    try {
      res = await deps.send(subscription, JSON.stringify(payload), {
        ttlSec: PUSH_TTL_SEC,
        // One topic per message (≤ 32 base64url characters): a resend replaces the first if queued.
        topic: message.id.replace(/-/g, ''),
      });
    } catch (err) {
      if ((err as { permanent?: boolean }).permanent) {
        await repo.deleteSubscriptionById(db, subscription.id);
        return { giveUp: (err as Error).message };
      }
      return retry(err instanceof Error ? err.message : String(err));
    }
    if (res.status >= 200 && res.status < 300) return { done: true };
    if (res.status === 404 || res.status === 410) {
      await repo.deleteSubscriptionById(db, subscription.id);
      return { done: true };
    }
    if (res.status === 429 || res.status === 503)
      return retry(`push service ${res.status}`, retryAfterDate(res.retryAfter));
    if (res.status >= 500 || res.status === 408) return retry(`push service ${res.status}`);
    log.warn({ status: res.status, subscription: subscription.id }, 'push refused');
    return { giveUp: `push service ${res.status}` };
  };

  return {
    jobs: { 'push.message': pushMessage, 'push.send': pushSend } as Record<string, JobHandler>,

    publicKey(): { publicKey: string } {
      return { publicKey: config.VAPID_PUBLIC_KEY };
    },

    async subscribe(
      actor: Actor,
      sub: { endpoint: string; keys: { p256dh: string; auth: string } },
    ): Promise<{ id: string; endpoint: string; createdAt: string }> {
      const problem = endpointProblem(sub.endpoint, allowPrivate);
      if (problem)
        throw validationError('Invalid push subscription', [
          { path: 'endpoint', message: problem },
        ]);
      const row = await repo.upsertSubscription(db, actor.userId, {
        endpoint: sub.endpoint,
        p256dh: sub.keys.p256dh,
        auth: sub.keys.auth,
      });
      return { id: row.id, endpoint: row.endpoint, createdAt: row.createdAt.toISOString() };
    },

    /** Deletes every subscription of a user: no push reaches their browsers again (erasure). */
    unsubscribeAll(userId: string): Promise<number> {
      return repo.deleteSubscriptionsOf(db, userId);
    },

    async unsubscribe(actor: Actor, endpoint: string): Promise<{ endpoint: string }> {
      if (!(await repo.deleteSubscription(db, actor.userId, endpoint)))
        throw notFound('Push subscription');
      return { endpoint };
    },
  };
}
