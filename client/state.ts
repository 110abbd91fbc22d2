import type { Room, User } from './types';

/** What the whole client shares: who I am, my rooms, the open room, who is online. */
export const state = {
  me: null as User | null,
  rooms: new Map<string, Room>(),
  current: null as string | null,
  online: new Set<string>(),
};

export function currentRoom(): Room | undefined {
  return state.current ? state.rooms.get(state.current) : undefined;
}

/** Presence dot for a user; every dot of that user is updated when presence changes. */
export function presenceDot(userId: string | undefined): HTMLElement {
  const dot = document.createElement('span');
  dot.className = userId && state.online.has(userId) ? 'dot online' : 'dot';
  if (userId) dot.dataset.user = userId;
  dot.title = dot.classList.contains('online') ? 'online' : 'offline';
  return dot;
}

export function setOnline(userId: string, online: boolean): void {
  if (online) state.online.add(userId);
  else state.online.delete(userId);
  for (const dot of document.querySelectorAll<HTMLElement>(
    `.dot[data-user="${CSS.escape(userId)}"]`,
  )) {
    dot.classList.toggle('online', online);
    dot.title = online ? 'online' : 'offline';
  }
}
