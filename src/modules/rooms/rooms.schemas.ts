import { z } from 'zod';
import { ROOM_ROLES } from '../../db/schema/index.js';
import { isPrintableLine, isPrintableText } from '../../http/text.js';

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
  .strictObject({ name: roomName.optional(), description: description.nullish() })
  .refine((b) => b.name !== undefined || b.description !== undefined, {
    message: 'nothing to update: give name or description',
  });

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
