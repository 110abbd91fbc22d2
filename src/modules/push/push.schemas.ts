import { z } from 'zod';
import { named } from '../../openapi/schemas.js';

const base64url = (bytes: number, what: string) =>
  z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, 'must be base64url')
    .refine((v) => Buffer.from(v, 'base64url').length === bytes, `must be ${what}`);

export const subscribeBody = z.strictObject({
  endpoint: z.string().trim().min(1).max(2048),
  keys: z.strictObject({
    p256dh: base64url(65, 'a P-256 public key (65 bytes, uncompressed)').refine(
      (v) => Buffer.from(v, 'base64url')[0] === 4,
      'must be an uncompressed P-256 point',
    ),
    auth: base64url(16, 'the 16-byte auth secret'),
  }),
});

export const unsubscribeBody = z.strictObject({
  endpoint: z.string().trim().min(1).max(2048),
});

export const VapidPublicKey = named(
  'VapidPublicKey',
  z.strictObject({
    publicKey: z
      .string()
      .describe('The applicationServerKey for pushManager.subscribe (base64url)'),
  }),
);
export const PushSubscription = named(
  'PushSubscription',
  z.strictObject({ id: z.string(), endpoint: z.string(), createdAt: z.iso.datetime() }),
);
export const PushUnsubscribed = named('PushUnsubscribed', z.strictObject({ endpoint: z.string() }));
