import { dataEnvelope, OwnUser, pageEnvelope, PublicUser } from '../../openapi/schemas.js';
import { route } from '../declare.js';
import { searchUsersQuery, statusBody, updateProfileBody, userIdParams } from './users.schemas.js';

export const usersRoutes = [
  route({
    method: 'get',
    path: '/users/online',
    operationId: 'listOnlineUsers',
    summary: 'Users online who share a room with me',
    description:
      'Each item is a public user, like every other user list. One page holding everyone, at most ' +
      '1,000, by username (`nextCursor` is always null). Users who chose `offline` are left out.',
    tag: 'Users',
    auth: true,
    reply: 'page',
    success: { status: 200, schema: pageEnvelope(PublicUser), description: 'Online users' },
    errors: [],
    handler: async ({ actor }, { presence }) => {
      const online = await presence.onlineUsersFor(actor);
      return { items: online, page: { nextCursor: null, limit: online.length } };
    },
  }),
  route({
    method: 'get',
    path: '/users/profile',
    operationId: 'getMyProfile',
    summary: 'My profile (with email)',
    tag: 'Users',
    auth: true,
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(OwnUser), description: 'My profile' },
    errors: [],
    handler: ({ actor }, { users }) => users.getOwnProfile(actor),
  }),
  route({
    method: 'put',
    path: '/users/profile',
    operationId: 'updateMyProfile',
    summary: 'Change my display name or bio',
    description: 'An empty string or null clears a field.',
    tag: 'Users',
    auth: true,
    body: updateProfileBody,
    what: { body: 'profile' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(OwnUser), description: 'My profile' },
    errors: [],
    handler: ({ actor, body }, { users }) => users.updateProfile(actor, body),
  }),
  route({
    method: 'post',
    path: '/users/status',
    operationId: 'setStatus',
    summary: 'Choose my status',
    description: 'Users sharing a room get `user-status-update`; `offline` hides my presence.',
    tag: 'Users',
    auth: true,
    body: statusBody,
    what: { body: 'status' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(OwnUser), description: 'My profile' },
    errors: [],
    handler: ({ actor, body }, { users }) => users.setStatus(actor, body.status),
  }),
  route({
    method: 'get',
    path: '/users/search',
    operationId: 'searchUsers',
    summary: 'Find users by username or display name prefix',
    description: 'Never includes me. Paginated by `before` (or `cursor`).',
    tag: 'Users',
    auth: true,
    query: searchUsersQuery,
    what: { query: 'query' },
    reply: 'page',
    success: { status: 200, schema: pageEnvelope(PublicUser), description: 'Matching users' },
    errors: [],
    handler: async ({ actor, query }, { users }) => {
      const result = await users.search(actor, { ...query, cursor: query.cursor ?? query.before });
      return { items: result.users, page: result.page };
    },
  }),
  route({
    method: 'get',
    path: '/users/:id',
    operationId: 'getUser',
    summary: "A user's public profile",
    tag: 'Users',
    auth: true,
    params: userIdParams,
    what: { params: 'user id' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(PublicUser), description: 'The user' },
    errors: [404],
    handler: ({ params }, { users }) => users.getProfile(params.id),
  }),
];
