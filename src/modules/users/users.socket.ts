import type { Logger } from '../../logger.js';
import { onEvent, type ChatSocket, type SocketRateLimiter } from '../../realtime/socket-events.js';
import { statusBody } from './users.schemas.js';
import type { UsersService } from './users.service.js';

/** user-status: the same as POST /api/users/status. */
export function registerUserEvents(
  socket: ChatSocket,
  deps: { users: UsersService; log: Logger; eventLimiter: SocketRateLimiter },
): void {
  const { users, log, eventLimiter } = deps;
  onEvent(
    socket,
    log,
    'user-status',
    statusBody,
    (input) => users.setStatus(socket.data.actor, input.status),
    [eventLimiter],
  );
}
