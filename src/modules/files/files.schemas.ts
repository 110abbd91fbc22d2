import { z } from 'zod';
import { FILE_KINDS } from '../../db/schema/index.js';
import { isPrintableText } from '../../http/text.js';
import { clientIdSchema, MAX_CONTENT_LENGTH, roomRefSchema } from '../messages/messages.schemas.js';

/** The text fields of an upload; the file itself comes through multer. */
export const uploadFields = z.object({
  room: roomRefSchema,
  caption: z
    .string()
    .transform((s) => s.replace(/\r\n?/g, '\n').trim())
    .pipe(
      z
        .string()
        .max(MAX_CONTENT_LENGTH)
        .refine(isPrintableText, 'must not contain control characters'),
    )
    .optional(),
  clientId: clientIdSchema.optional(),
});

export const roomParams = z.object({ room: z.string().trim().min(1).max(100) });
export const messageParams = z.object({ messageId: z.string().max(100) });

export const mediaQuery = z.object({
  type: z.enum(FILE_KINDS).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  before: z.string().max(200).optional(),
  cursor: z.string().max(200).optional(),
});
