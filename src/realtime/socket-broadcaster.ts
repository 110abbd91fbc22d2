import type { Server } from 'socket.io';
import type { Broadcaster } from './broadcaster.js';

export const roomChannel = (roomId: string) => `room:${roomId}`;
export const userChannel = (userId: string) => `user:${userId}`;
export const sessionChannel = (sessionId: string) => `session:${sessionId}`;

/**
 * Emits through Socket.io rooms: `room:<id>` for a chat room's subscribers, `user:<id>` for all of a
 * user's sockets, `session:<id>` for those opened with one login. With the Redis adapter every call
 * reaches the sockets on every node, and in the order the calls were made.
 *
 * Subscription changes are applied to this node's sockets first, synchronously: the Redis adapter
 * applies a published join/leave to its own node only when the message comes back, while a broadcast
 * reaches local sockets at once, so an emit right after a removal would otherwise still reach them.
 */
export function createSocketBroadcaster(io: Server): Broadcaster {
  return {
    toRoom(roomId, event, payload) {
      io.to(roomChannel(roomId)).emit(event, payload);
    },
    toRoomExceptUser(roomId, userId, event, payload) {
      io.to(roomChannel(roomId)).except(userChannel(userId)).emit(event, payload);
    },
    toRooms(roomIds, event, payload) {
      if (roomIds.length > 0) io.to(roomIds.map(roomChannel)).emit(event, payload);
    },
    toUser(userId, event, payload) {
      io.to(userChannel(userId)).emit(event, payload);
    },
    subscribeUser(userId, roomId) {
      io.local.in(userChannel(userId)).socketsJoin(roomChannel(roomId));
      io.in(userChannel(userId)).socketsJoin(roomChannel(roomId));
    },
    unsubscribeUser(userId, roomId) {
      io.local.in(userChannel(userId)).socketsLeave(roomChannel(roomId));
      io.in(userChannel(userId)).socketsLeave(roomChannel(roomId));
    },
    closeRoom(roomId) {
      io.local.in(roomChannel(roomId)).socketsLeave(roomChannel(roomId));
      io.in(roomChannel(roomId)).socketsLeave(roomChannel(roomId));
    },
    disconnectSession(sessionId) {
      io.local.in(sessionChannel(sessionId)).disconnectSockets(true);
      io.in(sessionChannel(sessionId)).disconnectSockets(true);
    },
  };
}
