/**
 * Who is connected, across every node. A user is online while at least one socket is registered;
 * going offline is settled after a grace period, by whoever removes the user from the online set first,
 * so exactly one node announces it.
 */
export interface PresenceStore {
  /** Registers a socket; true when the user was not online before (announce `user-online`). */
  addSocket(userId: string, socketId: string): Promise<boolean>;
  removeSocket(userId: string, socketId: string): Promise<void>;
  /** After the grace period: true when the user has no socket left and this caller must announce it. */
  settleOffline(userId: string): Promise<boolean>;
  /** Users with at least one live socket. */
  onlineUserIds(): Promise<string[]>;
  isOnline(userId: string): Promise<boolean>;
  /** Keeps this node's sockets alive (Redis: refreshes their expiry). */
  heartbeat(sockets: { userId: string; socketId: string }[]): Promise<void>;
  /** Users whose every socket expired (their node died); each is returned to one caller only. */
  sweepExpired(): Promise<string[]>;
}

/** Single-process presence. */
export function createMemoryPresence(): PresenceStore {
  const sockets = new Map<string, Set<string>>();
  const online = new Set<string>();
  return {
    async addSocket(userId, socketId) {
      let set = sockets.get(userId);
      if (!set) sockets.set(userId, (set = new Set()));
      set.add(socketId);
      if (online.has(userId)) return false;
      online.add(userId);
      return true;
    },
    async removeSocket(userId, socketId) {
      const set = sockets.get(userId);
      set?.delete(socketId);
      if (set?.size === 0) sockets.delete(userId);
    },
    async settleOffline(userId) {
      if (sockets.has(userId)) return false;
      return online.delete(userId);
    },
    async onlineUserIds() {
      // The announced set: a user stays listed through the grace period, as with Redis.
      return [...online];
    },
    async isOnline(userId) {
      return sockets.has(userId);
    },
    async heartbeat() {},
    async sweepExpired() {
      return [];
    },
  };
}
