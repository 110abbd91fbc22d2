import { randomUUID } from 'node:crypto';
import type { Server } from 'socket.io';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RedisConnections } from './redis.js';
import { RoomSequencer } from './room-sequencer.js';
import { roomChannel, userChannel } from './channels.js';

/** A membership change seen by this node: a user's sockets joined (true) or left a room. */
export type MembershipListener = (userId: string, roomId: string, joined: boolean) => void;

type Wire =
  | { n: string; t: 'ev'; r: string; v: number; e: string; p: unknown }
  /** A room event outside the rev order (typing, members, receipts): `k` its echo key, `x` a user left out. */
  | { n: string; t: 'room'; k: string; r: string; e: string; p: unknown; x?: string }
  | { n: string; t: 'sub' | 'unsub'; r: string; u: string }
  | { n: string; t: 'sess'; s: string };

/**
 * Of these users, those who are members of the room now (a read after the change being delivered
 * committed): the check of a delivery this node cannot prove ordered after every removal.
 */
export type MembersAmong = (roomId: string, userIds: string[]) => Promise<Set<string>>;

/** Delivers one event to this node's sockets, or nothing. */
type Deliver = () => void;

/**
 * The ordered path between nodes for what must not be reordered or missed: a room's message events
 * (delivered in rev order by a RoomSequencer on every node) and subscription changes (a member added or
 * removed), all on ONE Redis channel. Redis gives the channel one order, and every node, the publisher
 * too, delivers in that order: a node delivers even its OWN events to its sockets when they come back
 * to it over the channel (the echo), not when they commit. A removal publishes its unsubscription and
 * waits for Redis to take it before it commits (`unsubscribeFenced`), so every event committed after
 * the removal is behind it in the channel, on every node, whichever node publishes it.
 *
 * What the order cannot cover is repaired, not trusted. From the moment this node's subscriber breaks
 * until its sockets' subscriptions have been re-checked against the database (`onReconnect`, after the
 * channel's subscription is confirmed again), the node may have missed unsubscriptions: it is
 * "recovering", and each event it delivers meanwhile (its own included, and one whose echo does not come)
 * goes only to sockets whose users `membersAmong` finds still in the room, read after the event's
 * commit. Subscription changes this node could not publish are published again when its publisher is
 * back. Without Redis it is the same, on one node, without the channel.
 */
export function createRoomBus(
  io: Server,
  log: Logger,
  options: { redis?: RedisConnections; gapWaitMs: number; membersAmong: MembersAmong },
) {
  const { redis } = options;
  const nodeId = randomUUID();
  const channel = redis ? `${redis.prefix}bus` : '';
  const sequencer = new RoomSequencer({
    gapWaitMs: options.gapWaitMs,
    firstWaitMs: Math.min(100, options.gapWaitMs),
  });
  const userWatchers = new Map<string, Set<(roomId: string, joined: boolean) => void>>();
  const allWatchers = new Set<MembershipListener>();
  const reconnectListeners: (() => void | Promise<void>)[] = [];
  const revocationListeners: ((sessionId: string) => void)[] = [];
  /** True from a subscriber break until it is back: messages of other nodes may be missed meanwhile. */
  let subWasDown = false;
  /** The channel's first subscription has been confirmed. */
  let subscribed = !redis;
  /** Subscription changes whose publish failed (Redis down), sent again when it is back. */
  let unsent: Wire[] = [];
  /**
   * True while this node may have missed an unsubscription (see above): from its subscriber's break
   * (or the start) until the re-check after it. `breaks` counts the breaks, so that a re-check that
   * overlapped a newer break does not end the newer one's recovery.
   */
  let recovering = !!redis;
  let breaks = 0;
  /**
   * This node's own events waiting for their echo, by room and rev (`#n` for those outside the rev
   * order): each settles its delivery, direct (`true`: the echo came in order) or checked.
   */
  const echoes = new Map<string, (inOrder: boolean) => void>();
  const MAX_UNSENT = 10_000;
  const echoKey = (roomId: string, rev: number) => `${roomId} ${rev}`;
  let unorderedCount = 0;

  const localEmit = (roomId: string, event: string, payload: unknown, except?: string) => {
    const target = io.local.to(roomChannel(roomId));
    (except ? target.except(userChannel(except)) : target).emit(event, payload);
  };

  /**
   * The delivery of an event that cannot be proven ordered after every removal: to this node's sockets
   * in the room except those of users no longer members (read now, after the event's commit; a user
   * who left before it is not found). A read that fails delivers nothing: for an event in rev order
   * the room's subscribers see the gap and catch up with `sync`.
   */
  async function checkedEmit(
    roomId: string,
    event: string,
    payload: unknown,
    except?: string,
  ): Promise<Deliver> {
    const name = roomChannel(roomId);
    const nsp = io.of('/');
    const userIds = new Set<string>();
    for (const id of nsp.adapter.rooms.get(name) ?? []) {
      const userId = (nsp.sockets.get(id)?.data as { actor?: { userId?: string } } | undefined)
        ?.actor?.userId;
      if (userId && userId !== except) userIds.add(userId);
    }
    if (userIds.size === 0) return () => {};
    try {
      const members = await options.membersAmong(roomId, [...userIds]);
      const gone = [...userIds].filter((u) => !members.has(u));
      if (except) gone.push(except);
      return () => io.local.to(name).except(gone.map(userChannel)).emit(event, payload);
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : err, roomId }, 'delivery check failed');
      return () => {};
    }
  }

  /** The delivery of an event heard on the channel: direct, or checked while recovering. */
  const deliveryOf = (roomId: string, event: string, payload: unknown, except?: string) =>
    recovering
      ? checkedEmit(roomId, event, payload, except)
      : () => localEmit(roomId, event, payload, except);

  /** Hands a message to Redis; resolves once Redis has taken it. */
  const send = (message: Wire) => redis!.pub.publish(channel, JSON.stringify(message));

  /**
   * Publishes this node's own event and resolves with its delivery once it comes back over the channel
   * (direct, or checked while recovering), or checked when it cannot: its publish failed, the
   * subscriber broke meanwhile, or it is not back within `gapWaitMs`.
   */
  function viaEcho(key: string, message: Extract<Wire, { t: 'ev' | 'room' }>): Promise<Deliver> {
    const { r: roomId, e: event, p: payload } = message;
    const except = message.t === 'room' ? message.x : undefined;
    return new Promise<Deliver>((resolve) => {
      // Settled once (by its echo, a break, a failed publish or the timer), never synchronously.
      const settle = (inOrder: boolean) => {
        clearTimeout(timer);
        echoes.delete(key);
        resolve(
          inOrder
            ? () => localEmit(roomId, event, payload, except)
            : checkedEmit(roomId, event, payload, except),
        );
      };
      const timer = setTimeout(() => {
        if (echoes.get(key) === settle) settle(false);
      }, options.gapWaitMs);
      timer.unref();
      echoes.set(key, settle);
      send(message).catch(() => {
        if (echoes.get(key) === settle) settle(false);
      });
    });
  }

  function applyMembership(userId: string, roomId: string, joined: boolean): void {
    const sockets = io.local.in(userChannel(userId));
    if (joined) sockets.socketsJoin(roomChannel(roomId));
    else sockets.socketsLeave(roomChannel(roomId));
    userWatchers.get(userId)?.forEach((w) => w(roomId, joined));
    allWatchers.forEach((w) => w(userId, roomId, joined));
  }

  function publish(message: Wire): void {
    if (!redis) return;
    send(message).catch(() => {
      if (message.t !== 'ev' && unsent.length < MAX_UNSENT) unsent.push(message);
    });
  }

  function receive(raw: string): void {
    let message: Wire;
    try {
      message = JSON.parse(raw) as Wire;
    } catch {
      return;
    }
    if (message.t === 'ev' || message.t === 'room') {
      const key = message.t === 'ev' ? echoKey(message.r, message.v) : message.k;
      if (message.n === nodeId) {
        // The echo of this node's own event: delivered from here (see `viaEcho`).
        return echoes.get(key)?.(!recovering);
      }
      const { r, e, p } = message;
      if (message.t === 'room') {
        const deliver = deliveryOf(r, e, p, message.x);
        if (typeof deliver === 'function') return deliver();
        return void deliver.then((d) => d());
      }
      sequencer.push(r, message.v, p === null ? () => {} : deliveryOf(r, e, p));
    } else if (message.n === nodeId) {
      return;
    } else if (message.t === 'sess') {
      revocationListeners.forEach((l) => l(message.s));
    } else {
      applyMembership(message.u, message.r, message.t === 'sub');
    }
  }

  /** This node's subscriber broke: what it was waiting to hear back is delivered checked instead. */
  function broken(): void {
    subWasDown = true;
    recovering = true;
    breaks += 1;
    const waiting = [...echoes.values()];
    echoes.clear();
    waiting.forEach((settle) => settle(false));
  }

  /**
   * After a break: the channel's subscription confirmed again (from here this node hears everything
   * published), then every `onReconnect` listener (the subscriptions' re-check, which waits for the
   * rooms' removals in progress), and only then are deliveries trusted again. A failure tries again.
   */
  async function recover(): Promise<void> {
    if (!redis) return;
    const at = breaks;
    try {
      await redis.sub.subscribe(channel);
      subscribed = true;
      await Promise.all(reconnectListeners.map(async (l) => l()));
      if (breaks === at) recovering = false;
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : err }, 'bus recovery failed, retrying');
      if (breaks === at) setTimeout(() => void recover(), 1000).unref();
    }
  }

  if (redis) {
    redis.sub.on('message', (ch: string, raw: string) => {
      if (ch === channel) receive(raw);
    });
    redis.sub.on('close', broken);
    redis.sub.on('ready', () => {
      if (!subWasDown) return;
      subWasDown = false;
      log.info('redis subscriber back: re-checking socket subscriptions');
      void recover();
    });
    redis.pub.on('ready', () => {
      const again = unsent;
      unsent = [];
      again.forEach(publish);
    });
    void recover();
  }

  return {
    nodeId,

    /**
     * Delivers a committed change's event to the room's subscribers on every node, in rev order. Call
     * it right when the change has committed (so this node registers its revisions in commit order);
     * the payload may still be a promise. A payload of null delivers nothing but lets later ones go.
     */
    emitInOrder(roomId: string, rev: number, event: string, payload: unknown): void {
      // Published as soon as its payload is ready, not after this node's own turn for it: each node
      // orders what it receives, and one that waits for this revision is not kept waiting by this
      // node's wait for an earlier one. A payload of nothing goes too, so that they skip the revision
      // at once instead of after the gap wait. This node delivers it when it comes back (see above).
      const ready = (p: unknown): Promise<Deliver | undefined> | Deliver | undefined => {
        if (p === null || p === undefined) {
          publish({ n: nodeId, t: 'ev', r: roomId, v: rev, e: event, p: null });
          return undefined;
        }
        if (!redis) return () => localEmit(roomId, event, p);
        return viaEcho(echoKey(roomId, rev), {
          n: nodeId,
          t: 'ev',
          r: roomId,
          v: rev,
          e: event,
          p,
        });
      };
      sequencer.push(
        roomId,
        rev,
        payload instanceof Promise
          ? payload.then(ready, (err: unknown) => {
              ready(null);
              throw err;
            })
          : (ready(payload) ?? (() => {})),
      );
    },

    /**
     * Delivers an event of the room outside the rev order (typing, members, receipts) to its
     * subscribers on every node, but `exceptUserId`'s sockets: through the channel too, so that it is
     * behind every removal committed before it, on every node, this one included (see above).
     */
    toRoom(roomId: string, event: string, payload: unknown, exceptUserId?: string): void {
      if (!redis) return localEmit(roomId, event, payload, exceptUserId);
      unorderedCount += 1;
      const k = `#${unorderedCount}`;
      const message: Extract<Wire, { t: 'room' }> = {
        n: nodeId,
        t: 'room',
        k,
        r: roomId,
        e: event,
        p: payload,
      };
      if (exceptUserId) message.x = exceptUserId;
      void viaEcho(k, message).then((d) => d());
    },

    /** Subscribes every socket of the user, on every node, to the room (after the membership commit). */
    subscribe(userId: string, roomId: string): void {
      applyMembership(userId, roomId, true);
      publish({ n: nodeId, t: 'sub', r: roomId, u: userId });
    },

    /** Unsubscribes every socket of the user, on every node: no further event of the room reaches them. */
    unsubscribe(userId: string, roomId: string): void {
      applyMembership(userId, roomId, false);
      publish({ n: nodeId, t: 'unsub', r: roomId, u: userId });
    },

    /**
     * Unsubscribes every socket of the user on every node, and resolves once Redis has taken the
     * unsubscription (or throws 503 when it cannot within `timeoutMs`). Called inside the removal's
     * transaction, under the room's lock: every change of the room committed after the removal comes
     * after it in the channel, and every node delivers in the channel's order (a node that may have
     * missed it is recovering and checks each delivery against the database).
     */
    async unsubscribeFenced(userId: string, roomId: string, timeoutMs: number): Promise<void> {
      applyMembership(userId, roomId, false);
      if (!redis) return;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          send({ n: nodeId, t: 'unsub', r: roomId, u: userId }),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('publish timed out')), timeoutMs);
          }),
        ]);
      } catch {
        // This node cannot reach the others: the removal is refused for now (503, the caller's
        // transaction rolls back) rather than committed while another node could still deliver the
        // room's next events to the member.
        throw new AppError(
          'SERVICE_UNAVAILABLE',
          'Cannot reach the other nodes to apply this removal, please retry',
          undefined,
          1,
        );
      } finally {
        clearTimeout(timer);
      }
    },

    /** Calls `listener` for each membership change of this user until the returned function is called. */
    watchUser(userId: string, listener: (roomId: string, joined: boolean) => void): () => void {
      let set = userWatchers.get(userId);
      if (!set) userWatchers.set(userId, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) userWatchers.delete(userId);
      };
    },

    /** Calls `listener` for every membership change until the returned function is called. */
    watchAll(listener: MembershipListener): () => void {
      allWatchers.add(listener);
      return () => allWatchers.delete(listener);
    },

    /**
     * Session revocations between nodes (the auth feature's RevocationChannel): on the same channel, so
     * they share its repair: a node whose subscriber was cut off hears `onReconnect` when it is back.
     */
    revocations: {
      publish(sessionId: string): void {
        publish({ n: nodeId, t: 'sess', s: sessionId });
      },
      onRevoked(listener: (sessionId: string) => void): void {
        revocationListeners.push(listener);
      },
      onReconnect(listener: () => void): void {
        reconnectListeners.push(listener);
      },
      healthy(): boolean {
        return !redis || (subscribed && redis.sub.status === 'ready' && !subWasDown);
      },
    },

    /**
     * Runs `listener` each time this node's Redis subscriber comes back after a break; the node trusts
     * its deliveries again once every listener's promise has resolved.
     */
    onReconnect(listener: () => void | Promise<void>): void {
      reconnectListeners.push(listener);
    },

    /** Events waiting for an earlier revision (tests). */
    waiting: () => sequencer.waiting(),

    close(): void {
      sequencer.close();
      if (redis) void redis.sub.unsubscribe(channel).catch(() => {});
    },
  };
}

export type RoomBus = ReturnType<typeof createRoomBus>;
