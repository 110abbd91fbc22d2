import type { IncomingMessage } from 'node:http';
import type { Server } from 'socket.io';
import type { Actor, AppContext } from '../context.js';
import { roomChannel, sessionChannel, userChannel } from './channels.js';
import { emitEvent, type ClientEvent, type PayloadOf } from './event.js';
import { handshakeAuth, handshakeRefusal, type TokenVerifier } from './io.js';
import { onlineUsers } from './realtime.events.js';
import type { RoomBus } from './room-bus.js';
import {
  eventDispatcher,
  socketDeadline,
  SocketRateLimiter,
  type ChatSocket,
  type ExpiryReason,
} from './socket-events.js';
import { expireAtDeadline, expireSocket } from './socket-expiry.js';
import type { SocketLimits, SocketSlot } from './socket-limits.js';

/** What the handshake leaves for the connection handler: the rooms read, and changes seen since. */
interface PendingSubscriptions {
  roomIds?: string[];
  changes?: [string, boolean][];
  unwatch?: () => void;
  /** The socket's place under the open-socket caps, freed when it closes. */
  slot?: SocketSlot;
}

/**
 * What the connection layer needs of the features, handed in by the composition root (app.ts): the
 * realtime layer imports no feature module.
 */
export interface SocketFeatures {
  auth: {
    /** The handshake's token check, the same as REST's. */
    verify: TokenVerifier;
    /** Of these sessions, the ones revoked or expired, and which. */
    deadSessions(
      sessionIds: string[],
    ): Promise<Map<string, Exclude<ExpiryReason, 'token-expired'>>>;
  };
  rooms: {
    /** The rooms a user belongs to: the socket's subscriptions at the handshake. */
    roomIdsOfUser(userId: string): Promise<string[]>;
    /**
     * The rooms of many users at once (every user present when they have none), read after every
     * change of those rooms' members in progress has committed.
     */
    roomIdsOfUsers(userIds: string[]): Promise<Map<string, Set<string>>>;
  };
  presence: {
    /** A socket connected (the user may come online). */
    socketConnected(actor: Actor, socketId: string): Promise<void>;
    /** A socket closed (the user may go offline after a grace period). */
    socketDisconnected(actor: Actor, socketId: string): Promise<void>;
    /** Keeps this node's sockets alive in the shared presence, and announces users of dead nodes. */
    heartbeat(sockets: { userId: string; socketId: string }[]): Promise<void>;
    /** The `online-users` list sent to a socket on connect. */
    onlineFor(actor: Actor): Promise<PayloadOf<typeof onlineUsers>>;
    /** Stops the grace-period timers (shutting down). */
    stop(): void;
  };
  typing: {
    /** A socket closed: what was typed from it stops. */
    stopAll(socketId: string): Promise<void>;
    close(): void;
  };
}

export interface SocketServerOptions<Svc> {
  features: SocketFeatures;
  /** Every client → server event, as the features declare them (src/modules/index.ts). */
  events: readonly ClientEvent<Svc>[];
  /** What the event handlers receive as their services. */
  services: Svc;
  limits: SocketLimits;
  /** The client address of a handshake request, as the REST limits see it. */
  clientIp: (req: IncomingMessage) => string;
}

/**
 * Connection lifecycle: authenticate the handshake, subscribe the socket to its user's channels and
 * rooms, mount the declared events, keep presence. Returns a function that stops the timers.
 */
export function attachSocketServer<Svc>(
  io: Server,
  ctx: AppContext,
  bus: RoomBus,
  options: SocketServerOptions<Svc>,
): () => void {
  const { config, log } = ctx;
  const declared = new Set(options.events.map((e) => e.name));
  const { features, limits } = options;
  const { presence, typing } = features;
  const authenticate = handshakeAuth(features.auth.verify);

  /**
   * Limits first: handshakes per address (before the token is even checked), then the open-socket
   * caps per user and per address, whose slot is held from here until the connection closes.
   *
   * Subscriptions: the socket's membership changes are watched BEFORE its rooms are read from the
   * database, and replayed after it joins them, so a change committed while the rooms were being read
   * (which the read may or may not include) is applied in the end either way.
   */
  io.use(async (socket, next) => {
    const ip = limits.addressKey(options.clientIp(socket.request) || socket.handshake.address);
    try {
      await limits.handshake(ip);
    } catch (err) {
      return next(handshakeRefusal(err));
    }
    await authenticate(socket, async (err) => {
      if (err) return next(err);
      const slot = { socketId: socket.id, userId: socket.data.actor.userId, ip };
      try {
        await limits.open(slot);
      } catch (error) {
        return next(handshakeRefusal(error));
      }
      // Also when the client went away before the handshake completed (no `disconnect` then).
      socket.conn.once('close', () => limits.close(slot));
      const changes: [string, boolean][] = [];
      const unwatch = bus.watchUser(socket.data.actor.userId, (roomId, joined) =>
        changes.push([roomId, joined]),
      );
      try {
        const data = socket.data as PendingSubscriptions;
        data.roomIds = await features.rooms.roomIdsOfUser(socket.data.actor.userId);
        data.changes = changes;
        data.unwatch = unwatch;
        data.slot = slot;
        next();
      } catch {
        unwatch();
        limits.close(slot);
        next(
          Object.assign(new Error('Service unavailable, retry shortly'), {
            data: { code: 'SERVICE_UNAVAILABLE' },
          }),
        );
      }
    });
  });

  /** The open-socket slots of this node's sockets, refreshed on every heartbeat. */
  const slots = new Map<string, SocketSlot>();

  /** This node's sockets. */
  const localSockets = () => [...io.of('/').sockets.values()] as unknown as ChatSocket[];

  /** Applies one membership change seen while the socket's rooms were being read. */
  const follow = (socket: ChatSocket, roomId: string, joined: boolean) =>
    joined ? socket.join(roomChannel(roomId)) : socket.leave(roomChannel(roomId));

  /**
   * A session revoked while this node's Redis subscriber was cut off (its `disconnectSession` never
   * arrived), or revoked in the database directly, or expired: the sockets of every such session on
   * this node are ended, after one query for all of them.
   */
  async function recheckSessions(): Promise<void> {
    const sockets = localSockets();
    const dead = await features.auth.deadSessions([
      ...new Set(sockets.map((s) => s.data.actor.sessionId)),
    ]);
    for (const socket of sockets) {
      const reason = dead.get(socket.data.actor.sessionId);
      if (reason) expireSocket(socket, reason);
    }
  }

  /**
   * After this node's Redis subscriber was cut off, subscription changes made on other nodes may have
   * been lost: every local socket's rooms are re-read from the database (once the removals of those
   * rooms in progress have committed) and its subscriptions made to match (changes arriving meanwhile
   * are replayed after).
   */
  async function recheckSubscriptions(): Promise<void> {
    const sockets = localSockets();
    const changes: [string, string, boolean][] = [];
    const unwatch = bus.watchAll((userId, roomId, joined) =>
      changes.push([userId, roomId, joined]),
    );
    try {
      const userIds = [...new Set(sockets.map((s) => s.data.actor.userId))];
      const roomsOf = await features.rooms.roomIdsOfUsers(userIds);
      for (const socket of sockets) {
        const want = roomsOf.get(socket.data.actor.userId) ?? new Set<string>();
        for (const name of socket.rooms) {
          if (name.startsWith('room:') && !want.has(name.slice(5))) socket.leave(name);
        }
        socket.join([...want].map(roomChannel));
      }
      for (const [userId, roomId, joined] of changes) {
        for (const socket of sockets) {
          if (socket.data.actor.userId === userId) void follow(socket, roomId, joined);
        }
      }
    } finally {
      unwatch();
    }
  }
  // Awaited by the bus: until it has succeeded, the node checks each delivery against the database.
  bus.onReconnect(recheckSubscriptions);
  bus.onReconnect(() => {
    recheckSessions().catch((err: unknown) => log.warn({ err }, 're-checking sessions failed'));
  });

  /** Per socket, what its events need besides `socket.data` (which the adapter may serialise). */
  interface SocketState {
    /** The per-socket `event` rate limit. */
    limiter: SocketRateLimiter;
    /** Re-arms the timer that ends the socket at its deadline (after `reauth`). */
    rearm: () => void;
  }
  const states = new WeakMap<ChatSocket, SocketState>();

  /** One listener for every socket's events (see `eventDispatcher`). */
  const dispatch = eventDispatcher(options.events, {
    services: options.services,
    log,
    take(socket, limit) {
      // `message`: per user, across their sockets and nodes (send-message); `event`: per socket.
      if (limit === 'message') return limits.takeMessage(socket.data.actor.userId);
      states.get(socket)?.limiter.take();
    },
    contextOf(socket) {
      return {
        actor: socket.data.actor,
        socketId: socket.id,
        extendLife({ tokenExpiresAt, sessionExpiresAt }) {
          socket.data.tokenExpiresAt = tokenExpiresAt.getTime();
          socket.data.sessionExpiresAt = sessionExpiresAt.getTime();
          states.get(socket)?.rearm();
          return new Date(socketDeadline(socket.data).at);
        },
      };
    },
    // Counted by name when declared, as `other` otherwise: the metric's cardinality stays bounded.
    count: (event) => ctx.metrics.countSocketEvent(declared.has(event) ? event : 'other'),
  });

  /** One `disconnect` listener for every socket (called with the socket as `this`). */
  function onDisconnect(this: ChatSocket): void {
    const { actor } = this.data;
    const slot = slots.get(this.id);
    if (slot) limits.close(slot);
    slots.delete(this.id);
    presence
      .socketDisconnected(actor, this.id)
      .catch((err: unknown) => log.warn({ err }, 'presence disconnect failed'));
    typing.stopAll(this.id).catch((err: unknown) => log.warn({ err }, 'typing stop failed'));
  }

  io.on('connection', (raw) => {
    const socket = raw as unknown as ChatSocket;
    const { actor } = socket.data;
    const pending = socket.data as PendingSubscriptions;
    const roomIds = pending.roomIds ?? [];
    const changes = pending.changes ?? [];
    const slot = pending.slot;
    pending.unwatch?.();
    delete pending.roomIds;
    delete pending.changes;
    delete pending.unwatch;
    delete pending.slot;
    // The handshake request is no longer needed; dropping it saves memory per idle socket.
    (socket.conn as unknown as { request: unknown }).request = null;
    socket.handshake.headers = {};

    socket.onAny(dispatch);
    socket.join([
      userChannel(actor.userId),
      sessionChannel(actor.sessionId),
      ...roomIds.map(roomChannel),
    ]);
    for (const [roomId, joined] of changes) void follow(socket, roomId, joined);

    const state: SocketState = {
      limiter: new SocketRateLimiter(config.SOCKET_EVENT_LIMIT, config.SOCKET_MESSAGE_WINDOW_MS),
      rearm: () => {},
    };
    states.set(socket, state);
    if (slot) slots.set(socket.id, slot);
    socket.on('disconnect', onDisconnect);
    // The token and the session decide how long the socket lives (armed once `disconnect` is
    // handled, as it may end the socket at once); `reauth` moves the deadline.
    state.rearm = expireAtDeadline(socket);
    if (!socket.connected) return;

    void (async () => {
      try {
        await presence.socketConnected(actor, socket.id);
        if (socket.connected) emitEvent(socket, onlineUsers, await presence.onlineFor(actor));
      } catch (err) {
        log.warn({ err, userId: actor.userId }, 'presence connect failed');
      }
    })();
  });

  // Heartbeat: keep this node's sockets alive in the shared presence and counted by the socket
  // limits, and announce users of dead nodes.
  const interval = setInterval(
    () => {
      limits
        .heartbeat([...slots.values()])
        .catch((err: unknown) => log.warn({ err }, 'socket limits heartbeat failed'));
      const sockets = localSockets().map((s) => ({
        userId: s.data.actor.userId,
        socketId: s.id,
      }));
      presence
        .heartbeat(sockets)
        .catch((err: unknown) => log.warn({ err }, 'presence heartbeat failed'));
    },
    Math.max(1000, Math.floor(config.PRESENCE_TTL_MS / 3)),
  );
  interval.unref();

  return () => {
    clearInterval(interval);
    presence.stop();
    typing.close();
  };
}
