import type { Route } from '../http/route.js';
import type { ClientEvent, ServerEvent } from '../realtime/event.js';
import { adminRoutes } from './admin/admin.routes.js';
import { authRoutes } from './auth/auth.routes.js';
import { authEvents } from './auth/auth.socket.js';
import type { Services } from './declare.js';
import { downloadRoutes } from './files/download.routes.js';
import { filesRoutes } from './files/files.routes.js';
import { messageServerEvents } from './messages/messages.events.js';
import { messagesRoutes } from './messages/messages.routes.js';
import { messageEvents } from './messages/messages.socket.js';
import { pushRoutes } from './push/push.routes.js';
import { roomServerEvents } from './rooms/rooms.events.js';
import { moderationRoutes } from './rooms/moderation.routes.js';
import { roomsRoutes } from './rooms/rooms.routes.js';
import { roomEvents } from './rooms/rooms.socket.js';
import { userServerEvents } from './users/users.events.js';
import { usersRoutes } from './users/users.routes.js';
import { userEvents } from './users/users.socket.js';

export type { Services } from './declare.js';

/**
 * Every feature's REST routes, in the order they are mounted (a literal path before a `:param` one
 * of the same method) and documented. Routes under `/api/v1` unless declared `root`.
 */
export const featureRoutes: Route<Services>[] = [
  ...authRoutes,
  ...usersRoutes,
  ...roomsRoutes,
  ...moderationRoutes,
  ...messagesRoutes,
  ...pushRoutes,
  ...adminRoutes,
  ...filesRoutes,
  ...downloadRoutes,
];

/**
 * Every feature's client → server socket events: mounted on each socket by src/realtime, documented
 * (AsyncAPI, docs/socket-events.md) in this order.
 */
export const clientEvents: ClientEvent<Services>[] = [
  ...roomEvents,
  ...messageEvents,
  ...userEvents,
  ...authEvents,
];

/**
 * Every feature's server → client events, as documented (the realtime layer's own, `online-users`
 * and `auth-expired`, are declared in src/realtime/realtime.events.ts).
 */
export const serverEvents: ServerEvent[] = [
  ...messageServerEvents,
  ...userServerEvents,
  ...roomServerEvents,
];
