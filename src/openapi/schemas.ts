import { z } from 'zod';
import {
  FILE_KINDS,
  MESSAGE_TYPES,
  ROOM_ROLES,
  NOTIFY_LEVELS,
  ROOM_TYPES,
  USER_ROLES,
  USER_STATUSES,
} from '../db/schema/index.js';
import { ERROR_STATUS, type ErrorCode } from '../errors.js';

/**
 * The response shapes of the API, written to match the presenters field for field (see
 * schemas.typecheck.ts, which fails the type check when a presenter and its schema drift apart).
 * Objects are strict, so a field a presenter adds without documenting it fails the docs tests.
 * Every named shape is registered in `components` with its OpenAPI component name.
 */
export const components = z.registry<{ id: string; description?: string }>();

/** Registers a schema as a named component (its OpenAPI/AsyncAPI name) and returns it. */
export function named<S extends z.ZodType>(id: string, schema: S, description?: string): S {
  components.add(schema, description ? { id, description } : { id });
  return schema;
}

const id = z.string().describe('Opaque id');
const time = z.iso.datetime().describe('ISO 8601, UTC');
const count = z.number().int().min(0);

export const UserStatus = named('UserStatus', z.enum(USER_STATUSES), 'The status a user chose');
export const RoomRole = named('RoomRole', z.enum(ROOM_ROLES));

export const PublicUser = named(
  'User',
  z.strictObject({
    id,
    username: z.string(),
    displayName: z.string().nullable(),
    avatarUrl: z.string().nullable().describe('Public URL; loads in <img src> without headers'),
    bio: z.string().nullable(),
    status: UserStatus,
    createdAt: time,
  }),
  "A user's public profile",
);

export const OwnUser = named(
  'OwnUser',
  PublicUser.extend({ email: z.string(), role: z.enum(USER_ROLES) }),
  "The caller's own profile: the public one plus email and instance role",
);

export const Sender = named(
  'Sender',
  z.strictObject({
    id,
    username: z.string(),
    displayName: z.string().nullable(),
    avatarUrl: z.string().nullable(),
  }),
);

export const FileView = named(
  'File',
  z.strictObject({
    id,
    name: z.string(),
    mime: z.string(),
    size: count.describe('Bytes'),
    url: z
      .string()
      .describe('Signed URL that expires (about an hour); listings hand out fresh ones'),
    width: z.number().int().optional(),
    height: z.number().int().optional(),
    thumbnailUrl: z.string().optional(),
  }),
  'A stored file; width, height and thumbnailUrl for images only',
);

export const ReactionGroup = named(
  'Reaction',
  z.strictObject({ emoji: z.string(), count: count, userIds: z.array(id) }),
);

export const ReplyPreview = named(
  'ReplyPreview',
  z.strictObject({
    id,
    seq: z.number().int(),
    sender: Sender.nullable(),
    content: z.string().describe('The first 200 characters; empty when deleted'),
    deleted: z.boolean(),
  }),
  'A short quote of the replied-to message',
);

export const Message = named(
  'Message',
  z.strictObject({
    id,
    room: id.describe('Room id'),
    seq: z.number().int().min(1).describe('Counts up by one per room, without gaps'),
    rev: z
      .number()
      .int()
      .min(1)
      .describe(
        "The room revision of this message's latest change (new, edited, reacted, deleted)",
      ),
    sender: Sender.nullable(),
    content: z.string(),
    type: z.enum(MESSAGE_TYPES),
    replyTo: id.nullable(),
    replyPreview: ReplyPreview.nullable(),
    file: FileView.optional(),
    reactions: z.array(ReactionGroup),
    mentions: z
      .array(id)
      .describe('The members mentioned by `@username` when it was sent or last edited, by id'),
    mentionsAll: z
      .boolean()
      .describe("`@all`, by the room's owner or an admin in a room of more than 10 members"),
    createdAt: time,
    editedAt: time.nullable(),
  }),
);

export const Tombstone = named(
  'Tombstone',
  z.strictObject({
    id,
    room: id,
    seq: z.number().int(),
    rev: z.number().int().describe('The revision of the deletion'),
    deleted: z.literal(true),
  }),
  'A deleted message, in catch-up listings (`after`, `rev`) and sync',
);

export const MessageOrTombstone = named('MessageOrTombstone', z.union([Message, Tombstone]));

export const SearchResult = named(
  'SearchResult',
  Message.extend({
    snippet: z.string().describe('HTML-escaped text with <mark> around matches'),
    rank: z.number(),
  }),
);

export const Room = named(
  'Room',
  z.strictObject({
    id,
    slug: z.string(),
    name: z.string(),
    type: z.enum(ROOM_TYPES),
    description: z.string().nullable(),
    createdAt: time,
    memberCount: count,
    lastSeq: z.number().int().min(0).describe('Seq of the newest message'),
    myRole: RoomRole.nullable(),
    unreadCount: count,
    mentionCount: count.describe(
      'Unread messages that mention me (`@me`, `@all`, replies to me, direct)',
    ),
    notifyLevel: z
      .enum(NOTIFY_LEVELS)
      .nullable()
      .describe(
        'My notification level for the room (default: `all` direct, `mentions` others); null when not a member',
      ),
    lastReadSeq: z.number().int().min(0),
    lastMessage: Message.nullable(),
    slowModeSeconds: z
      .number()
      .int()
      .min(0)
      .describe(
        'Slow mode: members other than owner/admins send once per this many seconds; 0 off',
      ),
    retentionDays: z
      .number()
      .int()
      .nullable()
      .describe("The room's retention in days; null: the instance's MESSAGE_RETENTION_DAYS"),
    peer: PublicUser.optional().describe('Direct rooms only: the other person'),
  }),
  'A room; myRole, unreadCount, mentionCount, notifyLevel, lastReadSeq and lastMessage are relative to the caller',
);

export const Member = named(
  'Member',
  z.strictObject({
    user: PublicUser,
    role: RoomRole,
    joinedAt: time,
    lastReadSeq: z.number().int(),
    muted: z.boolean().describe('Muted now: reads, but cannot send, react or edit'),
    mutedUntil: time
      .nullable()
      .describe('When the mute ends; null when not muted or until unmuted'),
  }),
);

export const MediaItem = named(
  'MediaItem',
  FileView.extend({
    kind: z.enum(FILE_KINDS),
    messageId: id,
    seq: z.number().int(),
    uploader: Sender.nullable(),
    createdAt: time,
  }),
  'A file of a room, with the message it was posted in',
);

const kindStats = z.strictObject({ count, bytes: count });
export const FileStats = named(
  'FileStats',
  z.strictObject({
    room: id,
    total: kindStats,
    byType: z.strictObject({ image: kindStats, video: kindStats, document: kindStats }),
  }),
);

export const ReadReceipt = named(
  'ReadReceipt',
  z.strictObject({
    room: id,
    userId: id,
    messageId: id,
    seq: z.number().int(),
    lastReadSeq: z.number().int(),
    readAt: time,
  }),
);

export const ReactionList = named('ReactionList', z.array(ReactionGroup), "A message's reactions");

export const ReactionsResult = named(
  'MessageReactions',
  z.strictObject({
    messageId: id,
    room: id,
    reactions: z.array(ReactionGroup),
    rev: z.number().int().describe('The revision of this change'),
  }),
);

export const AuthResult = named(
  'AuthResult',
  z.strictObject({
    user: OwnUser,
    accessToken: z.string().describe('Send as `Authorization: Bearer <accessToken>`'),
    refreshToken: z.string(),
    expiresAt: time.describe('When the access token expires'),
  }),
);

export const UploadResult = named(
  'UploadResult',
  z.strictObject({ file: FileView, message: Message }),
);
export const OnlineUser = named(
  'OnlineUser',
  z.strictObject({ userId: id, username: z.string(), status: UserStatus }),
);
export const MessageDeleted = named(
  'MessageDeleted',
  z.strictObject({ id, room: id, seq: z.number().int(), rev: z.number().int() }),
);
export const RoomDeleted = named('RoomDeleted', z.strictObject({ id }));
export const RoomLeft = named('RoomLeft', z.strictObject({ room: id, left: z.literal(true) }));
export const MemberRemoved = named(
  'MemberRemoved',
  z.strictObject({ room: id, userId: id, removed: z.literal(true) }),
);
export const LoggedOut = named('LoggedOut', z.strictObject({ loggedOut: z.literal(true) }));
export const PasswordChanged = named(
  'PasswordChanged',
  z.strictObject({ changed: z.literal(true), sessionsRevoked: z.number().int().min(0) }),
);
export const LoggedOutEverywhere = named(
  'LoggedOutEverywhere',
  z.strictObject({ loggedOut: z.literal(true), sessionsRevoked: z.number().int().min(0) }),
);

export const Page = named(
  'Page',
  z.strictObject({
    nextCursor: z
      .string()
      .nullable()
      .describe(
        'Pass as `before` (or `cursor`, or `after`) for the next page; with `rev`, as `rev`',
      ),
    limit: z.number().int().min(0),
    rev: z.number().int().optional().describe('With `rev`: the revision to ask from next time'),
  }),
);

export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];
export const ErrorCodeSchema = named(
  'ErrorCode',
  z.enum(ERROR_CODES),
  'VALIDATION_ERROR 400, UNAUTHORIZED 401, FORBIDDEN 403, NOT_FOUND 404, CONFLICT 409, PAYLOAD_TOO_LARGE 413, UNSUPPORTED_MEDIA_TYPE 415, RATE_LIMITED 429, INTERNAL_ERROR 500, SERVICE_UNAVAILABLE 503',
);

export const ErrorBody = named(
  'Error',
  z.strictObject({
    success: z.literal(false),
    error: z.strictObject({
      code: ErrorCodeSchema,
      message: z.string(),
      details: z
        .array(z.strictObject({ path: z.string().optional(), message: z.string() }))
        .optional(),
      stack: z.string().optional().describe('Development only, on 5xx'),
    }),
  }),
  'Every error; the code fits the status',
);

/** A socket event's failed acknowledgement: the error body of REST, without the stack. */
export const AckError = named(
  'AckError',
  z.strictObject({
    success: z.literal(false),
    error: ErrorBody.shape.error.omit({ stack: true }).extend({
      retryAfter: z
        .number()
        .int()
        .min(1)
        .optional()
        .describe('RATE_LIMITED: seconds to wait (REST says it in `Retry-After`)'),
    }),
  }),
  'A failed acknowledgement: the same codes as REST',
);

export const Health = named(
  'Health',
  z.strictObject({
    success: z.boolean(),
    message: z.string(),
    timestamp: time,
    environment: z.string(),
    database: z.enum(['connected', 'disconnected']),
  }),
);

/** The id a schema is registered under, or undefined. */
export function componentId(schema: z.ZodType): string | undefined {
  return components.get(schema)?.id;
}

const envelopes = new Map<string, z.ZodType>();

/** `{ success: true, data }`, registered as `<Id>Response`. */
export function dataEnvelope(schema: z.ZodType) {
  const id = componentId(schema);
  // Envelopes are cached by their schema's component id: an unnamed schema would share one.
  if (!id) throw new Error('dataEnvelope needs a named schema (named(...))');
  const name = `${id}Response`;
  const cached = envelopes.get(name);
  if (cached) return cached;
  const envelope = named(name, z.strictObject({ success: z.literal(true), data: schema }));
  envelopes.set(name, envelope);
  return envelope;
}

/** `{ success: true, data: [...], page }`, registered as `<Id>List`. */
export function pageEnvelope(item: z.ZodType) {
  const name = `${componentId(item) ?? 'Unnamed'}List`;
  const cached = envelopes.get(name);
  if (cached) return cached;
  const envelope = named(
    name,
    z.strictObject({ success: z.literal(true), data: z.array(item), page: Page }),
  );
  envelopes.set(name, envelope);
  return envelope;
}
