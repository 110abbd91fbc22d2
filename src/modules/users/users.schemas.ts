import { z } from 'zod';
import { MESSAGE_TYPES, ROOM_TYPES, USER_STATUSES } from '../../db/schema/index.js';
import { isPrintableLine, isPrintableText } from '../../http/text.js';
import {
  FileView,
  named,
  OwnUser,
  PublicUser,
  RoomRole,
  UserStatus,
} from '../../openapi/schemas.js';

export const updateProfileBody = z
  .strictObject({
    displayName: z
      .string()
      .trim()
      .max(50)
      .refine(isPrintableLine, 'must be one line of printable text')
      .transform((s) => (s === '' ? null : s))
      .nullable()
      .optional(),
    bio: z
      .string()
      .trim()
      .max(500)
      .refine(isPrintableText, 'must be printable text')
      .transform((s) => (s === '' ? null : s))
      .nullable()
      .optional(),
  })
  .refine((b) => b.displayName !== undefined || b.bio !== undefined, {
    message: 'nothing to update: give displayName or bio',
  });

export const statusBody = z.strictObject({ status: z.enum(USER_STATUSES) });

export const searchUsersQuery = z.object({
  q: z.string().trim().min(1, 'q is required').max(50),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
  before: z.string().max(200).optional(),
});

export const userIdParams = z.object({ id: z.string().max(100) });

export const blockedQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  before: z.string().max(300).optional(),
});

export const BlockState = named(
  'BlockState',
  z.strictObject({
    userId: z.string(),
    blocked: z.boolean(),
    blockedAt: z.iso.datetime().nullable().describe('Since when; null when not blocked'),
  }),
  'Whether I block the user',
);
export const BlockedUser = named(
  'BlockedUser',
  z.strictObject({ user: PublicUser, blockedAt: z.iso.datetime() }),
  'An entry of my block list',
);

/** `DELETE /api/users/me`: my password again, as for a password change. */
export const eraseBody = z.strictObject({
  password: z.string().min(1, 'password is required').max(1024),
});

const time = z.iso.datetime().describe('ISO 8601, UTC');

export const ExportedRoom = named(
  'ExportedRoom',
  z.strictObject({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    type: z.enum(ROOM_TYPES),
    myRole: RoomRole,
    joinedAt: time,
  }),
  'A room I am a member of, in my data export',
);
export const ExportedMessage = named(
  'ExportedMessage',
  z.strictObject({
    id: z.string(),
    room: z.string(),
    seq: z.number().int(),
    type: z.enum(MESSAGE_TYPES),
    content: z.string().nullable().describe('Null once the message is deleted'),
    replyTo: z.string().nullable(),
    createdAt: time,
    editedAt: time.nullable(),
    deletedAt: time.nullable(),
  }),
  'A message I sent, in my data export',
);
export const ExportedFile = named(
  'ExportedFile',
  FileView.extend({
    messageId: z.string(),
    room: z.string(),
    seq: z.number().int(),
    createdAt: time,
  }),
  'A file I uploaded, with fresh signed URLs, in my data export',
);
export const MyDataExport = named(
  'MyDataExport',
  z.strictObject({
    exportedAt: time,
    user: OwnUser,
    rooms: z.array(ExportedRoom),
    messages: z.array(ExportedMessage).describe('Every message I sent, left rooms included'),
    files: z.array(ExportedFile),
  }),
  'Everything I put in: my profile, my rooms, every message I sent and my files',
);
export const Erasure = named(
  'Erasure',
  z.strictObject({
    erased: z.literal(true),
    messagesDeleted: z.number().int().min(0),
    filesDeleted: z.number().int().min(0),
    roomsLeft: z.number().int().min(0),
  }),
  'What erasing my account did',
);

/** The payloads of the users' socket events (component names as in the AsyncAPI document). */
export const UserPresence = named(
  'UserPresence',
  z.strictObject({ userId: z.string(), username: z.string() }),
);
export const StatusUpdate = named(
  'StatusUpdate',
  z.strictObject({ userId: z.string(), status: UserStatus }),
);
