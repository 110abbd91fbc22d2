import type { Server } from 'socket.io';
import type { AppContext } from '../context.js';
import type { AuthService } from '../modules/auth/auth.service.js';
import { registerMessageEvents } from '../modules/messages/messages.socket.js';
import type { MessagesService } from '../modules/messages/messages.service.js';
import * as roomsRepo from '../modules/rooms/rooms.repo.js';
import { registerRoomEvents } from '../modules/rooms/rooms.socket.js';
import type { RoomsService } from '../modules/rooms/rooms.service.js';
import type { TypingService } from '../modules/rooms/typing.service.js';
import type { PresenceService } from '../modules/users/presence.service.js';
import { registerUserEvents } from '../modules/users/users.socket.js';
import type { UsersService } from '../modules/users/users.service.js';
import { roomChannel, sessionChannel, userChannel } from './channels.js';
import { handshakeAuth } from './io.js';
import type { RoomBus } from './room-bus.js';
import { SocketRateLimiter, type ChatSocket } from './socket-events.js';

/** What the handshake leaves for the connection handler: the rooms read, and changes seen since. */
interface PendingSubscriptions {
  roomIds?: string[];
  changes?: [string, boolean][];
  unwatch?: () => void;
}

export interface SocketServices {
  auth: AuthService;
  rooms: RoomsService;
  messages: MessagesService;
  users: UsersService;
  presence: PresenceService;
  typing: TypingService;
}

/**
 * Connection lifecycle: authenticate the handshake, subscribe the socket to its user's channels and
 * rooms, register the event handlers, keep presence. Returns a function that stops the timers.
 */
export function attachSocketServer(
  io: Server,
  ctx: AppContext,
  bus: RoomBus,
  services: SocketServices,
): () => void {
  const { config, log, db } = ctx;
  const { presence, typing } = services;
  const authenticate = handshakeAuth(services.auth.authenticate);

  /**
   * Subscriptions: the socket's membership changes are watched BEFORE its rooms are read from the
   * database, and replayed after it joins them, so a change committed while the rooms were being read
   * (which the read may or may not include) is applied in the end either way.
   */
  io.use(async (socket, next) => {
    await authenticate(socket, async (err) => {
      if (err) return next(err);
      const changes: [string, boolean][] = [];
      const unwatch = bus.watchUser(socket.data.actor.userId, (roomId, joined) =>
        changes.push([roomId, joined]),
      );
      try {
        const data = socket.data as PendingSubscriptions;
        data.roomIds = await roomsRepo.listRoomIdsOfUser(db, socket.data.actor.userId);
        data.changes = changes;
        data.unwatch = unwatch;
        next();
      } catch {
        unwatch();
        next(
          Object.assign(new Error('Service unavailable, retry shortly'), {
            data: { code: 'SERVICE_UNAVAILABLE' },
          }),
        );
      }
    });
  });

  /**
   * After this node's Redis subscriber was cut off, subscription changes made on other nodes may have
   * been lost: every local socket's rooms are re-read from the database and its subscriptions made to
   * match (changes arriving meanwhile are replayed after).
   */
  async function recheckSubscriptions(): Promise<void> {
    const sockets = [...io.of('/').sockets.values()] as unknown as ChatSocket[];
    const changes: [string, string, boolean][] = [];
    const unwatch = bus.watchAll((userId, roomId, joined) =>
      changes.push([userId, roomId, joined]),
    );
    try {
      const userIds = [...new Set(sockets.map((s) => s.data.actor.userId))];
      const roomsOf = await roomsRepo.listRoomIdsOfUsers(db, userIds);
      for (const socket of sockets) {
        const want = roomsOf.get(socket.data.actor.userId) ?? new Set<string>();
        for (const name of socket.rooms) {
          if (name.startsWith('room:') && !want.has(name.slice(5))) socket.leave(name);
        }
        socket.join([...want].map(roomChannel));
      }
      for (const [userId, roomId, joined] of changes) {
        for (const socket of sockets) {
          if (socket.data.actor.userId !== userId) continue;
          if (joined) socket.join(roomChannel(roomId));
          else socket.leave(roomChannel(roomId));
        }
      }
    } finally {
      unwatch();
    }
  }
  bus.onReconnect(() => {
    recheckSubscriptions().catch((err: unknown) =>
      log.warn({ err }, 're-checking subscriptions failed'),
    );
  });

  io.on('connection', (raw) => {
    const socket = raw as unknown as ChatSocket;
    const { actor } = socket.data;
    const pending = socket.data as PendingSubscriptions;
    const roomIds = pending.roomIds ?? [];
    const changes = pending.changes ?? [];
    pending.unwatch?.();
    delete pending.roomIds;
    delete pending.changes;
    delete pending.unwatch;
    // The handshake request is no longer needed; dropping it saves memory per idle socket.
    (socket.conn as unknown as { request: unknown }).request = null;
    socket.handshake.headers = {};

    socket.onAny((event: string) => ctx.metrics.countSocketEvent(event));
    socket.join([
      userChannel(actor.userId),
      sessionChannel(actor.sessionId),
      ...roomIds.map(roomChannel),
    ]);
    for (const [roomId, joined] of changes) {
      if (joined) socket.join(roomChannel(roomId));
      else socket.leave(roomChannel(roomId));
    }

    const messageLimiter = new SocketRateLimiter(
      config.SOCKET_MESSAGE_LIMIT,
      config.SOCKET_MESSAGE_WINDOW_MS,
    );
    const eventLimiter = new SocketRateLimiter(
      config.SOCKET_EVENT_LIMIT,
      config.SOCKET_MESSAGE_WINDOW_MS,
    );
    registerMessageEvents(socket, {
      messages: services.messages,
      log,
      messageLimiter,
      eventLimiter,
    });
    registerRoomEvents(socket, { rooms: services.rooms, typing, log, eventLimiter });
    registerUserEvents(socket, { users: services.users, log, eventLimiter });

    socket.on('disconnect', () => {
      presence
        .socketDisconnected(actor, socket.id)
        .catch((err: unknown) => log.warn({ err }, 'presence disconnect failed'));
      typing.stopAll(socket.id).catch((err: unknown) => log.warn({ err }, 'typing stop failed'));
    });

    void (async () => {
      try {
        await presence.socketConnected(actor, socket.id);
        if (socket.connected) socket.emit('online-users', await presence.onlineFor(actor));
      } catch (err) {
        log.warn({ err, userId: actor.userId }, 'presence connect failed');
      }
    })();
  });

  // Heartbeat: keep this node's sockets alive in the shared presence, and announce users of dead nodes.
  const interval = setInterval(
    () => {
      const sockets = [...io.of('/').sockets.values()].map((s) => ({
        userId: (s.data as { actor: { userId: string } }).actor.userId,
        socketId: s.id,
      }));
      presence.store
        .heartbeat(sockets)
        .then(() => presence.sweep())
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
