import type { Actor, AppContext } from '../../context.js';
import { notFound, unauthorized, validationError } from '../../errors.js';
import {
  decodeCursor,
  decodeJsonCursor,
  encodeCursor,
  isTimeIdPair,
  timeIdPage,
} from '../../http/cursor.js';
import type { PageInfo } from '../../http/respond.js';
import type { UserStatus } from '../../db/schema/index.js';
import { isId } from '../../db/ids.js';
import * as blocksRepo from './blocks.repo.js';
import * as usersRepo from './users.repo.js';
import { toOwnUser, toPublicUser, type OwnUser, type PublicUser } from './users.presenter.js';

/** Whether I block a user, and since when (SPEC "Blocking"). */
export interface BlockState {
  userId: string;
  blocked: boolean;
  blockedAt: string | null;
}

/** An entry of my block list. */
export interface BlockedUser {
  user: PublicUser;
  blockedAt: string;
}

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

    /**
     * Blocks a user (SPEC "Blocking"): no push of their messages for me, no direct room between us
     * either way. Blocking again changes nothing; blocking myself is refused.
     */
    async block(actor: Actor, id: string): Promise<BlockState> {
      if (id === actor.userId)
        throw validationError('You cannot block yourself', [
          { path: 'id', message: 'must not be yourself' },
        ]);
      const user = isId(id) ? await usersRepo.findUserById(db, id) : undefined;
      if (!user) throw notFound('User');
      await blocksRepo.insertBlock(db, actor.userId, user.id);
      const [entry] = await blocksRepo.listBlocked(db, actor.userId, { only: user.id, limit: 1 });
      return { userId: user.id, blocked: true, blockedAt: entry!.blockedAt.toISOString() };
    },

    /** Lifts my block of a user; lifting one that was not there is not an error. */
    async unblock(actor: Actor, id: string): Promise<BlockState> {
      const user = isId(id) ? await usersRepo.findUserById(db, id) : undefined;
      if (!user) throw notFound('User');
      await blocksRepo.deleteBlock(db, actor.userId, user.id);
      return { userId: user.id, blocked: false, blockedAt: null };
    },

    /** The users I blocked, most recent first, paginated by `before`. */
    async listBlocked(
      actor: Actor,
      params: { limit: number; before?: string },
    ): Promise<{ items: BlockedUser[]; page: PageInfo }> {
      const before = params.before ? decodeJsonCursor('b', params.before, isTimeIdPair) : undefined;
      const rows = await blocksRepo.listBlocked(db, actor.userId, {
        before: before ? { at: new Date(before[0]), id: before[1] } : undefined,
        limit: params.limit + 1,
      });
      const { page, nextCursor } = timeIdPage(rows, params.limit, 'b', (r) => [
        r.blockedAt,
        r.user.id,
      ]);
      return {
        items: page.map((r) => ({
          user: toPublicUser(r.user),
          blockedAt: r.blockedAt.toISOString(),
        })),
        page: { nextCursor, limit: params.limit },
      };
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
