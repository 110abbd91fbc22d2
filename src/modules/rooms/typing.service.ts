import type { Actor, AppContext } from '../../context.js';
import { assertNotMuted } from './moderation.repo.js';
import { requireMember } from './rooms.access.js';
import { userTyping } from './rooms.events.js';
import type { TypingStore } from './typing-store.js';

export type TypingService = ReturnType<typeof createTypingService>;

/**
 * Typing indicators. A `typing-start` holds for timeoutMs; without a new one, this node announces the
 * stop itself, so a client that vanishes mid-sentence does not type forever.
 */
export function createTypingService(
  ctx: AppContext,
  deps: { store: TypingStore; timeoutMs: number },
) {
  const { db, broadcaster, log } = ctx;
  const { store, timeoutMs } = deps;
  const timers = new Map<
    string,
    { timer: NodeJS.Timeout; actor: Actor; roomId: string; socketId: string }
  >();
  const key = (roomId: string, userId: string) => `${roomId}:${userId}`;

  function emit(actor: Actor, roomId: string, isTyping: boolean): void {
    broadcaster.toRoomExceptUser(roomId, actor.userId, userTyping, {
      room: roomId,
      userId: actor.userId,
      username: actor.username,
      isTyping,
    });
  }

  async function stopIn(actor: Actor, roomId: string): Promise<void> {
    const k = key(roomId, actor.userId);
    clearTimeout(timers.get(k)?.timer);
    timers.delete(k);
    if (await store.stop(roomId, actor.userId)) emit(actor, roomId, false);
  }

  /** A room the user may type in, as the database says now (never the socket's subscriptions). */
  async function roomIdFor(actor: Actor, roomRef: string): Promise<string> {
    return (await requireMember(db, roomRef, actor.userId)).room.id;
  }

  return {
    async start(actor: Actor, roomRef: string, socketId: string): Promise<{ room: string }> {
      const { room, member } = await requireMember(db, roomRef, actor.userId);
      // A muted member's typing would announce what they cannot send.
      assertNotMuted(member);
      const roomId = room.id;
      const k = key(roomId, actor.userId);
      clearTimeout(timers.get(k)?.timer);
      const timer = setTimeout(() => {
        stopIn(actor, roomId).catch((err: unknown) => log.warn({ err }, 'typing stop failed'));
      }, timeoutMs);
      timer.unref();
      timers.set(k, { timer, actor, roomId, socketId });
      // Announce only the first start; repeats just extend the deadline.
      if (await store.start(roomId, actor.userId, timeoutMs + 1000)) emit(actor, roomId, true);
      return { room: roomId };
    },

    async stop(actor: Actor, roomRef: string): Promise<{ room: string }> {
      const roomId = await roomIdFor(actor, roomRef);
      await stopIn(actor, roomId);
      return { room: roomId };
    },

    /** A socket closed: what was typed from it stops (not what another tab of the user is typing). */
    async stopAll(socketId: string): Promise<void> {
      const mine = [...timers.values()].filter((t) => t.socketId === socketId);
      await Promise.all(mine.map((t) => stopIn(t.actor, t.roomId)));
    },

    close(): void {
      for (const t of timers.values()) clearTimeout(t.timer);
      timers.clear();
    },
  };
}
