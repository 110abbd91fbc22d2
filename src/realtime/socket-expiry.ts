import { emitEvent } from './event.js';
import { authExpired } from './realtime.events.js';
import { socketDeadline, type ChatSocket, type ExpiryReason } from './socket-events.js';

/** setTimeout's longest delay (about 24.8 days); a later deadline is reached in several steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Sends `auth-expired { reason }` to the socket, then disconnects it. */
export function expireSocket(socket: ChatSocket, reason: ExpiryReason): void {
  if (!socket.connected) return;
  emitEvent(socket, authExpired, { reason });
  socket.disconnect(true);
}

/**
 * Ends the socket when its access token or its session expires. Returns the function that re-arms
 * the timer after `reauth` moved the deadline; a timer that fires before the deadline (moved, or a
 * clock that runs early) re-arms itself too.
 */
export function expireAtDeadline(socket: ChatSocket): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    if (!socket.connected) return;
    const { at, reason } = socketDeadline(socket.data);
    const wait = at - Date.now();
    if (wait <= 0) return expireSocket(socket, reason);
    timer = setTimeout(arm, Math.min(wait, MAX_TIMER_MS));
    timer.unref();
  };
  socket.once('disconnect', () => clearTimeout(timer));
  arm();
  return arm;
}
