import { z } from 'zod';
import { named } from '../../openapi/schemas.js';

export const usernameSchema = z
  .string()
  .trim()
  .min(3, 'must be at least 3 characters')
  .max(30, 'must be at most 30 characters')
  .regex(/^[A-Za-z0-9_.-]+$/, 'may contain only letters, digits, _ . -');

export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email('must be a valid email address'));

export const passwordSchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(128, 'must be at most 128 characters');

export const registerBody = z.strictObject({
  username: usernameSchema,
  email: emailSchema,
  password: passwordSchema,
});

/** Login by email or by username; `login` takes either. */
export const loginBody = z
  .strictObject({
    email: z.string().trim().min(1).max(254).optional(),
    username: z.string().trim().min(1).max(254).optional(),
    login: z.string().trim().min(1).max(254).optional(),
    password: z.string().min(1).max(128),
  })
  .refine((b) => b.email ?? b.username ?? b.login, {
    message: 'email or username is required',
    path: ['email'],
  })
  .transform((b) => ({
    identifier: (b.email ?? b.username ?? b.login) as string,
    password: b.password,
  }));

export const refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(512) });

export const logoutBody = z
  .strictObject({ refreshToken: z.string().min(1).max(512).optional() })
  .default({});

export const changePasswordBody = z.strictObject({
  currentPassword: z.string().min(1).max(128),
  newPassword: passwordSchema,
});

export type RegisterInput = z.infer<typeof registerBody>;
export type LoginInput = z.infer<typeof loginBody>;

/** The acknowledgement of `reauth`. */
export const ReauthResult = named(
  'ReauthResult',
  z.strictObject({
    expiresAt: z.iso
      .datetime()
      .describe('ISO 8601, UTC: when the socket ends now, unless another reauth moves it'),
  }),
);
