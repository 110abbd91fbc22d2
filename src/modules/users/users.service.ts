import type { Actor, AppContext } from '../../context.js';
import { notFound, unauthorized } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../http/cursor.js';
import type { PageInfo } from '../../http/respond.js';
import type { UserStatus } from '../../db/schema/index.js';
import { isId } from '../../db/ids.js';
import * as usersRepo from './users.repo.js';
import { toOwnUser, toPublicUser, type OwnUser, type PublicUser } from './users.presenter.js';

export type UsersService = ReturnType<typeof createUsersService>;

export function createUsersService(
  ctx: AppContext,
  hooks: {
    onStatusChanged?: (
      user: { id: string; username: string },
      previous: UserStatus,
      status: UserStatus,
    ) => Promise<void>;
  } = {},
) {
  const { db } = ctx;

  return {
    /** My own profile, with email. */
    async getOwnProfile(actor: Actor): Promise<OwnUser> {
      const user = await usersRepo.findUserById(db, actor.userId);
      if (!user) throw unauthorized('Session expired or revoked');
      return toOwnUser(user);
    },

    /** Anyone's public profile. */
    async getProfile(id: string): Promise<PublicUser> {
      const user = isId(id) ? await usersRepo.findUserById(db, id) : undefined;
      if (!user) throw notFound('User');
      return toPublicUser(user);
    },

    async updateProfile(
      actor: Actor,
      patch: { displayName?: string | null; bio?: string | null },
    ): Promise<OwnUser> {
      const user = await usersRepo.updateUserProfile(db, actor.userId, patch);
      if (!user) throw unauthorized('Session expired or revoked');
      return toOwnUser(user);
    },

    /** Stores the chosen status; connected users learn of it through `user-status-update`. */
    async setStatus(actor: Actor, status: UserStatus): Promise<OwnUser> {
      const before = await usersRepo.findUserById(db, actor.userId);
      const user = await usersRepo.updateUserStatus(db, actor.userId, status);
      if (!before || !user) throw unauthorized('Session expired or revoked');
      await hooks.onStatusChanged?.(user, before.status, status);
      return toOwnUser(user);
    },

    /** Prefix search over username and display name, never including the caller. */
    async search(
      actor: Actor,
      params: { q: string; limit: number; cursor?: string },
    ): Promise<{ users: PublicUser[]; page: PageInfo }> {
      const afterUsername = params.cursor ? decodeCursor('u', params.cursor) : undefined;
      const rows = await usersRepo.searchUsers(db, {
        q: params.q,
        excludeId: actor.userId,
        afterUsername,
        limit: params.limit + 1,
      });
      const hasMore = rows.length > params.limit;
      const page = rows.slice(0, params.limit);
      const last = page.at(-1);
      return {
        users: page.map(toPublicUser),
        page: {
          nextCursor: hasMore && last ? encodeCursor('u', last.username.toLowerCase()) : null,
          limit: params.limit,
        },
      };
    },
  };
}
