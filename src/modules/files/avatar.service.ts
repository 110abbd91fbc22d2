import { randomUUID } from 'node:crypto';
import type { Actor, AppContext } from '../../context.js';
import { AppError, unauthorized } from '../../errors.js';
import { toOwnUser, updateUserAvatar, type OwnUser } from '../users/users.port.js';
import { detectType, IMAGE_MIMES } from './file-types.js';
import { processAvatar } from './images.js';
import type { StoredObjectRef } from './files.service.js';
import type { StorageDriver } from './storage/storage.js';

export const MAX_AVATAR_BYTES = 2 * 1024 * 1024;

export type AvatarService = ReturnType<typeof createAvatarService>;

/** Avatars: images only, cropped to a 256 px square webp, public URL; the previous one is deleted. */
export function createAvatarService(
  ctx: AppContext,
  deps: { storage: StorageDriver; purge: (objects: StoredObjectRef[]) => Promise<void> },
) {
  const { db } = ctx;
  const { storage, purge } = deps;
  return {
    /** Removes a user's avatar, the stored image too (erasure); nothing to do when there is none. */
    async removeAvatar(userId: string): Promise<void> {
      const updated = await updateUserAvatar(db, userId, { avatarUrl: null, avatarKey: null });
      if (updated?.previousKey)
        await purge([
          { key: updated.previousKey, contentType: 'image/webp', visibility: 'public' },
        ]);
    },

    async setAvatar(actor: Actor, buffer: Buffer): Promise<OwnUser> {
      const type = await detectType(buffer);
      if (!IMAGE_MIMES.includes(type.mime))
        throw new AppError(
          'UNSUPPORTED_MEDIA_TYPE',
          'An avatar must be a JPEG, PNG, GIF or WebP image',
        );
      const body = await processAvatar(buffer);
      const key = `avatars/${actor.userId}/${randomUUID()}.webp`;
      await storage.put({ key, body, contentType: 'image/webp', visibility: 'public' });
      const avatarUrl = await storage.url(key, {
        visibility: 'public',
        expiresInSec: 0,
        contentType: 'image/webp',
      });
      const updated = await updateUserAvatar(db, actor.userId, { avatarUrl, avatarKey: key }).catch(
        async (err: unknown) => {
          await purge([{ key, contentType: 'image/webp', visibility: 'public' }]);
          throw err;
        },
      );
      if (!updated) {
        await purge([{ key, contentType: 'image/webp', visibility: 'public' }]);
        throw unauthorized('Session expired or revoked');
      }
      if (updated.previousKey) {
        await purge([
          { key: updated.previousKey, contentType: 'image/webp', visibility: 'public' },
        ]);
      }
      return toOwnUser(updated.user);
    },
  };
}
