import type { Server } from 'socket.io';
import type { Broadcaster } from './broadcaster.js';
import type { PayloadOf } from './event.js';
import { roomChannel, sessionChannel, userChannel } from './channels.js';
import type { RoomBus } from './room-bus.js';
import { authExpired } from './realtime.events.js';

export { roomChannel, sessionChannel, userChannel };

/**
 * Emits through Socket.io rooms: `room:<id>` for a chat room's subscribers, `user:<id>` for all of a
 * user's sockets, `session:<id>` for those opened with one login. Message events and subscription
 * changes go through the room bus (ordered by rev, one channel between nodes); the rest through the
 * Socket.io adapter, which reaches every node.
 */
export function createSocketBroadcaster(io: Server, bus: RoomBus): Broadcaster {
  return {
    toRoomInOrder(roomId, rev, event, payload) {
      bus.emitInOrder(roomId, rev, event.name, payload);
    },
    toRoom(roomId, event, payload) {
      io.to(roomChannel(roomId)).emit(event.name, payload);
    },
    toRoomExceptUser(roomId, userId, event, payload) {
      io.to(roomChannel(roomId)).except(userChannel(userId)).emit(event.name, payload);
    },
    toRooms(roomIds, event, payload) {
      if (roomIds.length > 0) io.to(roomIds.map(roomChannel)).emit(event.name, payload);
    },
    toUser(userId, event, payload) {
      io.to(userChannel(userId)).emit(event.name, payload);
    },
    subscribeUser(userId, roomId) {
      bus.subscribe(userId, roomId);
    },
    unsubscribeUser(userId, roomId) {
      bus.unsubscribe(userId, roomId);
    },
    closeRoom(roomId) {
      io.local.in(roomChannel(roomId)).socketsLeave(roomChannel(roomId));
      io.in(roomChannel(roomId)).socketsLeave(roomChannel(roomId));
    },
    disconnectSession(sessionId) {
      // Each socket hears why before it goes: this node's at once, then every node's (one Redis
      // channel carries both messages, in this order). This node's are gone by the second emit.
      const expired: PayloadOf<typeof authExpired> = { reason: 'session-revoked' };
      io.local.in(sessionChannel(sessionId)).emit(authExpired.name, expired);
      io.local.in(sessionChannel(sessionId)).disconnectSockets(true);
      io.in(sessionChannel(sessionId)).emit(authExpired.name, expired);
      io.in(sessionChannel(sessionId)).disconnectSockets(true);
    },
  };
}
