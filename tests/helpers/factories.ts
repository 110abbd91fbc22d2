import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { TestApp } from './app.js';

export interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  /** `{ Authorization: 'Bearer …' }` for supertest's `.set()`. */
  auth: { Authorization: string };
}

let counter = 0;

/** Registers a fresh user through the API and returns its credentials. */
export async function createUser(
  t: TestApp,
  overrides: Partial<{ username: string; email: string; password: string }> = {},
): Promise<TestUser> {
  counter += 1;
  const suffix = `${counter}${randomBytes(3).toString('hex')}`;
  const username = overrides.username ?? `user_${suffix}`;
  const email = overrides.email ?? `${username.toLowerCase()}@example.com`;
  const password = overrides.password ?? 'correct horse battery';
  const res = await t.http.post('/api/auth/register').send({ username, email, password });
  if (res.status !== 201)
    throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  const { user, accessToken, refreshToken } = res.body.data;
  return {
    id: user.id,
    username,
    email,
    password,
    accessToken,
    refreshToken,
    auth: { Authorization: `Bearer ${accessToken}` },
  };
}

export interface TestSession {
  accessToken: string;
  refreshToken: string;
  auth: { Authorization: string };
}

/** `{ Authorization: 'Bearer <token>' }` for supertest's `.set()`. */
export function bearer(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}

/** Logs in again (a new session of the same user) by username or email. */
export async function login(
  t: TestApp,
  user: Pick<TestUser, 'username' | 'password'>,
): Promise<TestSession> {
  const res = await t.http
    .post('/api/auth/login')
    .send({ username: user.username, password: user.password });
  if (res.status !== 200)
    throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  const { accessToken, refreshToken } = res.body.data;
  return { accessToken, refreshToken, auth: bearer(accessToken) };
}

/** Sets a user's profile fields through the API. */
export async function updateProfile(
  t: TestApp,
  user: Pick<TestUser, 'auth'>,
  patch: { displayName?: string | null; bio?: string | null },
): Promise<void> {
  const res = await t.http.put('/api/users/profile').set(user.auth).send(patch);
  if (res.status !== 200)
    throw new Error(`profile update failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Asserts the SPEC.md error shape: `{ success: false, error: { code, message } }` with that status. */
export function expectError(
  res: { status: number; body: unknown },
  status: number,
  code: string,
): void {
  expect({ status: res.status, body: res.body }).toMatchObject({
    status,
    body: { success: false, error: { code, message: expect.any(String) } },
  });
}

const SECRET_KEYS = ['password', 'passwordHash', 'password_hash', 'tokenHash', 'token_hash'];

/** Asserts that no password, password hash or token hash (nor the given password) appears in a body. */
export function expectNoSecrets(body: unknown, password?: string): void {
  const json = JSON.stringify(body);
  for (const key of SECRET_KEYS) expect(json).not.toContain(`"${key}"`);
  expect(json).not.toContain('$argon2');
  if (password) expect(json).not.toContain(password);
}

// ---- Rooms and messages ------------------------------------------------------------------------

export type RoomType = 'public' | 'private';
export type RoomRole = 'owner' | 'admin' | 'member';

/** A room as the API returns it (SPEC.md "Shapes"). */
export interface TestRoom {
  id: string;
  slug: string;
  name: string;
  type: 'public' | 'private' | 'direct';
  description: string | null;
  createdAt: string;
  memberCount: number;
  myRole: RoomRole | null;
  unreadCount: number;
  mentionCount: number;
  notifyLevel: 'all' | 'mentions' | 'none' | null;
  lastReadSeq: number;
  lastMessage: TestMessage | null;
}

/** A message as the API returns it (SPEC.md "Shapes"). */
export interface TestMessage {
  id: string;
  room: string;
  seq: number;
  rev: number;
  sender: { id: string; username: string; displayName: string | null; avatarUrl: string | null };
  content: string;
  type: 'text' | 'file' | 'system';
  replyTo: string | null;
  reactions: { emoji: string; count: number; userIds: string[] }[];
  mentions: string[];
  mentionsAll: boolean;
  createdAt: string;
  editedAt: string | null;
}

/** A deleted message as catch-up (`?after=`) pages show it. */
export interface TestTombstone {
  id: string;
  room: string;
  seq: number;
  rev: number;
  deleted: true;
}

let roomCounter = 0;

/** A fresh room name no other test uses. */
export function uniqueRoomName(prefix = 'Room'): string {
  roomCounter += 1;
  return `${prefix} ${roomCounter} ${randomBytes(3).toString('hex')}`;
}

/** Adds a user to a room as `actor` (an owner or admin); expects 201 or 200. */
export async function addMember(
  t: TestApp,
  actor: Pick<TestUser, 'auth'>,
  room: string,
  user: Pick<TestUser, 'id'>,
): Promise<void> {
  const res = await t.http
    .post(`/api/rooms/${room}/members`)
    .set(actor.auth)
    .send({ userId: user.id });
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`add member failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Gives a member a role as the room's owner. */
export async function setRole(
  t: TestApp,
  owner: Pick<TestUser, 'auth'>,
  room: string,
  user: Pick<TestUser, 'id'>,
  role: RoomRole,
): Promise<void> {
  const res = await t.http
    .patch(`/api/rooms/${room}/members/${user.id}`)
    .set(owner.auth)
    .send({ role });
  if (res.status !== 200)
    throw new Error(`set role failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/**
 * Creates a room owned by `owner` through the API, then adds `admins` (made admins) and `members`,
 * in that order. Returns the room as the owner sees it right after creating it.
 */
export async function createRoom(
  t: TestApp,
  owner: Pick<TestUser, 'auth'>,
  options: {
    type?: RoomType;
    name?: string;
    description?: string;
    admins?: Pick<TestUser, 'id'>[];
    members?: Pick<TestUser, 'id'>[];
  } = {},
): Promise<TestRoom> {
  const body: Record<string, string> = {
    name: options.name ?? uniqueRoomName(),
    type: options.type ?? 'private',
  };
  if (options.description !== undefined) body.description = options.description;
  const res = await t.http.post('/api/rooms').set(owner.auth).send(body);
  if (res.status !== 201)
    throw new Error(`create room failed: ${res.status} ${JSON.stringify(res.body)}`);
  const room = res.body.data as TestRoom;
  for (const admin of options.admins ?? []) {
    await addMember(t, owner, room.id, admin);
    await setRole(t, owner, room.id, admin, 'admin');
  }
  for (const member of options.members ?? []) await addMember(t, owner, room.id, member);
  return room;
}

/** Sends a text message through the API; expects 201 and returns the message. */
export async function sendMessage(
  t: TestApp,
  user: Pick<TestUser, 'auth'>,
  room: string,
  content: string,
  extra: { replyTo?: string; clientId?: string } = {},
): Promise<TestMessage> {
  const res = await t.http
    .post('/api/messages')
    .set(user.auth)
    .send({ room, content, ...extra });
  if (res.status !== 201) throw new Error(`send failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data as TestMessage;
}

/** Sends `count` messages one after another (content `${prefix} 1` … `${prefix} count`). */
export async function sendMessages(
  t: TestApp,
  user: Pick<TestUser, 'auth'>,
  room: string,
  count: number,
  prefix = 'message',
): Promise<TestMessage[]> {
  const sent: TestMessage[] = [];
  for (let i = 1; i <= count; i += 1) sent.push(await sendMessage(t, user, room, `${prefix} ${i}`));
  return sent;
}

/** The direct room of `user` and `other`, opened as `user`; expects 201 or 200. */
export async function openDirect(
  t: TestApp,
  user: Pick<TestUser, 'auth'>,
  other: Pick<TestUser, 'id'>,
): Promise<TestRoom> {
  const res = await t.http.post('/api/rooms/direct').set(user.auth).send({ userId: other.id });
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`open direct failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data as TestRoom;
}

/** The room as it appears in the user's `GET /api/rooms` list, or undefined when not listed. */
export async function myRoom(
  t: TestApp,
  user: Pick<TestUser, 'auth'>,
  roomId: string,
): Promise<TestRoom | undefined> {
  const res = await t.http.get('/api/rooms?limit=100').set(user.auth);
  if (res.status !== 200)
    throw new Error(`list rooms failed: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body.data as TestRoom[]).find((r) => r.id === roomId);
}

/** One page of a room's messages (`query` like `limit=10&before=…`); expects 200. */
export async function listMessages(
  t: TestApp,
  user: Pick<TestUser, 'auth'>,
  room: string,
  query = '',
): Promise<{ data: (TestMessage | TestTombstone)[]; nextCursor: string | null }> {
  const res = await t.http
    .get(`/api/messages?room=${encodeURIComponent(room)}${query ? `&${query}` : ''}`)
    .set(user.auth);
  if (res.status !== 200)
    throw new Error(`list messages failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { data: res.body.data, nextCursor: res.body.page.nextCursor };
}
