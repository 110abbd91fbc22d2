import { z } from 'zod';
import { named, OwnUser } from '../../openapi/schemas.js';

export const adminUsersQuery = z.object({
  q: z.string().trim().max(100).optional(),
  status: z.enum(['active', 'deactivated']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  before: z.string().max(300).optional(),
});

export const adminUserParams = z.object({ id: z.string().max(100) });

export const deactivateBody = z.strictObject({ reason: z.string().trim().max(500).optional() });

export const AdminUser = named(
  'AdminUser',
  OwnUser.extend({
    lastSeenAt: z.iso.datetime().nullable(),
    deactivatedAt: z.iso.datetime().nullable(),
    deactivationReason: z.string().nullable(),
  }),
  'A user as admins see them: the own profile plus activity and deactivation',
);
