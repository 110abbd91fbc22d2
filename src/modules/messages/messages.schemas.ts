import { z } from 'zod';
import { isPrintableText } from '../../http/text.js';
import { ErrorCodeSchema, MessageOrTombstone, named } from '../../openapi/schemas.js';

export const MAX_CONTENT_LENGTH = 4000;

/** Message text: 1–4000 characters after trimming, printable. */
export const contentSchema = z
  .string()
  .transform((s) => s.replace(/\r\n?/g, '\n').trim())
  .pipe(
    z
      .string()
      .min(1, 'must not be empty')
      .max(MAX_CONTENT_LENGTH, `must be at most ${MAX_CONTENT_LENGTH} characters`)
      .refine(isPrintableText, 'must not contain control characters'),
  );

export const roomRefSchema = z.string().trim().min(1, 'room is required').max(100);
export const idSchema = z.string().max(100);

/** A client-made idempotency key, e.g. a UUID. */
export const clientIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._:-]+$/, 'may contain only letters, digits and . _ : -');

export const sendMessageBody = z.strictObject({
  room: roomRefSchema,
  content: contentSchema,
  replyTo: idSchema.nullish(),
  clientId: clientIdSchema.optional(),
});
export type SendMessageInput = z.infer<typeof sendMessageBody>;

export const editMessageBody = z.strictObject({ content: contentSchema });

const RGI_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v');
const SHORTCODE = /^:[a-z0-9_+-]{1,50}:$/;

/** One emoji (with skin tones, flags and ZWJ sequences) or a `:shortcode:`. */
export const emojiSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((e) => RGI_EMOJI.test(e) || SHORTCODE.test(e), 'must be a single emoji or a :shortcode:');

export const reactBody = z.strictObject({ emoji: emojiSchema });

/** A cursor parameter; an empty one (`?before=`) means none. */
const optionalCursor = z
  .string()
  .max(300)
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const limitSchema = z.coerce.number().int().min(1).max(100).default(50);

const revSchema = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const listMessagesQuery = z
  .object({
    room: roomRefSchema,
    limit: limitSchema,
    before: optionalCursor,
    after: optionalCursor,
    rev: revSchema.optional(),
  })
  .refine((q) => [q.before, q.after, q.rev].filter((v) => v !== undefined).length <= 1, {
    message: 'use one of before, after and rev',
    path: ['after'],
  });

export const searchQuery = z.object({
  q: z.string().trim().min(1, 'q is required').max(200),
  room: roomRefSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  before: optionalCursor,
  cursor: optionalCursor,
});

export const messageIdParams = z.object({ id: idSchema });

export const messageReadPayload = z.strictObject({ messageId: idSchema });

/** SPEC.md: at most 100 rooms, each named once; `after` (a seq) or `rev` (a room revision) each. */
export const MAX_SYNC_ROOMS = 100;

export const syncPayload = z.strictObject({
  rooms: z
    .array(
      z.union([
        z.strictObject({ room: roomRefSchema, after: revSchema }),
        z.strictObject({ room: roomRefSchema, rev: revSchema }),
      ]),
    )
    .min(1)
    .max(MAX_SYNC_ROOMS)
    .superRefine((rooms, ctx) => {
      const seen = new Set<string>();
      rooms.forEach((r, i) => {
        const key = r.room.toLowerCase();
        if (seen.has(key))
          ctx.addIssue({ code: 'custom', path: [i, 'room'], message: 'names a room twice' });
        seen.add(key);
      });
    }),
});

/** The acknowledgement of `sync`: per room, what was missed, or why the room cannot be read. */
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

export const mentionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  before: z.string().max(300).optional(),
});
