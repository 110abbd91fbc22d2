import type { Request } from 'express';
import {
  AuthResult,
  dataEnvelope,
  LoggedOut,
  LoggedOutEverywhere,
  OwnUser,
  PasswordChanged,
} from '../../openapi/schemas.js';
import { route } from '../declare.js';
import {
  changePasswordBody,
  loginBody,
  logoutBody,
  refreshBody,
  registerBody,
} from './auth.schemas.js';
import type { ClientMeta } from './auth.service.js';

function clientMeta(req: Request): ClientMeta {
  return { userAgent: req.get('user-agent'), ip: req.ip };
}

export const authRoutes = [
  route({
    method: 'post',
    path: '/auth/register',
    operationId: 'register',
    summary: 'Create an account and sign in',
    description:
      'Usernames are 3–30 letters, digits, `_`, `.`, `-`; usernames and emails are unique case-insensitively. ' +
      'Passwords are 8–128 characters. Rate limited per IP (failed attempts).',
    tag: 'Auth',
    auth: false,
    limit: 'auth',
    body: registerBody,
    what: { body: 'registration' },
    reply: 'data',
    success: { status: 201, schema: dataEnvelope(AuthResult), description: 'Signed in' },
    errors: [409],
    handler: ({ body, req }, { auth }) => auth.register(body, clientMeta(req)),
  }),
  route({
    method: 'post',
    path: '/auth/login',
    operationId: 'login',
    summary: 'Sign in with email or username',
    description:
      'Give `email` or `username` (or `login`, either) and `password`. One message for an unknown ' +
      'user and a wrong password alike. Rate limited per IP (failed attempts).',
    tag: 'Auth',
    auth: false,
    limit: 'auth',
    body: loginBody,
    what: { body: 'login' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(AuthResult), description: 'Signed in' },
    errors: [401],
    handler: ({ body, req }, { auth }) => auth.login(body, clientMeta(req)),
  }),
  route({
    method: 'post',
    path: '/auth/refresh',
    operationId: 'refresh',
    summary: 'Exchange a refresh token for a new pair',
    description:
      'The old refresh token stops working; presenting an already rotated one revokes its whole session.',
    tag: 'Auth',
    auth: false,
    body: refreshBody,
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(AuthResult), description: 'A new token pair' },
    errors: [401],
    handler: ({ body }, { auth }) => auth.refresh(body.refreshToken),
  }),
  route({
    method: 'get',
    path: '/auth/me',
    operationId: 'me',
    summary: 'The current user',
    tag: 'Auth',
    auth: true,
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(OwnUser), description: 'My own profile' },
    errors: [],
    handler: ({ actor }, { auth }) => auth.me(actor),
  }),
  route({
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
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(LoggedOut), description: 'Signed out' },
    errors: [],
    handler: async ({ actor, body }, { auth }) => {
      await auth.logout(actor, body.refreshToken);
      return { loggedOut: true };
    },
  }),
  route({
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
    // The current password is checked: as brute-forceable as a login, so limited like one.
    limit: 'auth',
    body: changePasswordBody,
    what: { body: 'password change' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(PasswordChanged), description: 'Changed' },
    errors: [400, 403, 429],
    handler: ({ actor, body }, { auth }) => auth.changePassword(actor, body),
  }),
  route({
    method: 'post',
    path: '/auth/logout-all',
    operationId: 'logoutAll',
    summary: 'Sign out everywhere',
    description:
      'Revokes every session of mine, this one included; their sockets get `auth-expired` and are ' +
      'closed.',
    tag: 'Auth',
    auth: true,
    reply: 'data',
    success: {
      status: 200,
      schema: dataEnvelope(LoggedOutEverywhere),
      description: 'Signed out everywhere',
    },
    errors: [],
    handler: ({ actor }, { auth }) => auth.logoutAll(actor),
  }),
];
