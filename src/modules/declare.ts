import { routeFor } from '../http/route.js';
import { eventFor } from '../realtime/event.js';
import type { AdminService } from './admin/admin.service.js';
import type { AuthService } from './auth/auth.service.js';
import type { AvatarService } from './files/avatar.service.js';
import type { LocalFiles } from './files/download.routes.js';
import type { FilesService } from './files/files.service.js';
import type { MessagesService } from './messages/messages.service.js';
import type { ModerationService } from './rooms/moderation.service.js';
import type { RoomsService } from './rooms/rooms.service.js';
import type { TypingService } from './rooms/typing.service.js';
import type { PushService } from './push/push.service.js';
import type { PresenceService } from './users/presence.service.js';
import type { UsersService } from './users/users.service.js';
import type { MyDataService } from './users/my-data.service.js';

/**
 * Every feature's service, as the composition root (modules/index.ts) builds them. Route and event
 * handlers receive this bag; a feature reaches another only through these services.
 */
export interface Services {
  auth: AuthService;
  users: UsersService;
  /** My data: export and erasure (SPEC "My data"). */
  myData: MyDataService;
  presence: PresenceService;
  rooms: RoomsService;
  moderation: ModerationService;
  typing: TypingService;
  messages: MessagesService;
  files: FilesService;
  avatars: AvatarService;
  push: PushService;
  admin: AdminService;
  /** The local storage driver's files, for its download routes; undefined with the other drivers. */
  localFiles?: LocalFiles;
}

/** Declares a REST route of a feature (see src/http/route.ts). */
export const route = routeFor<Services>();

/** Declares a client → server socket event of a feature (see src/realtime/event.ts). */
export const event = eventFor<Services>();
