import type { Actor, AppContext } from '../../context.js';
import type { UserStatus } from '../../db/schema/index.js';
import { listRoomIdsOfUser, listRoomMateIds } from '../rooms/rooms.port.js';
import type { PresenceStore } from './presence-store.js';
import { userOffline, userOnline, userStatusUpdate } from './users.events.js';
import * as usersRepo from './users.repo.js';
import { toPublicUser, type PublicUser } from './users.presenter.js';

export interface OnlineUser {
  userId: string;
  username: string;
  status: UserStatus;
}

/** Up to this many online users, ask the database about exactly them. */
const DIRECT_LOOKUP_MAX = 500;
/** `online-users` and GET /users/online list at most this many users. */
export const ONLINE_USERS_MAX = 1000;

export type PresenceService = ReturnType<typeof createPresenceService>;

/**
 * Presence: being connected (any socket, any node), as opposed to `status`, which the user chooses.
 * A user who chose `offline` is shown offline to others while connected.
 */
export function createPresenceService(
  ctx: AppContext,
  deps: { store: PresenceStore; graceMs: number },
) {
  const { db, log, broadcaster } = ctx;
  const { store, graceMs } = deps;
  const emitToRooms = broadcaster.toRooms.bind(broadcaster);
  const pendingOffline = new Map<string, NodeJS.Timeout>();
  let stopped = false;

  async function announce(
    userId: string,
    event: typeof userOnline | typeof userOffline,
    username?: string,
  ): Promise<void> {
    const user = username ? { username } : await usersRepo.findUserById(db, userId);
    if (!user) return;
    const roomIds = await listRoomIdsOfUser(db, userId);
    emitToRooms(roomIds, event, { userId, username: user.username });
  }

  async function settle(userId: string, username: string): Promise<void> {
    pendingOffline.delete(userId);
    if (await store.settleOffline(userId)) {
      const user = await usersRepo.findUserById(db, userId);
      // Someone who chose `offline` was never shown online, so there is nothing to take back.
      if (user && user.status !== 'offline') await announce(userId, userOffline, username);
    }
  }

  /**
   * Users online now who share a room with the caller, the caller excluded, `offline` choosers hidden,
   * by username, at most ONLINE_USERS_MAX; one query for the users whichever way the ids are found.
   */
  async function onlineRowsFor<T>(
    actor: Actor,
    fetch: (ids: string[], sharingRoomWith?: string) => Promise<T[]>,
  ): Promise<T[]> {
    const online = new Set(await store.onlineUserIds());
    online.delete(actor.userId);
    if (online.size === 0) return [];
    if (online.size <= DIRECT_LOOKUP_MAX) return fetch([...online], actor.userId);
    // Many online: list my room-mates from the index and intersect here, rather than send
    // thousands of ids to the database on every connect.
    const ids = (await listRoomMateIds(db, actor.userId)).filter((id) => online.has(id));
    return fetch(ids);
  }

  return {
    store,

    /** A socket connected: announces the user if this is their first connection anywhere. */
    async socketConnected(actor: Actor, socketId: string): Promise<void> {
      const cameOnline = await store.addSocket(actor.userId, socketId);
      if (!cameOnline) return;
      const user = await usersRepo.findUserById(db, actor.userId);
      if (user && user.status !== 'offline')
        await announce(actor.userId, userOnline, user.username);
    },

    /** A socket closed: the user goes offline after a grace period if no other socket remains. */
    async socketDisconnected(actor: Actor, socketId: string): Promise<void> {
      await store.removeSocket(actor.userId, socketId);
      // Shutting down: another node's sweep announces the user if they do not reconnect there.
      if (stopped) return;
      clearTimeout(pendingOffline.get(actor.userId));
      const timer = setTimeout(() => {
        settle(actor.userId, actor.username).catch((err: unknown) =>
          log.warn({ err, userId: actor.userId }, 'presence settle failed'),
        );
      }, graceMs);
      timer.unref();
      pendingOffline.set(actor.userId, timer);
    },

    /** Announces users whose node died (their sockets' expiry passed without a heartbeat). */
    async sweep(): Promise<void> {
      for (const userId of await store.sweepExpired()) {
        const user = await usersRepo.findUserById(db, userId);
        // Someone who chose `offline` was never shown online.
        if (user && user.status !== 'offline') await announce(userId, userOffline, user.username);
      }
    },

    /** `online-users` (socket, on connect): the users of `onlineRowsFor`, as presence entries. */
    async onlineFor(actor: Actor): Promise<OnlineUser[]> {
      const rows = await onlineRowsFor(actor, (ids, sharingRoomWith) =>
        usersRepo.findShownUsers(db, ids, {
          sharingRoomWith,
          columns: 'presence',
          limit: ONLINE_USERS_MAX,
        }),
      );
      return rows.map((u) => ({ userId: u.id, username: u.username, status: u.status }));
    },

    /** GET /users/online: the users of `onlineRowsFor`, in the public user shape of every user list. */
    async onlineUsersFor(actor: Actor): Promise<PublicUser[]> {
      const rows = await onlineRowsFor(actor, (ids, sharingRoomWith) =>
        usersRepo.findShownUsers(db, ids, {
          sharingRoomWith,
          columns: 'public',
          limit: ONLINE_USERS_MAX,
        }),
      );
      return rows.map(toPublicUser);
    },

    /** Tells everyone sharing a room with the user about a status they chose. */
    async statusChanged(
      userId: string,
      username: string,
      previous: UserStatus,
      status: UserStatus,
    ): Promise<void> {
      const roomIds = await listRoomIdsOfUser(db, userId);
      emitToRooms(roomIds, userStatusUpdate, { userId, status });
      if (previous === status || !(await store.isOnline(userId))) return;
      if (status === 'offline') emitToRooms(roomIds, userOffline, { userId, username });
      else if (previous === 'offline') emitToRooms(roomIds, userOnline, { userId, username });
    },

    stop(): void {
      stopped = true;
      for (const timer of pendingOffline.values()) clearTimeout(timer);
      pendingOffline.clear();
    },
  };
}
