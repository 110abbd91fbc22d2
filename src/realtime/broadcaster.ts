import type { PayloadOf, ServerEvent } from './event.js';

/**
 * What services use to tell connected clients about a committed change: always a declared server
 * event (event.ts) with a payload of its schema's type. The Socket.io implementation is in
 * socket-broadcaster.ts.
 */
export interface Broadcaster {
  /**
   * A committed change of the room's messages, which took revision `rev`: reaches each subscriber in
   * rev order. Call right after the commit; `payload` may be a promise, and null delivers nothing.
   */
  toRoomInOrder<E extends ServerEvent>(
    roomId: string,
    rev: number,
    event: E,
    payload: NoInfer<PayloadOf<E> | null | Promise<PayloadOf<E> | null>>,
  ): void;
  /**
   * To the room's subscribers, outside the rev order (members, receipts, settings): behind every
   * removal committed before it, on every node, like the events in rev order.
   */
  toRoom<E extends ServerEvent>(roomId: string, event: E, payload: NoInfer<PayloadOf<E>>): void;
  /** To the room's subscribers except every socket of one user (typing indicators). */
  toRoomExceptUser<E extends ServerEvent>(
    roomId: string,
    userId: string,
    event: E,
    payload: NoInfer<PayloadOf<E>>,
  ): void;
  toUser<E extends ServerEvent>(userId: string, event: E, payload: NoInfer<PayloadOf<E>>): void;
  /** To the subscribers of any of these rooms, each socket once. */
  toRooms<E extends ServerEvent>(roomIds: string[], event: E, payload: NoInfer<PayloadOf<E>>): void;
  /** Subscribes every socket of the user, on every node, to the room's events. */
  subscribeUser(userId: string, roomId: string): void;
  /** Unsubscribes every socket of the user, on every node; takes effect before the next emit. */
  unsubscribeUser(userId: string, roomId: string): void;
  /**
   * The same, resolved once it is in the one order every node delivers in (Redis has taken it; 503
   * when it cannot): call it inside the removal's transaction, under the room's lock, so that no later
   * change of the room reaches them.
   */
  unsubscribeUserFenced(userId: string, roomId: string): Promise<void>;
  /**
   * The room is gone: its subscribers, on every node, hear `event` (`room-deleted`), then every socket
   * leaves it. Not checked against the members (there are none left).
   */
  closeRoom<E extends ServerEvent>(roomId: string, event: E, payload: NoInfer<PayloadOf<E>>): void;
  /**
   * Sends `auth-expired { reason: 'session-revoked' }` to every socket opened with this session, on
   * every node, and disconnects them (logout, reuse detection).
   */
  disconnectSession(sessionId: string): void;
}
