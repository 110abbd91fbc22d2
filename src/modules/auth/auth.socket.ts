import { z } from 'zod';
import { unauthorized } from '../../errors.js';
import type { Logger } from '../../logger.js';
import {
  onEvent,
  socketDeadline,
  type ChatSocket,
  type EventLimiter,
} from '../../realtime/socket-events.js';
import type { AuthService } from './auth.service.js';

export const reauthPayload = z.strictObject({
  token: z.string().trim().min(1, 'token is required').max(4096),
});

/**
 * reauth: a fresh access token of the same user and session extends the socket's life to the new
 * token's expiry. Any other token is refused and the socket keeps its old expiry.
 */
export function registerAuthEvents(
  socket: ChatSocket,
  deps: { auth: AuthService; log: Logger; eventLimiter: EventLimiter; onReauth: () => void },
): void {
  const { auth, log, eventLimiter, onReauth } = deps;
  onEvent(
    socket,
    log,
    'reauth',
    reauthPayload,
    async (input) => {
      const next = await auth.verify(input.token.replace(/^Bearer\s+/i, ''));
      const { actor } = socket.data;
      if (next.actor.userId !== actor.userId || next.actor.sessionId !== actor.sessionId)
        throw unauthorized("The token is not of this socket's session");
      socket.data.tokenExpiresAt = next.tokenExpiresAt.getTime();
      socket.data.sessionExpiresAt = next.sessionExpiresAt.getTime();
      onReauth();
      return { expiresAt: new Date(socketDeadline(socket.data).at).toISOString() };
    },
    [eventLimiter],
  );
}
