import type { Server } from 'socket.io';
import type { Broadcaster } from './broadcaster.js';
import { emitEvent, type PayloadOf } from './event.js';
import { roomChannel, sessionChannel, userChannel } from './channels.js';
import type { RoomBus } from './room-bus.js';
import { authExpired } from './realtime.events.js';

export { roomChannel, sessionChannel, userChannel };

/**
 * How long a removal (under its room's lock) waits for Redis to take its unsubscription before it is
 * refused with 503.
 */
const FENCE_TIMEOUT_MS = 1000;

/**
 * Emits through Socket.io rooms: `room:<id>` for a chat room's subscribers, `user:<id>` for all of a
 * user's sockets, `session:<id>` for those opened with one login. Message events and subscription
 * changes go through the room bus (ordered by rev, one channel between nodes), and so do the room's
 * other events (behind its removals); the rest through the Socket.io adapter, which reaches every node.
 */
export function createSocketBroadcaster(io: Server, bus: RoomBus): Broadcaster {
  return {
    toRoomInOrder(roomId, rev, event, payload) {
      bus.emitInOrder(roomId, rev, event.name, payload);
    },
    toRoom(roomId, event, payload) {
      bus.toRoom(roomId, event.name, payload);
    },
    toRoomExceptUser(roomId, userId, event, payload) {
      bus.toRoom(roomId, event.name, payload, userId);
    },
    toRooms(roomIds, event, payload) {
      if (roomIds.length > 0) emitEvent(io.to(roomIds.map(roomChannel)), event, payload);
    },
    toUser(userId, event, payload) {
      emitEvent(io.to(userChannel(userId)), event, payload);
    },
    subscribeUser(userId, roomId) {
      bus.subscribe(userId, roomId);
    },
    unsubscribeUser(userId, roomId) {
      bus.unsubscribe(userId, roomId);
    },
    unsubscribeUserFenced(userId, roomId) {
      return bus.unsubscribeFenced(userId, roomId, FENCE_TIMEOUT_MS);
    },
    closeRoom(roomId, event, payload) {
      emitEvent(io.to(roomChannel(roomId)), event, payload);
      io.local.in(roomChannel(roomId)).socketsLeave(roomChannel(roomId));
      io.in(roomChannel(roomId)).socketsLeave(roomChannel(roomId));
    },
    disconnectSession(sessionId) {
      // Each socket hears why before it goes: this node's at once, then every node's (one Redis
      // channel carries both messages, in this order). This node's are gone by the second emit.
      const expired: PayloadOf<typeof authExpired> = { reason: 'session-revoked' };
      emitEvent(io.local.in(sessionChannel(sessionId)), authExpired, expired);
      io.local.in(sessionChannel(sessionId)).disconnectSockets(true);
      emitEvent(io.in(sessionChannel(sessionId)), authExpired, expired);
      io.in(sessionChannel(sessionId)).disconnectSockets(true);
    },
  };
}
