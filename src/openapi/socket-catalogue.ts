import { z } from 'zod';
import {
  messageReadPayload,
  sendMessageBody,
  syncPayload,
} from '../modules/messages/messages.schemas.js';
import { reauthPayload } from '../modules/auth/auth.socket.js';
import { roomPayload } from '../modules/rooms/rooms.socket.js';
import { statusBody } from '../modules/users/users.schemas.js';
import {
  ErrorCodeSchema,
  Message,
  MessageDeleted,
  MessageOrTombstone,
  named,
  OnlineUser,
  OwnUser,
  PublicUser,
  ReactionsResult,
  ReadReceipt,
  Room,
  RoomLeft,
  RoomRole,
  UserStatus,
} from './schemas.js';

/** A client → server event: its payload schema is the one the handler validates with. */
export interface ClientEventDoc {
  name: string;
  summary: string;
  payload: z.ZodType;
  /** `data` of a successful acknowledgement. */
  ack: z.ZodType;
}

/** A server → client event. */
export interface ServerEventDoc {
  name: string;
  summary: string;
  /** Which sockets receive it. */
  audience: string;
  payload: z.ZodType;
}

export const RoomRef = named('RoomRef', z.strictObject({ room: z.string() }));
export const UserPresence = named(
  'UserPresence',
  z.strictObject({ userId: z.string(), username: z.string() }),
);
export const StatusUpdate = named(
  'StatusUpdate',
  z.strictObject({ userId: z.string(), status: UserStatus }),
);
export const UserTyping = named(
  'UserTyping',
  z.strictObject({
    room: z.string(),
    userId: z.string(),
    username: z.string(),
    isTyping: z.boolean(),
  }),
);
export const MemberJoined = named(
  'MemberJoined',
  z.strictObject({ room: z.string(), user: PublicUser, role: RoomRole }),
);
export const MemberLeft = named(
  'MemberLeft',
  z.strictObject({ room: z.string(), userId: z.string() }),
);
export const MemberUpdated = named(
  'MemberUpdated',
  z.strictObject({ room: z.string(), userId: z.string(), role: RoomRole }),
);
export const RoomUpdated = named(
  'RoomUpdated',
  z.strictObject({ room: z.string(), name: z.string(), description: z.string().nullable() }),
);
export const OnlineUsers = named('OnlineUsers', z.array(OnlineUser));
export const ReauthResult = named(
  'ReauthResult',
  z.strictObject({
    expiresAt: z.iso
      .datetime()
      .describe('ISO 8601, UTC: when the socket ends now, unless another reauth moves it'),
  }),
);
export const AuthExpired = named(
  'AuthExpired',
  z.strictObject({
    reason: z.enum(['token-expired', 'session-expired', 'session-revoked']),
  }),
);
export const SyncEntry = named(
  'SyncEntry',
  z.union([
    z.strictObject({
      room: z.string().describe('The room as asked for (id or slug)'),
      messages: z
        .array(MessageOrTombstone)
        .describe('`after`: by seq; `rev`: in rev order. At most 100 a room, 1,000 in all'),
      hasMore: z
        .boolean()
        .describe('Ask again: from the last seq (`after`), or from `rev` (`rev`)'),
      rev: z
        .number()
        .int()
        .describe('The revision to ask from next time (`{ room, rev }`) once hasMore is false'),
    }),
    z.strictObject({
      room: z.string(),
      error: z.strictObject({ code: ErrorCodeSchema, message: z.string() }),
    }),
  ]),
  'Per room: the messages after `after` or changed after `rev`, or why the room cannot be read',
);
export const SyncResult = named('SyncResult', z.array(SyncEntry));

export const AckError = named(
  'AckError',
  z.strictObject({
    success: z.literal(false),
    error: z.strictObject({
      code: ErrorCodeSchema,
      message: z.string(),
      details: z
        .array(z.strictObject({ path: z.string().optional(), message: z.string() }))
        .optional(),
    }),
  }),
  'A failed acknowledgement: the same codes as REST',
);

/** `{ success: true, data }` for an acknowledgement, registered as `<Event>Ack`. */
function ackOf(event: string, data: z.ZodType) {
  const name = `${event
    .split('-')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')}Ack`;
  return named(name, z.strictObject({ success: z.literal(true), data }));
}

export const clientEvents: ClientEventDoc[] = [
  {
    name: 'join-room',
    summary:
      'Join a public room as a member (like POST /rooms/{id}/join); every socket of the user is subscribed.',
    payload: roomPayload,
    ack: Room,
  },
  {
    name: 'leave-room',
    summary:
      'Leave a room (like POST /rooms/{id}/leave); every socket of the user is unsubscribed.',
    payload: roomPayload,
    ack: RoomLeft,
  },
  {
    name: 'send-message',
    summary:
      'Send a message, with the same rules as POST /messages (a known clientId returns the first message). At most SOCKET_MESSAGE_LIMIT per user per 10 s, across all their sockets.',
    payload: sendMessageBody,
    ack: Message,
  },
  {
    name: 'typing-start',
    summary:
      'I am typing in a room; members get `user-typing`. Stops by itself after a few seconds without another typing-start.',
    payload: roomPayload,
    ack: RoomRef,
  },
  {
    name: 'typing-stop',
    summary: 'I stopped typing in a room.',
    payload: roomPayload,
    ack: RoomRef,
  },
  {
    name: 'message-read',
    summary:
      'Mark this message and everything before it in its room as read (like POST /messages/{id}/read).',
    payload: messageReadPayload,
    ack: ReadReceipt,
  },
  {
    name: 'user-status',
    summary: 'Choose my status (like POST /users/status).',
    payload: statusBody,
    ack: OwnUser,
  },
  {
    name: 'sync',
    summary:
      'Catch up after a reconnect: per room (at most 100, each once), `{ room, after }` for the messages with seq greater than `after`, oldest first, or `{ room, rev }` for every message changed after revision `rev` (new, edited, reacted, deleted as tombstones), in rev order.',
    payload: syncPayload,
    ack: SyncResult,
  },
  {
    name: 'reauth',
    summary:
      "A fresh access token of the same user and session for this socket (after a refresh): the socket lives until it expires instead. Another user's or session's token is refused UNAUTHORIZED and the socket keeps its old expiry.",
    payload: reauthPayload,
    ack: ReauthResult,
  },
];

export const ackSchemas = new Map(clientEvents.map((e) => [e.name, ackOf(e.name, e.ack)]));

const ROOM = 'Every socket subscribed to the room (its members)';

export const serverEvents: ServerEventDoc[] = [
  { name: 'new-message', summary: 'A message was sent.', audience: ROOM, payload: Message },
  {
    name: 'message-updated',
    summary: 'A message was edited.',
    audience: ROOM,
    payload: Message,
  },
  {
    name: 'message-deleted',
    summary: 'A message (and its file) was deleted.',
    audience: ROOM,
    payload: MessageDeleted,
  },
  {
    name: 'message-reaction',
    summary: "A message's reactions changed.",
    audience: ROOM,
    payload: ReactionsResult,
  },
  {
    name: 'message-read-receipt',
    summary: 'A member read up to a message.',
    audience: ROOM,
    payload: ReadReceipt,
  },
  {
    name: 'user-online',
    summary: "A user's first connection opened (users who chose `offline` are not announced).",
    audience: 'Every room of the user',
    payload: UserPresence,
  },
  {
    name: 'user-offline',
    summary: "A user's last connection closed a few seconds ago, or they chose `offline`.",
    audience: 'Every room of the user',
    payload: UserPresence,
  },
  {
    name: 'user-status-update',
    summary: 'A user chose a status.',
    audience: 'Every room of the user',
    payload: StatusUpdate,
  },
  {
    name: 'online-users',
    summary: 'On connect: the users online now who share a room with me.',
    audience: 'The connecting socket',
    payload: OnlineUsers,
  },
  {
    name: 'user-typing',
    summary: 'A member started or stopped typing.',
    audience: `${ROOM}, except the typist's own sockets`,
    payload: UserTyping,
  },
  {
    name: 'member-joined',
    summary: 'A user joined or was added to the room.',
    audience: ROOM,
    payload: MemberJoined,
  },
  {
    name: 'member-left',
    summary: 'A member left or was removed.',
    audience: ROOM,
    payload: MemberLeft,
  },
  {
    name: 'member-updated',
    summary: "A member's role changed.",
    audience: ROOM,
    payload: MemberUpdated,
  },
  {
    name: 'room-joined',
    summary: 'I was added to a room (invited, or a direct room was opened with me).',
    audience: 'Every socket of the added user',
    payload: RoomRef,
  },
  {
    name: 'room-left',
    summary: 'I left or was removed from a room; its events stop.',
    audience: 'Every socket of the user who left',
    payload: RoomRef,
  },
  {
    name: 'room-updated',
    summary: 'A room was renamed or re-described.',
    audience: ROOM,
    payload: RoomUpdated,
  },
  {
    name: 'room-deleted',
    summary: 'A room was deleted; its events stop.',
    audience: ROOM,
    payload: RoomRef,
  },
  {
    name: 'auth-expired',
    summary:
      'The socket is being disconnected: its access token expired without a `reauth`, or its session was revoked (logout, refresh token reuse) or expired. Reconnect with a fresh token.',
    audience: 'The sockets of that token or session',
    payload: AuthExpired,
  },
];
