import { z } from 'zod';
import { unauthorized } from '../../errors.js';
import { event } from '../declare.js';
import { ReauthResult } from './auth.schemas.js';

export const reauthPayload = z.strictObject({
  token: z.string().trim().min(1, 'token is required').max(4096),
});

/**
 * reauth: a fresh access token of the same user and session extends the socket's life to the new
 * token's expiry. Any other token is refused and the socket keeps its old expiry.
 */
const reauth = event({
  name: 'reauth',
  summary:
    "A fresh access token of the same user and session for this socket (after a refresh): the socket lives until it expires instead. Another user's or session's token is refused UNAUTHORIZED and the socket keeps its old expiry.",
  payload: reauthPayload,
  ack: ReauthResult,
  limit: 'event',
  handler: async (input, socket, { auth }) => {
    const next = await auth.verify(input.token.replace(/^Bearer\s+/i, ''));
    const { actor } = socket;
    if (next.actor.userId !== actor.userId || next.actor.sessionId !== actor.sessionId)
      throw unauthorized("The token is not of this socket's session");
    return { expiresAt: socket.extendLife(next).toISOString() };
  },
});

export const authEvents = [reauth];
