import { z } from 'zod';
import { NOTIFY_LEVELS, ROOM_ROLES } from '../../db/schema/index.js';
import { isPrintableLine, isPrintableText } from '../../http/text.js';
import { named, PublicUser, RoomRole, Sender } from '../../openapi/schemas.js';

const roomName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(80, 'must be at most 80 characters')
  .refine(isPrintableLine, 'must be one line of printable text');

const description = z
  .string()
  .trim()
  .max(500, 'must be at most 500 characters')
  .refine(isPrintableText, 'must be printable text')
  .transform((s) => (s === '' ? null : s));

export const createRoomBody = z.strictObject({
  name: roomName,
  type: z.enum(['public', 'private']),
  description: description.nullish(),
});

export const updateRoomBody = z
  .strictObject({
    name: roomName.optional(),
    description: description.nullish(),
    slowModeSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .optional()
      .describe('Members other than owner/admins send once per this many seconds; 0 turns it off'),
    retentionDays: z
      .number()
      .int()
      .min(1)
      .max(36500)
      .nullable()
      .optional()
      .describe(
        "Messages older than this are deleted; null: the instance's setting. At most MESSAGE_RETENTION_DAYS",
      ),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: 'nothing to update: give name, description, slowModeSeconds or retentionDays',
  });

export const notificationsBody = z.strictObject({ level: z.enum(NOTIFY_LEVELS) });

export const roomParams = z.object({ id: z.string().trim().min(1).max(100) });
export const memberParams = z.object({
  id: z.string().trim().min(1).max(100),
  userId: z.string().max(100),
});
export const addMemberBody = z.strictObject({ userId: z.string().min(1).max(100) });
export const setRoleBody = z.strictObject({ role: z.enum(ROOM_ROLES) });
export const directBody = z.strictObject({ userId: z.string().min(1).max(100) });

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  before: z.string().max(300).optional(),
  cursor: z.string().max(300).optional(),
});

export const publicRoomsQuery = pageQuery.extend({ q: z.string().trim().max(80).optional() });

/** The payloads of the rooms' socket events (component names as in the AsyncAPI document). */
export const RoomRef = named('RoomRef', z.strictObject({ room: z.string() }));
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
  z.strictObject({
    room: z.string(),
    userId: z.string(),
    role: RoomRole,
    muted: z.boolean(),
    mutedUntil: z.iso.datetime().nullable(),
  }),
);
export const RoomUpdated = named(
  'RoomUpdated',
  z.strictObject({
    room: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    slowModeSeconds: z.number().int(),
    retentionDays: z.number().int().nullable(),
  }),
);

/** Room moderation (SPEC "Room moderation"). */
export const muteBody = z.strictObject({
  minutes: z
    .number()
    .int()
    .min(1)
    .max(525_600)
    .nullish()
    .describe('How long, in minutes (at most a year); none or null: until unmuted'),
});
export const banBody = z.strictObject({
  userId: z.string().min(1).max(100),
  reason: z.string().trim().max(500).refine(isPrintableText, 'must be printable text').nullish(),
});
export const banParams = z.object({
  id: z.string().trim().min(1).max(100),
  userId: z.string().max(100),
});
export const bansQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  before: z.string().max(300).optional(),
});

export const Ban = named(
  'Ban',
  z.strictObject({
    room: z.string(),
    user: Sender,
    reason: z.string().nullable(),
    bannedBy: z.strictObject({ id: z.string(), username: z.string() }).nullable(),
    createdAt: z.iso.datetime(),
  }),
  'A user banned from a room: removed, and refused on join and add until unbanned',
);
export const Unbanned = named(
  'Unbanned',
  z.strictObject({ room: z.string(), userId: z.string(), unbanned: z.literal(true) }),
);
