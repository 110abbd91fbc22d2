import { api, errorText, get, post, put, qs } from './api';
import { $, displayName, toast } from './dom';
import { MessageList, type MessageActions } from './messages';
import {
  baseline,
  fromHistory,
  hasRev,
  hold,
  release,
  setView,
  syncRooms,
  type Change,
} from './revs';
import { refreshRoom, renderRooms } from './rooms';
import { emitQuietly, isConnected } from './socket';
import { currentRoom, state } from './state';
import type { Member, Message, Room } from './types';

/** The open room: history with infinite scroll, live changes by `rev`, typing and read receipts. */

let list: MessageList;
let loadingOlder = false;
/** The open room once its first page of history is in. */
let loaded: string | null = null;
/** userId → how far that member has read in the open room. */
const reads = new Map<string, { name: string; seq: number }>();
/** userId → someone typing in the open room; cleared by their stop, their message, or a timeout. */
const typers = new Map<string, { name: string; timer: number }>();

export function createChat(actions: Omit<MessageActions, 'imageLoaded'>): MessageList {
  const box = $('#messages');
  list = new MessageList(box, {
    ...actions,
    imageLoaded: () => {
      if (list.nearBottom()) list.scrollToBottom();
    },
  });
  box.addEventListener('scroll', () => {
    if (box.scrollTop < 120) void loadOlder();
  });
  document.addEventListener('visibilitychange', markRead);
  $('#leave').addEventListener('click', () => void leaveCurrent());
  setView(applyChange);
  return list;
}

export async function openRoom(id: string, highlight?: string): Promise<void> {
  if (state.current !== id) {
    // The client holds the open room's messages only: their revisions go with them.
    if (state.current) release(state.current);
    hold(id);
    state.current = id;
    loaded = null;
    localStorage.setItem('chat.room', id);
    list.clear();
    reads.clear();
    for (const t of typers.values()) clearTimeout(t.timer);
    typers.clear();
    renderTyping();
    renderReceipts();
    renderHeader();
    renderRooms();
    document.body.classList.add('in-room');
    const { data, page } = await api<Message[]>('GET', `/messages?${qs({ room: id, limit: 30 })}`);
    if (state.current !== id) return;
    for (const m of fromHistory(id, data)) list.upsert(m);
    list.nextCursor = page?.nextCursor ?? null;
    list.scrollToBottom();
    loaded = id;
    // The room's revision to follow from, and anything newer than the page.
    baseline(id, list.lastSeq).catch(() => undefined);
    // Fill the screen, so that there is something to scroll for more.
    const box = $('#messages');
    while (list.nextCursor && box.scrollHeight <= box.clientHeight && (await loadOlder()));
    markRead();
    void loadMembers(id);
  }
  if (highlight && !list.highlight(highlight)) toast('That message is further back in history');
}

async function loadOlder(): Promise<boolean> {
  const room = state.current;
  if (loadingOlder || !room || !list.nextCursor) return false;
  loadingOlder = true;
  try {
    const { data, page } = await api<Message[]>(
      'GET',
      `/messages?${qs({ room, limit: 30, before: list.nextCursor })}`,
    );
    if (state.current !== room) return false;
    list.prependOlder(fromHistory(room, data));
    list.nextCursor = page?.nextCursor ?? null;
    return true;
  } catch (err) {
    toast(errorText(err), 'error');
    return false;
  } finally {
    loadingOlder = false;
  }
}

async function loadMembers(roomId: string): Promise<void> {
  const members = await get<Member[]>(`/rooms/${roomId}/members?${qs({ limit: 100 })}`);
  if (state.current !== roomId) return;
  for (const m of members)
    if (m.user.id !== state.me?.id)
      reads.set(m.user.id, { name: displayName(m.user), seq: m.lastReadSeq });
  renderReceipts();
}

function renderHeader(): void {
  const room = currentRoom();
  $('#room-title').textContent = room
    ? room.type === 'direct'
      ? room.name
      : `# ${room.name}`
    : '';
  const count = room?.memberCount ?? 0;
  const info =
    room?.type === 'direct' ? 'direct message' : `${count} member${count === 1 ? '' : 's'}`;
  $('#room-info').textContent = room?.description ? `${info} · ${room.description}` : info;
  $('#leave').hidden = !room || room.type === 'direct';
  const level = $('#notify-level') as HTMLSelectElement;
  level.hidden = !room?.notifyLevel;
  if (room?.notifyLevel) level.value = room.notifyLevel;
}

/** The notification-level menu of the open room (SPEC "Preferences"). */
export function wireNotifyLevel(): void {
  const level = $('#notify-level') as HTMLSelectElement;
  level.addEventListener('change', () => {
    const id = state.current;
    if (!id) return;
    put<Room>(`/rooms/${id}/notifications`, { level: level.value })
      .then((room) => {
        state.rooms.set(room.id, room);
        toast(`Notifications: ${level.selectedOptions[0]?.textContent ?? level.value}`);
      })
      .catch((err: unknown) => toast(errorText(err), 'error'));
  });
}

/** Tells the server I have read up to the newest message, when the page is actually visible. */
function markRead(): void {
  const room = currentRoom();
  const last = list.lastMessage;
  if (!room || !last || document.visibilityState !== 'visible') return;
  if (last.seq <= room.lastReadSeq && room.unreadCount === 0) return;
  room.lastReadSeq = Math.max(room.lastReadSeq, last.seq);
  room.unreadCount = 0;
  room.mentionCount = 0;
  renderRooms();
  if (isConnected()) emitQuietly('message-read', { messageId: last.id });
  else post(`/messages/${last.id}/read`).catch(() => undefined);
}

function renderReceipts(): void {
  const last = list.lastMessage;
  const names = last
    ? [...reads.entries()]
        .filter(([userId, r]) => r.seq >= last.seq && userId !== last.sender?.id)
        .map(([, r]) => r.name)
    : [];
  $('#receipts').textContent = names.length ? `Seen by ${names.join(', ')}` : '';
}

function renderTyping(): void {
  const names = [...typers.values()].map((t) => t.name);
  $('#typing').textContent =
    names.length === 0
      ? ''
      : names.length === 1
        ? `${names[0]} is typing…`
        : `${names.slice(0, -1).join(', ')} and ${names.at(-1)} are typing…`;
}

/** As the server counts mentions: `@me`, `@all`, a reply to my message, anything in a direct room. */
function mentionsMe(m: Message, room: Room): boolean {
  const me = state.me?.id;
  return (
    room.type === 'direct' ||
    m.mentionsAll === true ||
    (me !== undefined && (m.mentions ?? []).includes(me)) ||
    (me !== undefined && m.replyPreview?.sender?.id === me)
  );
}

/** Adds a message that arrived live, sent by me or anyone else. */
function showMessage(m: Message): void {
  const room = state.rooms.get(m.room);
  if (!room) return void refreshRoom(m.room);
  if (!room.lastMessage || room.lastMessage.seq <= m.seq) room.lastMessage = m;
  const mine = m.sender?.id === state.me?.id;
  if (m.room !== state.current) {
    if (!mine) room.unreadCount += 1;
    if (!mine && mentionsMe(m, room)) room.mentionCount += 1;
    return renderRooms();
  }
  const stick = mine || list.nearBottom();
  list.upsert(m);
  if (stick) list.scrollToBottom();
  if (m.sender) stopTyper(m.sender.id);
  if (mine) room.lastReadSeq = Math.max(room.lastReadSeq, m.seq);
  else markRead();
  renderReceipts();
  renderRooms();
}

/**
 * Shows a change that is newer than the copy held (revs.ts decides that); false when the view does
 * not keep it: a message older than the loaded history comes with its page when scrolled to, and
 * in another room only a new message matters (its badge).
 */
export function applyChange(c: Change): boolean {
  if ('deleted' in c) {
    list.remove(c.id);
    if (state.rooms.get(c.room)?.lastMessage?.id === c.id) void roomChanged(c.room);
  } else if (list.get(c.id)) list.upsert(c);
  else if (belongs(c)) showMessage(c);
  else return false;
  return true;
}

/** A message not shown yet: in the open room, one not older than the history loaded; else a new one. */
function belongs(m: Message): boolean {
  if (m.room !== state.current) return m.seq > (state.rooms.get(m.room)?.lastMessage?.seq ?? 0);
  return !list.nextCursor || m.seq > list.firstSeq;
}

/** After a reconnect: every change since the revisions held (the open room gets its first one). */
export async function catchUp(): Promise<void> {
  const room = state.current;
  if (room && room === loaded && !hasRev(room)) await baseline(room, list.lastSeq);
  await syncRooms();
  markRead();
  renderReceipts();
}

function stopTyper(userId: string): void {
  const t = typers.get(userId);
  if (!t) return;
  clearTimeout(t.timer);
  typers.delete(userId);
  renderTyping();
}

export function onTyping(e: { room: string; userId: string; username: string; isTyping: boolean }) {
  if (e.room !== state.current || e.userId === state.me?.id) return;
  stopTyper(e.userId);
  if (!e.isTyping) return;
  // The server stops typing by itself after a few seconds; this is only a safety net.
  typers.set(e.userId, {
    name: e.username,
    timer: window.setTimeout(() => stopTyper(e.userId), 8000),
  });
  renderTyping();
}

export function onReadReceipt(e: {
  room: string;
  userId: string;
  messageId: string;
  seq?: number;
}) {
  const seq = e.seq ?? list.get(e.messageId)?.seq;
  if (e.userId === state.me?.id) {
    // Read in another tab or device of mine: the badge follows.
    const room = state.rooms.get(e.room);
    if (room && seq !== undefined && room.lastMessage && seq >= room.lastMessage.seq) {
      room.unreadCount = 0;
      room.mentionCount = 0;
      renderRooms();
    }
    return;
  }
  if (e.room !== state.current || seq === undefined) return;
  const known = reads.get(e.userId);
  if (known) known.seq = Math.max(known.seq, seq);
  else void loadMembers(e.room);
  renderReceipts();
}

/**
 * Someone came online. Registering joins `general` without a `member-joined` event, so a user the
 * open room does not know yet may be a new member: refetch the room and its members then.
 */
export function userOnline(userId: string): void {
  if (state.current && userId !== state.me?.id && !reads.has(userId))
    void roomChanged(state.current);
}

/** Room metadata or membership changed: refetch it; if I lost the open room, go elsewhere. */
export async function roomChanged(roomId: string, removed = false): Promise<void> {
  if (removed) {
    release(roomId);
    state.rooms.delete(roomId);
    renderRooms();
  } else await refreshRoom(roomId);
  if (roomId !== state.current) return;
  if (state.rooms.has(roomId)) {
    renderHeader();
    void loadMembers(roomId);
  } else {
    state.current = null;
    const next =
      [...state.rooms.values()].find((r) => r.slug === 'general') ?? [...state.rooms.values()][0];
    if (next) void openRoom(next.id);
  }
}

async function leaveCurrent(): Promise<void> {
  const room = currentRoom();
  if (!room || !confirm(`Leave ${room.name}?`)) return;
  try {
    await post(`/rooms/${room.id}/leave`);
    await roomChanged(room.id, true);
  } catch (err) {
    toast(errorText(err), 'error');
  }
}
