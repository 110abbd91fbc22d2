import { createECDH, randomBytes } from 'node:crypto';
import sharp from 'sharp';
import type { TestApp } from '../helpers/app.js';
import { login } from '../helpers/factories.js';
import { TEXT_FILE, type Fixture, type RoomKind } from './fixtures.js';
import type { Caller, Cast, SecretWatch, SignedCaller } from './support.js';

/**
 * The access-control matrix of every REST route: the exact status each caller gets. Expected cells
 * come from SPEC.md and the services' rules (rooms.access.ts): a stranger gets 404 for anything in a
 * private room and 403 in a public one (except reading its details or joining it); members may read
 * and send; admins may also moderate (rename, invite, remove members, delete others' messages);
 * only the owner deletes the room or changes roles; everything in a deleted room is 404, even for
 * its former owner. Routes that address no room answer every signed-in caller alike (`deleted` is
 * then just the owner).
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Cells = Record<Caller, number>;

export interface RowContext {
  t: TestApp;
  cast: Cast;
  watch: SecretWatch;
  caller: Caller;
  signedIn: boolean;
}

export interface RestRow {
  method: Method;
  /** The Express route pattern, exactly as the app registers it. */
  path: string;
  kind: RoomKind;
  label: string;
  expect: Cells;
  /** Cells expected to succeed get a fresh fixture: they change the room. */
  mutates?: boolean;
  /** Signed-in callers use a new session of their user (the row revokes it). */
  freshSession?: boolean;
  /** Signed-in callers are a new user of their own (the row revokes all its sessions). */
  freshUser?: boolean;
  params?: (fx: Fixture, c: RowContext) => Promise<Record<string, string>> | Record<string, string>;
  query?: (fx: Fixture) => Record<string, string>;
  body?: (fx: Fixture, c: RowContext) => unknown;
  upload?: { field: string; file: () => Promise<Buffer>; name: string; type: string };
}

type Signed = Record<SignedCaller, number>;
const cells = (s: Signed): Cells => ({
  none: 401,
  expired: 401,
  tampered: 401,
  revoked: 401,
  ...s,
});
/** A route without a token check: every caller alike. */
const open = (n: number): Cells => ({
  ...cells(signedIn(n)),
  none: n,
  expired: n,
  tampered: n,
  revoked: n,
});
/** A browser's subscription: a fresh endpoint and P-256 key each time. */
function pushSubscription() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    endpoint: `https://push.example.com/matrix/${randomBytes(8).toString('hex')}`,
    keys: {
      p256dh: ecdh.getPublicKey().toString('base64url'),
      auth: randomBytes(16).toString('base64url'),
    },
  };
}
function signedIn(n: number): Signed {
  return { stranger: n, member: n, admin: n, owner: n, deleted: n };
}
/** A route on the fixture room: per role, 404 once the room is deleted. */
const roles = (stranger: number, member: number, admin: number, owner: number): Cells =>
  cells({ stranger, member, admin, owner, deleted: 404 });
const anyMember = (n: number) => roles(404, n, n, n);

type RowSpec = Omit<RestRow, 'method' | 'path' | 'kind' | 'label' | 'expect'> & {
  kind?: RoomKind;
  label?: string;
};

function row(method: Method, path: string, expect: Cells, spec: RowSpec = {}): RestRow {
  const kind = spec.kind ?? 'private';
  const label = `${method} ${path}${spec.label ? ` (${spec.label})` : ''} [${kind}]`;
  return { ...spec, method, path: `/api/v1${path}`, kind, label, expect };
}

/** The same row on a public room: a stranger gets `stranger` instead of 404. */
function inPublic(r: RestRow, stranger: number, mutates = r.mutates): RestRow {
  return {
    ...r,
    kind: 'public',
    mutates,
    label: r.label.replace('[private]', '[public]'),
    expect: { ...r.expect, stranger },
  };
}

const room = (fx: Fixture) => ({ id: fx.room.id });
const roomRef = (fx: Fixture) => ({ room: fx.room.id });
const png = () =>
  sharp({ create: { width: 4, height: 4, channels: 3, background: '#c33' } })
    .png()
    .toBuffer();
const fresh = () => randomBytes(5).toString('hex');

const getRoom = row('GET', '/rooms/:id', anyMember(200), { params: room });
const patchRoom = row('PATCH', '/rooms/:id', roles(404, 403, 200, 200), {
  params: room,
  body: () => ({ description: 'renamed by the matrix' }),
});
const notifications = row('PUT', '/rooms/:id/notifications', anyMember(200), {
  params: room,
  body: () => ({ level: 'none' }),
});
const reportMessage = row('POST', '/messages/:id/report', anyMember(201), {
  params: (fx) => ({ id: fx.ownerMessage.id }),
  body: () => ({ reason: 'reported by the matrix' }),
  mutates: true,
});
const slowMode = row('PATCH', '/rooms/:id', roles(404, 403, 200, 200), {
  label: 'slow mode',
  params: room,
  body: () => ({ slowModeSeconds: 5 }),
  mutates: true,
});
const other = (fx: Fixture, c: RowContext) => ({ id: fx.room.id, userId: c.cast.other.id });
const mute = row('POST', '/rooms/:id/members/:userId/mute', roles(404, 403, 200, 200), {
  params: other,
  body: () => ({ minutes: 5 }),
  mutates: true,
});
const unmute = row('DELETE', '/rooms/:id/members/:userId/mute', roles(404, 403, 200, 200), {
  params: other,
  mutates: true,
});
const listBans = row('GET', '/rooms/:id/bans', roles(404, 403, 200, 200), { params: room });
const ban = row('POST', '/rooms/:id/bans', roles(404, 403, 201, 201), {
  params: room,
  body: (_fx, c) => ({ userId: c.cast.other.id, reason: 'matrix' }),
  mutates: true,
});
const unban = row('DELETE', '/rooms/:id/bans/:userId', roles(404, 403, 200, 200), {
  label: 'a banned user',
  // The owner bans the guest first (a deleted room refuses that too: every caller then gets 404).
  params: async (fx, c) => {
    await c.t.http
      .post(`/api/v1/rooms/${fx.room.id}/bans`)
      .set(c.cast.owner.auth)
      .send({ userId: c.cast.guest.id });
    return { id: fx.room.id, userId: c.cast.guest.id };
  },
  mutates: true,
});
const deleteRoom = row('DELETE', '/rooms/:id', roles(404, 403, 403, 200), {
  params: room,
  mutates: true,
});
const join = row('POST', '/rooms/:id/join', anyMember(200), { params: room });
const leave = row('POST', '/rooms/:id/leave', anyMember(200), { params: room, mutates: true });
const members = row('GET', '/rooms/:id/members', anyMember(200), { params: room });
const listMessages = row('GET', '/messages', anyMember(200), { query: roomRef });
const search = row('GET', '/messages/search', anyMember(200), {
  label: 'in a room',
  query: (fx) => ({ q: 'hello', room: fx.room.id }),
});
const send = row('POST', '/messages', anyMember(201), {
  body: (fx) => ({ room: fx.room.id, content: 'matrix says hi' }),
});
const editOwners = row('PUT', '/messages/:id', roles(404, 403, 403, 200), {
  label: "the owner's message",
  params: (fx) => ({ id: fx.ownerMessage.id }),
  body: () => ({ content: 'edited' }),
});
const read = row('POST', '/messages/:id/read', anyMember(200), {
  params: (fx) => ({ id: fx.ownerMessage.id }),
});
const react = row('POST', '/messages/:id/react', anyMember(200), {
  params: (fx) => ({ id: fx.ownerMessage.id }),
  body: () => ({ emoji: '👍' }),
});
const upload = row('POST', '/files/upload', anyMember(201), {
  body: (fx) => ({ room: fx.room.id }),
  upload: { field: 'file', file: async () => TEXT_FILE, name: 'notes.txt', type: 'text/plain' },
});
const media = row('GET', '/files/media/:room', anyMember(200), { params: roomRef });
const stats = row('GET', '/files/stats/:room', anyMember(200), { params: roomRef });
const deleteFile = row('DELETE', '/files/:messageId', roles(404, 403, 200, 200), {
  label: "the owner's file",
  params: async (fx) => ({ messageId: await fx.fileMessageId() }),
  mutates: true,
});

export const REST_ROWS: RestRow[] = [
  // Auth: register, login and refresh ignore any bearer header, good or bad.
  row('POST', '/auth/register', open(201), {
    body: (_fx, c) => {
      const password = `Pw-${fresh()}-matrix-secret`;
      c.watch.password(password);
      const username = `acl_${fresh()}`;
      return { username, email: `${username}@example.com`, password };
    },
  }),
  row('POST', '/auth/login', open(200), {
    body: (_fx, c) => ({ username: c.cast.other.username, password: c.cast.other.password }),
  }),
  row('POST', '/auth/refresh', open(200), {
    body: async (_fx, c) => ({ refreshToken: (await login(c.t, c.cast.other)).refreshToken }),
  }),
  row('GET', '/auth/me', cells(signedIn(200))),
  row('POST', '/auth/logout', cells(signedIn(200)), { freshSession: true }),
  // Changing a cast member's password would break the rows after it: a wrong current password is
  // the signed-in answer here (tests/auth/password.test.ts covers the change itself).
  row('POST', '/auth/password', cells(signedIn(403)), {
    label: 'wrong current password',
    body: () => ({ currentPassword: 'not-the-password-1', newPassword: 'another-password-1' }),
  }),
  row('POST', '/auth/logout-all', cells(signedIn(200)), { freshUser: true }),

  // Users: nothing here is room-bound.
  row('POST', '/users/avatar', cells(signedIn(200)), {
    upload: { field: 'avatar', file: png, name: 'me.png', type: 'image/png' },
  }),
  row('GET', '/users/online', cells(signedIn(200))),
  row('GET', '/users/profile', cells(signedIn(200))),
  row('PUT', '/users/profile', cells(signedIn(200)), { body: () => ({ bio: 'matrix bio' }) }),
  row('POST', '/users/status', cells(signedIn(200)), { body: () => ({ status: 'away' }) }),
  row('GET', '/users/search', cells(signedIn(200)), { query: () => ({ q: 'user' }) }),
  row('GET', '/users/:id', cells(signedIn(200)), { params: (_fx, c) => ({ id: c.cast.owner.id }) }),
  row('GET', '/users/:id', cells(signedIn(404)), {
    label: 'unknown id',
    params: () => ({ id: '00000000-0000-4000-8000-000000000000' }),
  }),
  row('GET', '/users/blocked', cells(signedIn(200))),
  // My data: each caller exports their own; erasure refuses a wrong password, and the right one is
  // tried on a user of its own (the row erases it).
  row('GET', '/users/me/export', cells(signedIn(200))),
  row('DELETE', '/users/me', cells(signedIn(403)), {
    label: 'wrong password',
    body: () => ({ password: 'not-the-password-1' }),
  }),
  row('DELETE', '/users/me', cells(signedIn(200)), {
    label: 'the right password, a user of its own',
    freshUser: true,
    body: () => ({ password: 'correct horse battery' }),
  }),
  // Each signed-in caller blocks (or unblocks) a user of its own, so no other row meets the block.
  row('POST', '/users/:id/block', cells(signedIn(200)), {
    params: async (_fx, c) => ({ id: c.signedIn ? (await c.watch.user(c.t)).id : c.cast.guest.id }),
  }),
  row('POST', '/users/:id/block', cells(signedIn(404)), {
    label: 'unknown id',
    params: () => ({ id: '00000000-0000-4000-8000-000000000000' }),
  }),
  row('DELETE', '/users/:id/block', cells(signedIn(200)), {
    params: async (_fx, c) => ({ id: c.signedIn ? (await c.watch.user(c.t)).id : c.cast.guest.id }),
  }),
  row('DELETE', '/users/:id/block', cells(signedIn(404)), {
    label: 'unknown id',
    params: () => ({ id: '00000000-0000-4000-8000-000000000000' }),
  }),

  // Rooms.
  row('GET', '/rooms', cells(signedIn(200))),
  row('POST', '/rooms', cells(signedIn(201)), {
    body: () => ({ name: `Matrix ${fresh()}`, type: 'private' }),
  }),
  row('GET', '/rooms/public', cells(signedIn(200))),
  row('POST', '/rooms/direct', cells(signedIn(201)), {
    label: 'a new peer',
    // Each signed-in caller opens a direct room with a user they never wrote to.
    body: async (_fx, c) => ({
      userId: c.signedIn ? (await c.watch.user(c.t)).id : c.cast.guest.id,
    }),
  }),
  getRoom,
  inPublic(getRoom, 200),
  patchRoom,
  inPublic(patchRoom, 403),
  notifications,
  inPublic(notifications, 403),
  reportMessage,
  inPublic(reportMessage, 403),
  deleteRoom,
  inPublic(deleteRoom, 403),
  join,
  inPublic(join, 200, true),
  leave,
  inPublic(leave, 403),
  members,
  inPublic(members, 403),
  row('POST', '/rooms/:id/members', roles(404, 403, 201, 201), {
    params: room,
    body: (_fx, c) => ({ userId: c.cast.guest.id }),
    mutates: true,
  }),
  row('PATCH', '/rooms/:id/members/:userId', roles(404, 403, 403, 200), {
    label: 'make a member admin',
    params: (fx, c) => ({ id: fx.room.id, userId: c.cast.other.id }),
    body: () => ({ role: 'admin' }),
    mutates: true,
  }),
  row('DELETE', '/rooms/:id/members/:userId', roles(404, 403, 200, 200), {
    label: 'remove a member',
    params: (fx, c) => ({ id: fx.room.id, userId: c.cast.other.id }),
    mutates: true,
  }),
  row('DELETE', '/rooms/:id/members/:userId', roles(404, 403, 403, 200), {
    label: 'remove the owner; the owner leaves',
    params: (fx, c) => ({ id: fx.room.id, userId: c.cast.owner.id }),
    mutates: true,
  }),

  // Room moderation: the room's owner and admins (instance admins are tested in tests/rooms).
  slowMode,
  inPublic(slowMode, 403),
  mute,
  inPublic(mute, 403),
  unmute,
  inPublic(unmute, 403),
  listBans,
  inPublic(listBans, 403),
  ban,
  inPublic(ban, 403),
  unban,
  inPublic(unban, 403),
  row('DELETE', '/rooms/:id/bans/:userId', roles(404, 403, 404, 404), {
    label: 'no such ban',
    params: (fx, c) => ({ id: fx.room.id, userId: c.cast.stranger.id }),
  }),

  // Messages.
  listMessages,
  inPublic(listMessages, 403),
  search,
  inPublic(search, 403),
  row('GET', '/messages/search', cells(signedIn(200)), {
    label: 'all my rooms',
    query: () => ({ q: 'hello' }),
  }),
  row('GET', '/mentions', cells(signedIn(200))),

  // Instance administration: no caller of the matrix is an instance admin (tests/admin has those).
  row('GET', '/admin/users', cells(signedIn(403))),
  row('POST', '/admin/users/:id/deactivate', cells(signedIn(403)), {
    params: (_fx, c) => ({ id: c.cast.guest.id }),
    body: () => ({ reason: 'matrix' }),
  }),
  row('POST', '/admin/users/:id/reactivate', cells(signedIn(403)), {
    params: (_fx, c) => ({ id: c.cast.guest.id }),
  }),
  row('DELETE', '/admin/messages/:id', cells(signedIn(403)), {
    params: (fx) => ({ id: fx.ownerMessage.id }),
  }),
  row('GET', '/admin/audit', cells(signedIn(403))),
  row('GET', '/admin/reports', cells(signedIn(403))),
  row('GET', '/admin/rooms', cells(signedIn(403))),
  row('GET', '/admin/stats', cells(signedIn(403))),
  row('DELETE', '/admin/rooms/:id', cells(signedIn(403)), { params: room }),
  row('POST', '/admin/reports/:id/resolve', cells(signedIn(403)), {
    params: () => ({ id: '00000000-0000-4000-8000-000000000000' }),
    body: () => ({ action: 'dismiss' }),
  }),

  // Push: nothing here is room-bound.
  row('GET', '/push/vapid-public-key', cells(signedIn(200))),
  row('POST', '/push/subscriptions', cells(signedIn(201)), {
    body: () => pushSubscription(),
  }),
  row('DELETE', '/push/subscriptions', cells(signedIn(404)), {
    label: 'not mine',
    body: () => ({ endpoint: 'https://push.example.com/never-registered' }),
  }),
  send,
  inPublic(send, 403),
  editOwners,
  inPublic(editOwners, 403),
  row('PUT', '/messages/:id', roles(404, 200, 403, 403), {
    label: "the member's message",
    params: (fx) => ({ id: fx.memberMessage.id }),
    body: () => ({ content: 'edited' }),
  }),
  row('DELETE', '/messages/:id', roles(404, 403, 200, 200), {
    label: "the owner's message",
    params: (fx) => ({ id: fx.ownerMessage.id }),
    mutates: true,
  }),
  row('DELETE', '/messages/:id', roles(404, 200, 200, 200), {
    label: "the member's message",
    params: (fx) => ({ id: fx.memberMessage.id }),
    mutates: true,
  }),
  read,
  inPublic(read, 403),
  react,
  inPublic(react, 403),

  // Files.
  upload,
  inPublic(upload, 403),
  media,
  inPublic(media, 403),
  stats,
  inPublic(stats, 403),
  deleteFile,
  inPublic(deleteFile, 403),
  row('DELETE', '/files/:messageId', cells(signedIn(404)), {
    label: 'a text message is no file',
    params: (fx) => ({ messageId: fx.ownerMessage.id }),
  }),
];
