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
  /** `q`: a fenced unsubscription, which every node acknowledges once it has applied it. */
  | { n: string; t: 'sub' | 'unsub'; r: string; u: string; q?: string }
  | { n: string; t: 'ack'; q: string }
  | { n: string; t: 'sess'; s: string };

/**
 * The ordered path between nodes for what must not be reordered or missed: a room's message events
 * (delivered in rev order by a RoomSequencer on every node) and subscription changes (a member added or
 * removed), all on ONE Redis channel, so that from any one node they arrive in the order it sent them
 * (a removal before the next message). Without Redis it is the same, on one node.
 *
 * What Redis loses while a connection is down is repaired, not trusted: subscription changes this node
 * could not publish are published again when its publisher is back, and when its subscriber comes back
 * the `onReconnect` listeners re-check every local socket's subscriptions against the database.
 */
export function createRoomBus(
  io: Server,
  log: Logger,
  options: { redis?: RedisConnections; gapWaitMs: number },
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
  const reconnectListeners: (() => void)[] = [];
  const revocationListeners: ((sessionId: string) => void)[] = [];
  /** True from a subscriber break until it is back: messages of other nodes may be missed meanwhile. */
  let subWasDown = false;
  /** The channel's first subscription has been confirmed. */
  let subscribed = !redis;
  /** Subscription changes whose publish failed (Redis down), sent again when it is back. */
  let unsent: Wire[] = [];
  /** Fenced unsubscriptions of this node waiting for the other nodes' acknowledgements. */
  const fences = new Map<string, { missing: number; done: () => void }>();
  const MAX_UNSENT = 10_000;

  const localEmit = (roomId: string, event: string, payload: unknown) =>
    io.local.to(roomChannel(roomId)).emit(event, payload);

  function applyMembership(userId: string, roomId: string, joined: boolean): void {
    const sockets = io.local.in(userChannel(userId));
    if (joined) sockets.socketsJoin(roomChannel(roomId));
    else sockets.socketsLeave(roomChannel(roomId));
    userWatchers.get(userId)?.forEach((w) => w(roomId, joined));
    allWatchers.forEach((w) => w(userId, roomId, joined));
  }

  function publish(message: Wire): void {
    if (!redis) return;
    redis.pub.publish(channel, JSON.stringify(message)).catch(() => {
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
    if (message.n === nodeId) return;
    if (message.t === 'ev') {
      const { r, e, p } = message;
      sequencer.push(r, message.v, p === null ? () => {} : () => localEmit(r, e, p));
    } else if (message.t === 'ack') {
      const fence = fences.get(message.q);
      if (fence && --fence.missing <= 0) fence.done();
    } else if (message.t === 'sess') {
      revocationListeners.forEach((l) => l(message.s));
    } else {
      applyMembership(message.u, message.r, message.t === 'sub');
      if (message.q) publish({ n: nodeId, t: 'ack', q: message.q });
    }
  }

  if (redis) {
    redis.sub.on('message', (ch: string, raw: string) => {
      if (ch === channel) receive(raw);
    });
    redis.sub.on('close', () => {
      subWasDown = true;
    });
    redis.sub.on('ready', () => {
      if (!subWasDown) return;
      subWasDown = false;
      log.info('redis subscriber back: re-checking socket subscriptions');
      reconnectListeners.forEach((l) => l());
    });
    redis.pub.on('ready', () => {
      const again = unsent;
      unsent = [];
      again.forEach(publish);
    });
    void redis.sub.subscribe(channel).then(
      () => {
        subscribed = true;
      },
      (err: unknown) => {
        log.warn({ err: err instanceof Error ? err.message : err }, 'bus subscribe failed');
      },
    );
  }

  return {
    nodeId,

    /**
     * Delivers a committed change's event to the room's subscribers on every node, in rev order. Call
     * it right when the change has committed (so this node registers its revisions in commit order);
     * the payload may still be a promise. A payload of null delivers nothing but lets later ones go.
     */
    emitInOrder(roomId: string, rev: number, event: string, payload: unknown): void {
      // Other nodes get the event as soon as its payload is ready, not after this node's own turn for
      // it: each node orders what it receives, and one that waits for this revision (its first sight of
      // the room, or a gap) is not kept waiting by this node's wait for an earlier one. A payload of
      // nothing goes too, so that they skip the revision at once instead of after the gap wait.
      const ready = (p: unknown) => {
        const none = p === null || p === undefined;
        publish({ n: nodeId, t: 'ev', r: roomId, v: rev, e: event, p: none ? null : p });
        return none ? undefined : () => localEmit(roomId, event, p);
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
     * Unsubscribes every socket of the user on every node, and resolves once every other node said it
     * has (or after `timeoutMs`: a node that cannot answer, its Redis connection down, re-checks its
     * sockets against the database when it is back). Called inside the removal's transaction, under
     * the room's lock: no change of the room can commit, and so no event of it be published, before
     * every node has dropped the user's sockets from the room. Without it, another node's next event
     * could reach a node before the removal did (they come from different publishers).
     */
    async unsubscribeFenced(userId: string, roomId: string, timeoutMs: number): Promise<void> {
      applyMembership(userId, roomId, false);
      if (!redis) return;
      // This node cannot reach the others (its Redis connections are down): the removal is refused
      // for now (503, the caller's transaction rolls back) rather than committed while another node
      // could still deliver the room's next events to the member.
      const unreachable = () =>
        new AppError(
          'SERVICE_UNAVAILABLE',
          'Cannot reach the other nodes to apply this removal, please retry',
          undefined,
          1,
        );
      const q = randomUUID();
      let others: number;
      try {
        const reply = (await redis.cmd.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
        others = Number(reply[1]) - 1;
      } catch {
        throw unreachable();
      }
      if (others <= 0) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          // A node that cannot answer has its own Redis connection broken: it re-checks its sockets
          // against the database when it is back.
          log.warn({ roomId, missing: fences.get(q)?.missing }, 'unsubscription not acknowledged');
          fences.delete(q);
          resolve();
        }, timeoutMs);
        fences.set(q, {
          missing: others,
          done: () => {
            clearTimeout(timer);
            fences.delete(q);
            resolve();
          },
        });
        redis.pub
          .publish(channel, JSON.stringify({ n: nodeId, t: 'unsub', r: roomId, u: userId, q }))
          .catch(() => {
            clearTimeout(timer);
            fences.delete(q);
            reject(unreachable());
          });
      });
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

    /** Runs `listener` each time this node's Redis subscriber comes back after a break. */
    onReconnect(listener: () => void): void {
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
