import { z } from 'zod';
import { named, OnlineUser } from '../openapi/schemas.js';
import { serverEvent } from './event.js';

/** The server → client events the realtime layer emits itself (the features' are in their folders). */

export const OnlineUsers = named('OnlineUsers', z.array(OnlineUser));

export const AuthExpired = named(
  'AuthExpired',
  z.strictObject({
    reason: z.enum(['token-expired', 'session-expired', 'session-revoked']),
  }),
);

export const onlineUsers = serverEvent({
  name: 'online-users',
  summary: 'On connect: the users online now who share a room with me.',
  audience: 'The connecting socket',
  payload: OnlineUsers,
});

export const authExpired = serverEvent({
  name: 'auth-expired',
  summary:
    'The socket is being disconnected: its access token expired without a `reauth`, or its session was revoked (logout, refresh token reuse) or expired. Reconnect with a fresh token.',
  audience: 'The sockets of that token or session',
  payload: AuthExpired,
});

export const realtimeServerEvents = [onlineUsers, authExpired];
