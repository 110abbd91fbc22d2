import { z } from 'zod';
import { REPORT_ACTIONS, ROOM_TYPES } from '../../db/schema/index.js';
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
    email: z.string().nullable().describe('Null once the account was erased'),
    lastSeenAt: z.iso.datetime().nullable(),
    deactivatedAt: z.iso.datetime().nullable(),
    deactivationReason: z.string().nullable(),
  }),
  'A user as admins see them: the own profile plus activity and deactivation',
);

export const auditQuery = z.object({
  before: z.string().max(100).optional(),
  actor: z.string().max(100).optional(),
  action: z.string().trim().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const adminMessageParams = z.object({ id: z.string().max(100) });

export const AuditEntry = named(
  'AuditEntry',
  z.strictObject({
    id: z.number().int(),
    at: z.iso.datetime(),
    actor: z
      .strictObject({ id: z.string(), username: z.string().nullable() })
      .nullable()
      .describe('null: the server shell (`npm run admin`) or a job'),
    action: z.string(),
    target: z.strictObject({ type: z.string(), id: z.string() }),
    details: z.record(z.string(), z.unknown()),
  }),
  'One moderation or administration action',
);

export const reportBody = z.strictObject({ reason: z.string().trim().min(1).max(1000) });
export const reportsQuery = z.object({
  status: z.enum(['open', 'resolved']).optional(),
  before: z.string().max(300).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export const reportParams = z.object({ id: z.string().max(100) });
export const resolveBody = z.strictObject({
  action: z.enum(REPORT_ACTIONS),
  note: z.string().trim().max(1000).optional(),
});

const userRef = z.strictObject({ id: z.string(), username: z.string().nullable() });
export const ReportCreated = named(
  'ReportCreated',
  z.strictObject({
    id: z.string(),
    messageId: z.string(),
    reason: z.string(),
    createdAt: z.iso.datetime(),
  }),
);
export const Report = named(
  'Report',
  z.strictObject({
    id: z.string(),
    status: z.enum(['open', 'resolved']),
    reason: z.string(),
    createdAt: z.iso.datetime(),
    reporter: userRef.nullable(),
    message: z.strictObject({
      id: z.string(),
      seq: z.number().int(),
      content: z.string().describe('Empty once deleted'),
      deleted: z.boolean(),
      sender: userRef.nullable(),
    }),
    room: z.strictObject({ id: z.string(), name: z.string() }),
    reports: z.number().int().describe('Reports of this message, all reporters'),
    resolution: z
      .strictObject({
        action: z.enum(REPORT_ACTIONS),
        note: z.string().nullable(),
        at: z.iso.datetime(),
        by: z.string().nullable(),
      })
      .nullable(),
  }),
  'A report of a message, as admins see it',
);

export const adminRoomsQuery = z.object({
  q: z.string().trim().max(80).optional(),
  before: z.string().max(300).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export const adminRoomParams = z.object({ id: z.string().max(100) });
export const AdminRoom = named(
  'AdminRoom',
  z.strictObject({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    type: z.enum(ROOM_TYPES),
    description: z.string().nullable(),
    createdAt: z.iso.datetime(),
    memberCount: z.number().int(),
    lastSeq: z.number().int(),
    lastMessageAt: z.iso.datetime().nullable(),
  }),
  'A room as admins list it: metadata only, never message content',
);
export const AdminRoomDeleted = named('AdminRoomDeleted', z.strictObject({ id: z.string() }));

// Days as `YYYY-MM-DD` from 1970 on (PostgreSQL and JavaScript agree on every such day).
const statsDay = z.iso
  .date()
  .refine((d) => d >= '1970-01-01', 'must be a day from 1970-01-01 on')
  .describe('A UTC day, YYYY-MM-DD');
export const statsQuery = z.object({
  from: statsDay.optional().describe('First day (default: 29 days before `to`)'),
  to: statsDay.optional().describe('Last day, included (default: today, UTC)'),
});
const count = z.number().int().min(0);
export const ActivityDay = named(
  'ActivityDay',
  z.strictObject({
    day: z.iso.date(),
    messages: count.describe('Text and file messages sent that day, deleted ones included'),
    activeSenders: count.describe('Distinct senders of those messages'),
    newUsers: count.describe('Accounts created that day'),
    uploads: count.describe('Files uploaded that day (still kept)'),
    uploadBytes: count.describe('Their sizes, in bytes'),
  }),
  'One UTC day of activity',
);
export const ActivityStats = named(
  'ActivityStats',
  z.strictObject({
    from: z.iso.date(),
    to: z.iso.date(),
    days: z.array(ActivityDay).describe('Every day of the range, oldest first, zeros included'),
    totals: z.strictObject({
      users: count,
      rooms: count,
      messages: count.describe('Live (not deleted) text and file messages'),
      storageBytes: count.describe('Sizes of the files kept'),
    }),
    busiestRooms: z
      .array(
        z.strictObject({
          room: z.strictObject({
            id: z.string(),
            slug: z.string(),
            name: z.string(),
            type: z.enum(ROOM_TYPES),
          }),
          messages: count,
        }),
      )
      .describe('At most ten rooms with the most messages in the range, most first'),
  }),
  'Activity of a range of UTC days, and what the instance holds now',
);
