import type { Socket } from 'socket.io-client';
import { accessToken, ApiError, errorText, get, post, refreshToken, setTokens } from './api';
import {
  catchUp,
  createChat,
  wireNotifyLevel,
  onReadReceipt,
  onTyping,
  openRoom,
  roomChanged,
  userOnline,
} from './chat';
import {
  deleteMessage,
  resetComposer,
  startEdit,
  startReply,
  toggleReaction,
  wireComposer,
} from './composer';
import { $, displayName, toast } from './dom';
import { fromEvent, release, track } from './revs';
import { loadRooms, renderRooms, wireSidebar } from './rooms';
import { wirePush } from './push';
import { wireSearch } from './search';
import { connectSocket } from './socket';
import { setOnline, state } from './state';
import type { AuthResult, Reaction, Tombstone, User } from './types';

/** The demo client: sign-in, then the chat. Only the public REST API and Socket.io events are used. */

const list = createChat({
  reply: startReply,
  edit: startEdit,
  remove: (m) => void deleteMessage(m),
  react: (m, emoji) => void toggleReaction(m, emoji),
});

function show(signedIn: boolean): void {
  $('#auth').hidden = signedIn;
  $('#app').hidden = !signedIn;
}

function go(roomId: string, messageId?: string): void {
  resetComposer();
  openRoom(roomId, messageId).catch((err: unknown) => toast(errorText(err), 'error'));
}

function wireSocket(socket: Socket): void {
  let connectedBefore = false;
  socket.on('connect', () => {
    $('#conn').className = 'dot online';
    // online-users lists the others; my own messages get a green dot too.
    if (state.me) setOnline(state.me.id, true);
    // After a reconnect: badges may be stale, and the rooms held may have missed changes.
    if (connectedBefore) {
      loadRooms().catch(() => undefined);
      catchUp().catch(() => undefined);
    }
    connectedBefore = true;
  });
  socket.on('disconnect', () => ($('#conn').className = 'dot'));
  // Message events apply only when newer than the copy held (revs.ts); a skipped rev starts a sync.
  socket.on('new-message', fromEvent);
  socket.on('message-updated', fromEvent);
  socket.on('message-deleted', (e: Omit<Tombstone, 'deleted'>) =>
    fromEvent({ ...e, deleted: true }),
  );
  socket.on(
    'message-reaction',
    (e: { messageId: string; room: string; reactions: Reaction[]; rev: number }) => {
      const m = list.get(e.messageId);
      if (m) fromEvent({ ...m, reactions: e.reactions, rev: e.rev });
      else track(e.room, e.rev);
    },
  );
  socket.on('message-read-receipt', onReadReceipt);
  socket.on('user-typing', onTyping);
  socket.on('online-users', (users: { userId: string }[]) => {
    for (const id of [...state.online]) if (id !== state.me?.id) setOnline(id, false);
    for (const u of users) setOnline(u.userId, true);
  });
  socket.on('user-online', (e: { userId: string }) => {
    setOnline(e.userId, true);
    userOnline(e.userId);
  });
  socket.on('user-offline', (e: { userId: string }) => setOnline(e.userId, false));
  for (const event of ['room-joined', 'room-updated', 'member-joined', 'member-left'])
    socket.on(event, (e: { room: string }) => void roomChanged(e.room));
  for (const event of ['room-left', 'room-deleted'])
    socket.on(event, (e: { room: string }) => void roomChanged(e.room, true));
}

async function start(): Promise<void> {
  show(true);
  $('#me-name').textContent = displayName(state.me);
  wireSocket(connectSocket(signOut));
  await loadRooms();
  const rooms = [...state.rooms.values()];
  const saved = localStorage.getItem('chat.room');
  const first =
    rooms.find((r) => r.id === saved) ?? rooms.find((r) => r.slug === 'general') ?? rooms[0];
  if (first) go(first.id);
}

function signOut(): void {
  const token = refreshToken();
  if (accessToken())
    post('/auth/logout', token ? { refreshToken: token } : {}).catch(() => undefined);
  setTokens(null);
  if (state.current) release(state.current);
  Object.assign(state, { me: null, current: null, rooms: new Map(), online: new Set() });
  resetComposer();
  renderRooms();
  show(false);
}

function wireAuth(): void {
  const form = $<HTMLFormElement>('#auth-form');
  const field = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
  let registering = false;
  const setMode = (reg: boolean) => {
    registering = reg;
    form.classList.toggle('registering', reg);
    $<HTMLInputElement>('#auth-email').required = reg;
    $('#auth-user-label').textContent = reg ? 'Username' : 'Username or email';
    $('#auth-submit').textContent = reg ? 'Create account' : 'Log in';
    $('#auth-switch').textContent = reg ? 'I have an account' : 'Create an account';
    $('#auth-error').textContent = '';
  };
  $('#auth-switch').addEventListener('click', () => setMode(!registering));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const login = field('username').trim();
    const body = registering
      ? { username: login, email: field('email').trim(), password: field('password') }
      : { [login.includes('@') ? 'email' : 'username']: login, password: field('password') };
    try {
      const result = await post<AuthResult>(registering ? '/auth/register' : '/auth/login', body);
      setTokens(result);
      state.me = result.user;
      form.reset();
      await start();
    } catch (err) {
      $('#auth-error').textContent =
        err instanceof ApiError && err.code === 'RATE_LIMITED'
          ? 'Too many attempts, try again later'
          : errorText(err);
    }
  });
  setMode(false);
}

async function boot(): Promise<void> {
  wireAuth();
  wireSidebar(go);
  wireComposer(list);
  wireSearch(go);
  wireNotifyLevel();
  wirePush();
  $('#logout').addEventListener('click', signOut);
  $('#back').addEventListener('click', () => document.body.classList.remove('in-room'));
  if (accessToken()) {
    try {
      state.me = await get<User>('/auth/me');
      return await start();
    } catch {
      setTokens(null);
    }
  }
  show(false);
}

void boot();
