import { and, eq, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import {
  messageMentions,
  messages,
  pushSubscriptions,
  roomMembers,
  rooms,
  userBlocks,
  users,
  type NotifyLevel,
  type PushSubscriptionRow,
  type RoomType,
} from '../../db/schema/index.js';
import { enqueueSql } from '../../jobs/queue.js';

/** The same endpoint again replaces the subscription (its keys and owner): one row per endpoint. */
export async function upsertSubscription(
  db: Executor,
  userId: string,
  sub: { endpoint: string; p256dh: string; auth: string },
): Promise<PushSubscriptionRow> {
  const [row] = await db
    .insert(pushSubscriptions)
    .values({ userId, ...sub })
    .onConflictDoUpdate({
      target: pushSubscriptions.endpoint,
      set: { userId, p256dh: sub.p256dh, auth: sub.auth, createdAt: sql`now()` },
    })
    .returning();
  return row!;
}

/** Deletes the user's subscription of that endpoint; false when they have none. */
export async function deleteSubscription(
  db: Executor,
  userId: string,
  endpoint: string,
): Promise<boolean> {
  const rows = await db
    .delete(pushSubscriptions)
    .where(and(eq(pushSubscriptions.userId, userId), eq(pushSubscriptions.endpoint, endpoint)))
    .returning({ id: pushSubscriptions.id });
  return rows.length > 0;
}

/** Deletes every subscription of a user (erasure); how many. */
export async function deleteSubscriptionsOf(db: Executor, userId: string): Promise<number> {
  const rows = await db
    .delete(pushSubscriptions)
    .where(eq(pushSubscriptions.userId, userId))
    .returning({ id: pushSubscriptions.id });
  return rows.length;
}

export async function deleteSubscriptionById(db: Executor, id: string): Promise<void> {
  await db.delete(pushSubscriptions).where(eq(pushSubscriptions.id, id));
}

export async function findSubscription(
  db: Executor,
  id: string,
): Promise<PushSubscriptionRow | undefined> {
  const [row] = await db.select().from(pushSubscriptions).where(eq(pushSubscriptions.id, id));
  return row;
}

/**
 * The `push.message` job of each new message in a CTE of the send statement (`ins`: the inserted
 * messages), only when some other member of the room has a subscription at all: a room where nobody
 * subscribed costs the send path one index probe, not a job.
 */
export function pushJobsSql(roomId: string): SQL {
  return enqueueSql(
    sql`select 'push.message', jsonb_build_object('messageId', ins.id), 'push.message:' || ins.id
        from ins
        where exists (select 1 from ${roomMembers} prm
                      join ${pushSubscriptions} ps on ps.user_id = prm.user_id
                      where prm.room_id = ${roomId} and prm.user_id is distinct from ins.sender_id)`,
  );
}

export interface PushMessage {
  id: string;
  roomId: string;
  roomName: string;
  roomType: RoomType;
  seq: number;
  type: string;
  content: string;
  senderId: string | null;
  senderUsername: string | null;
  deleted: boolean;
}

export async function findPushMessage(
  db: Executor,
  messageId: string,
): Promise<PushMessage | undefined> {
  const [r] = await queryRows<Record<string, unknown>>(
    db,
    sql`select m.id, m.room_id, r.name as room_name, r.type as room_type, m.seq, m.type, m.content,
               m.sender_id, u.username as sender_username, m.deleted_at is not null as deleted
        from ${messages} m join ${rooms} r on r.id = m.room_id
        left join ${users} u on u.id = m.sender_id
        where m.id = ${messageId}`,
  );
  if (!r) return undefined;
  return {
    id: r.id as string,
    roomId: r.room_id as string,
    roomName: r.room_name as string,
    roomType: r.room_type as RoomType,
    seq: Number(r.seq),
    type: r.type as string,
    content: r.content as string,
    senderId: (r.sender_id as string | null) ?? null,
    senderUsername: (r.sender_username as string | null) ?? null,
    deleted: r.deleted === true,
  };
}

export interface PushCandidate {
  userId: string;
  subscriptionId: string;
  notifyLevel: NotifyLevel | null;
  /** The message mentions them (`@name`, a reply to them, a direct message) or everyone (`@all`). */
  mentioned: boolean;
}

/**
 * The subscriptions of the room's members other than the sender who have not blocked the sender, with
 * what decides whether their level lets the message through (the level rule itself is `notifyLevelOf`).
 */
export async function listPushCandidates(
  db: Executor,
  message: Pick<PushMessage, 'id' | 'roomId' | 'senderId'>,
): Promise<PushCandidate[]> {
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select rm.user_id, ps.id as subscription_id, rm.notify_level,
               (m.mentions_all or exists (select 1 from ${messageMentions} mm
                                           where mm.message_id = m.id and mm.user_id = rm.user_id))
                 as mentioned
        from ${messages} m
        join ${roomMembers} rm on rm.room_id = m.room_id
        join ${pushSubscriptions} ps on ps.user_id = rm.user_id
        where m.id = ${message.id} and rm.user_id is distinct from m.sender_id
          and not exists (select 1 from ${userBlocks} b
                          where b.blocker_id = rm.user_id and b.blocked_id = m.sender_id)`,
  );
  return rows.map((r) => ({
    userId: r.user_id as string,
    subscriptionId: r.subscription_id as string,
    notifyLevel: (r.notify_level as NotifyLevel | null) ?? null,
    mentioned: r.mentioned === true,
  }));
}
