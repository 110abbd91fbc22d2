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
import { handshakeAuth } from './io.js';
import { roomChannel, sessionChannel, userChannel } from './socket-broadcaster.js';
import { SocketRateLimiter, type ChatSocket } from './socket-events.js';

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
  services: SocketServices,
): () => void {
  const { config, log, db } = ctx;
  const { presence, typing } = services;
  const authenticate = handshakeAuth(services.auth.authenticate);

  io.use(async (socket, next) => {
    await authenticate(socket, async (err) => {
      if (err) return next(err);
      try {
        // Looked up before the connection completes, so the socket is subscribed from its first moment.
        (socket.data as { roomIds?: string[] }).roomIds = await roomsRepo.listRoomIdsOfUser(
          db,
          socket.data.actor.userId,
        );
        next();
      } catch {
        next(
          Object.assign(new Error('Service unavailable, retry shortly'), {
            data: { code: 'SERVICE_UNAVAILABLE' },
          }),
        );
      }
    });
  });

  io.on('connection', (raw) => {
    const socket = raw as unknown as ChatSocket;
    const { actor } = socket.data;
    const roomIds = (socket.data as { roomIds?: string[] }).roomIds ?? [];
    delete (socket.data as { roomIds?: string[] }).roomIds;
    // The handshake request is no longer needed; dropping it saves memory per idle socket.
    (socket.conn as unknown as { request: unknown }).request = null;
    socket.handshake.headers = {};

    socket.onAny((event: string) => ctx.metrics.countSocketEvent(event));
    socket.join([
      userChannel(actor.userId),
      sessionChannel(actor.sessionId),
      ...roomIds.map(roomChannel),
    ]);

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
