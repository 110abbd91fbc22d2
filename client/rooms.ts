import { api, errorText, get, post, qs } from './api';
import { $, displayName, h, toast } from './dom';
import { presenceDot, state } from './state';
import type { Room, User } from './types';

/** The sidebar: my rooms with unread badges, creating and joining rooms, starting direct messages. */

let openRoom: (id: string) => void = () => undefined;

export async function loadRooms(): Promise<void> {
  const { data } = await api<Room[]>('GET', `/rooms?${qs({ limit: 100 })}`);
  state.rooms = new Map(data.map((r) => [r.id, r]));
  renderRooms();
}

/** Fetches one room again (joined, updated, members changed); drops it when I can no longer see it. */
export async function refreshRoom(id: string): Promise<Room | undefined> {
  try {
    const room = await get<Room>(`/rooms/${encodeURIComponent(id)}`);
    // GET /rooms/:id answers for public rooms I am not in, too: keep only rooms I am a member of.
    if (room.myRole) state.rooms.set(room.id, room);
    else state.rooms.delete(room.id);
    return room;
  } catch {
    state.rooms.delete(id);
    return undefined;
  } finally {
    renderRooms();
  }
}

function activity(r: Room): string {
  return r.lastMessage?.createdAt ?? r.createdAt;
}

export function renderRooms(): void {
  const rooms = [...state.rooms.values()].sort((a, b) => activity(b).localeCompare(activity(a)));
  const item = (r: Room) =>
    h(
      'li',
      {
        class: r.id === state.current ? 'room active' : 'room',
        'data-room': r.id,
        'data-slug': r.slug,
        onclick: () => openRoom(r.id),
      },
      r.type === 'direct' ? presenceDot(r.peer?.id) : h('span', { class: 'hash', text: '#' }),
      h('span', { class: 'name', text: r.name }),
      r.type === 'private' && h('span', { class: 'lock', text: '🔒', title: 'private' }),
      r.mentionCount > 0 &&
        h('span', {
          class: 'badge mention',
          title: 'mentions of me',
          text: `@${r.mentionCount > 99 ? '99+' : r.mentionCount}`,
        }),
      r.unreadCount > 0 &&
        h('span', { class: 'badge', text: r.unreadCount > 99 ? '99+' : String(r.unreadCount) }),
    );
  $('#rooms').replaceChildren(...rooms.filter((r) => r.type !== 'direct').map(item));
  $('#directs').replaceChildren(...rooms.filter((r) => r.type === 'direct').map(item));
}

async function join(room: Room): Promise<void> {
  try {
    state.rooms.set(room.id, await post<Room>(`/rooms/${room.id}/join`));
    $('#public-rooms').replaceChildren();
    openRoom(room.id);
  } catch (err) {
    toast(errorText(err), 'error');
  }
}

async function browsePublic(q: string): Promise<void> {
  const rooms = await get<Room[]>(`/rooms/public?${qs({ q: q || undefined, limit: 20 })}`);
  const list = rooms.map((r) =>
    h(
      'li',
      { class: 'pick' },
      h('span', { class: 'name', text: `# ${r.name}` }),
      h('small', { text: `${r.memberCount} members` }),
      state.rooms.has(r.id)
        ? h('button', { type: 'button', text: 'Open', onclick: () => openRoom(r.id) })
        : h('button', { type: 'button', text: 'Join', onclick: () => void join(r) }),
    ),
  );
  $('#public-rooms').replaceChildren(
    ...(list.length ? list : [h('li', { class: 'muted', text: 'No public rooms found' })]),
  );
}

async function findPeople(q: string): Promise<void> {
  const users = await get<User[]>(`/users/search?${qs({ q, limit: 10 })}`);
  const list = users.map((u) =>
    h(
      'li',
      { class: 'pick', onclick: () => void openDirect(u) },
      presenceDot(u.id),
      h('span', { class: 'name', text: displayName(u) }),
      h('small', { text: `@${u.username}` }),
    ),
  );
  $('#people').replaceChildren(
    ...(list.length ? list : [h('li', { class: 'muted', text: 'Nobody found' })]),
  );
}

async function openDirect(user: User): Promise<void> {
  try {
    const room = await post<Room>('/rooms/direct', { userId: user.id });
    state.rooms.set(room.id, room);
    $('#people').replaceChildren();
    $<HTMLInputElement>('#people-q').value = '';
    openRoom(room.id);
  } catch (err) {
    toast(errorText(err), 'error');
  }
}

export function wireSidebar(open: (id: string) => void): void {
  openRoom = open;
  $('#new-room').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const name = (form.elements.namedItem('name') as HTMLInputElement).value;
    const isPrivate = (form.elements.namedItem('private') as HTMLInputElement).checked;
    try {
      const room = await post<Room>('/rooms', { name, type: isPrivate ? 'private' : 'public' });
      state.rooms.set(room.id, room);
      form.reset();
      openRoom(room.id);
    } catch (err) {
      toast(errorText(err), 'error');
    }
  });
  $('#browse').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = $<HTMLInputElement>('#browse-q').value.trim();
    browsePublic(q).catch((err: unknown) => toast(errorText(err), 'error'));
  });
  let timer = 0;
  $('#people-q').addEventListener('input', (e) => {
    const q = (e.currentTarget as HTMLInputElement).value.trim();
    clearTimeout(timer);
    if (!q) return $('#people').replaceChildren();
    timer = window.setTimeout(() => {
      findPeople(q).catch((err: unknown) => toast(errorText(err), 'error'));
    }, 250);
  });
}
