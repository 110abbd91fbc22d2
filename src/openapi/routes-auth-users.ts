import { z } from 'zod';
import {
  changePasswordBody,
  loginBody,
  logoutBody,
  refreshBody,
  registerBody,
} from '../modules/auth/auth.schemas.js';
import {
  searchUsersQuery,
  statusBody,
  updateProfileBody,
  userIdParams,
} from '../modules/users/users.schemas.js';
import type { RouteDoc } from './route-types.js';
import {
  AuthResult,
  dataEnvelope,
  LoggedOut,
  LoggedOutEverywhere,
  PasswordChanged,
  OwnUser,
  pageEnvelope,
  PublicUser,
} from './schemas.js';

export const authRoutesDoc: RouteDoc[] = [
  {
    method: 'post',
    path: '/auth/register',
    operationId: 'register',
    summary: 'Create an account and sign in',
    description:
      'Usernames are 3–30 letters, digits, `_`, `.`, `-`; usernames and emails are unique case-insensitively. ' +
      'Passwords are 8–128 characters. Rate limited per IP (failed attempts).',
    tag: 'Auth',
    auth: false,
    body: registerBody,
    success: { status: 201, schema: dataEnvelope(AuthResult), description: 'Signed in' },
    errors: [409],
  },
  {
    method: 'post',
    path: '/auth/login',
    operationId: 'login',
    summary: 'Sign in with email or username',
    description:
      'Give `email` or `username` (or `login`, either) and `password`. One message for an unknown ' +
      'user and a wrong password alike. Rate limited per IP (failed attempts).',
    tag: 'Auth',
    auth: false,
    body: loginBody,
    success: { status: 200, schema: dataEnvelope(AuthResult), description: 'Signed in' },
    errors: [401],
  },
  {
    method: 'post',
    path: '/auth/refresh',
    operationId: 'refresh',
    summary: 'Exchange a refresh token for a new pair',
    description:
      'The old refresh token stops working; presenting an already rotated one revokes its whole session.',
    tag: 'Auth',
    auth: false,
    body: refreshBody,
    success: { status: 200, schema: dataEnvelope(AuthResult), description: 'A new token pair' },
    errors: [401],
  },
  {
    method: 'get',
    path: '/auth/me',
    operationId: 'me',
    summary: 'The current user',
    tag: 'Auth',
    auth: true,
    success: { status: 200, schema: dataEnvelope(OwnUser), description: 'My own profile' },
    errors: [],
  },
  {
    method: 'post',
    path: '/auth/logout',
    operationId: 'logout',
    summary: 'Revoke the session',
    description:
      "Revokes the access token's session, and the refresh token's session when it is the same " +
      "user's. The session's sockets are disconnected.",
    tag: 'Auth',
    auth: true,
    body: logoutBody,
    success: { status: 200, schema: dataEnvelope(LoggedOut), description: 'Signed out' },
    errors: [],
  },
  {
    method: 'post',
    path: '/auth/password',
    operationId: 'changePassword',
    summary: 'Change my password',
    description:
      'Needs the current password (403 when it is not right; rate limited like a login). Every ' +
      'other session of mine is revoked and its sockets get `auth-expired` and are closed; this one ' +
      'stays signed in.',
    tag: 'Auth',
    auth: true,
    body: changePasswordBody,
    success: {
      status: 200,
      schema: dataEnvelope(PasswordChanged),
      description: 'Changed',
    },
    errors: [400, 403, 429],
  },
  {
    method: 'post',
    path: '/auth/logout-all',
    operationId: 'logoutAll',
    summary: 'Sign out everywhere',
    description:
      'Revokes every session of mine, this one included; their sockets get `auth-expired` and are ' +
      'closed.',
    tag: 'Auth',
    auth: true,
    success: {
      status: 200,
      schema: dataEnvelope(LoggedOutEverywhere),
      description: 'Signed out everywhere',
    },
    errors: [],
  },
];

export const usersRoutesDoc: RouteDoc[] = [
  {
    method: 'post',
    path: '/users/avatar',
    operationId: 'setAvatar',
    summary: 'Upload my avatar',
    description:
      'Multipart field `avatar`: a JPEG, PNG, GIF or WebP image of at most 2 MB, stored as a 256 px ' +
      'square WebP with a public URL.',
    tag: 'Users',
    auth: true,
    multipart: z.object({ avatar: z.file() }),
    success: { status: 200, schema: dataEnvelope(OwnUser), description: 'My profile' },
    errors: [413, 415],
  },
  {
    method: 'get',
    path: '/users/online',
    operationId: 'listOnlineUsers',
    summary: 'Users online who share a room with me',
    description:
      'Each item is a public user, like every other user list. One page holding everyone, at most ' +
      '1,000, by username (`nextCursor` is always null). Users who chose `offline` are left out.',
    tag: 'Users',
    auth: true,
    success: { status: 200, schema: pageEnvelope(PublicUser), description: 'Online users' },
    errors: [],
  },
  {
    method: 'get',
    path: '/users/profile',
    operationId: 'getMyProfile',
    summary: 'My profile (with email)',
    tag: 'Users',
    auth: true,
    success: { status: 200, schema: dataEnvelope(OwnUser), description: 'My profile' },
    errors: [],
  },
  {
    method: 'put',
    path: '/users/profile',
    operationId: 'updateMyProfile',
    summary: 'Change my display name or bio',
    description: 'An empty string or null clears a field.',
    tag: 'Users',
    auth: true,
    body: updateProfileBody,
    success: { status: 200, schema: dataEnvelope(OwnUser), description: 'My profile' },
    errors: [],
  },
  {
    method: 'post',
    path: '/users/status',
    operationId: 'setStatus',
    summary: 'Choose my status',
    description: 'Users sharing a room get `user-status-update`; `offline` hides my presence.',
    tag: 'Users',
    auth: true,
    body: statusBody,
    success: { status: 200, schema: dataEnvelope(OwnUser), description: 'My profile' },
    errors: [],
  },
  {
    method: 'get',
    path: '/users/search',
    operationId: 'searchUsers',
    summary: 'Find users by username or display name prefix',
    description: 'Never includes me. Paginated by `before` (or `cursor`).',
    tag: 'Users',
    auth: true,
    query: searchUsersQuery,
    success: { status: 200, schema: pageEnvelope(PublicUser), description: 'Matching users' },
    errors: [],
  },
  {
    method: 'get',
    path: '/users/{id}',
    operationId: 'getUser',
    summary: "A user's public profile",
    tag: 'Users',
    auth: true,
    params: userIdParams,
    success: { status: 200, schema: dataEnvelope(PublicUser), description: 'The user' },
    errors: [404],
  },
];
