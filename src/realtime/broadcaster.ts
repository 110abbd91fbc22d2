/**
 * What services use to tell connected clients about a committed change. The Socket.io implementation
 * is in socket-broadcaster.ts.
 */
export interface Broadcaster {
  /**
   * A committed change of the room's messages, which took revision `rev`: reaches each subscriber in
   * rev order. Call right after the commit; `payload` may be a promise, and null delivers nothing.
   */
  toRoomInOrder(roomId: string, rev: number, event: string, payload: unknown): void;
  toRoom(roomId: string, event: string, payload: unknown): void;
  /** To the room's subscribers except every socket of one user (typing indicators). */
  toRoomExceptUser(roomId: string, userId: string, event: string, payload: unknown): void;
  toUser(userId: string, event: string, payload: unknown): void;
  /** To the subscribers of any of these rooms, each socket once. */
  toRooms(roomIds: string[], event: string, payload: unknown): void;
  /** Subscribes every socket of the user, on every node, to the room's events. */
  subscribeUser(userId: string, roomId: string): void;
  /** Unsubscribes every socket of the user, on every node; takes effect before the next emit. */
  unsubscribeUser(userId: string, roomId: string): void;
  /** Closes every socket of a room's subscribers (room deleted). */
  closeRoom(roomId: string): void;
  /**
   * Sends `auth-expired { reason: 'session-revoked' }` to every socket opened with this session, on
   * every node, and disconnects them (logout, reuse detection).
   */
  disconnectSession(sessionId: string): void;
}
