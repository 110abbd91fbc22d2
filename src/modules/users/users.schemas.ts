import { z } from 'zod';
import { USER_STATUSES } from '../../db/schema/index.js';

/** Printable text: no control characters but newline and tab. */
const noControlChars = (s: string) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(s);

export const updateProfileBody = z
  .strictObject({
    displayName: z
      .string()
      .trim()
      .max(50)
      .refine((s) => !/[\n\t]/.test(s) && noControlChars(s), 'must be one line of printable text')
      .transform((s) => (s === '' ? null : s))
      .nullable()
      .optional(),
    bio: z
      .string()
      .trim()
      .max(500)
      .refine(noControlChars, 'must be printable text')
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
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
  before: z.string().max(200).optional(),
});

export const userIdParams = z.object({ id: z.string().max(100) });
