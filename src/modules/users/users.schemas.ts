import { z } from 'zod';
import { USER_STATUSES } from '../../db/schema/index.js';
import { isPrintableLine, isPrintableText } from '../../http/text.js';
import { named, PublicUser, UserStatus } from '../../openapi/schemas.js';

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

/** The payloads of the users' socket events (component names as in the AsyncAPI document). */
export const UserPresence = named(
  'UserPresence',
  z.strictObject({ userId: z.string(), username: z.string() }),
);
export const StatusUpdate = named(
  'StatusUpdate',
  z.strictObject({ userId: z.string(), status: UserStatus }),
);
