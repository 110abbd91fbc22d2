import { sendJsonStream } from '../../http/respond.js';
import { dataEnvelope, OwnUser, pageEnvelope, PublicUser } from '../../openapi/schemas.js';
import { route } from '../declare.js';
import {
  BlockedUser,
  blockedQuery,
  BlockState,
  Erasure,
  eraseBody,
  MyDataExport,
  searchUsersQuery,
  statusBody,
  updateProfileBody,
  userIdParams,
} from './users.schemas.js';

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
    path: '/users/blocked',
    operationId: 'listBlockedUsers',
    summary: 'The users I blocked',
    description: 'Most recent block first, paginated by `before`.',
    tag: 'Users',
    auth: true,
    query: blockedQuery,
    what: { query: 'query' },
    reply: 'page',
    success: { status: 200, schema: pageEnvelope(BlockedUser), description: 'My block list' },
    errors: [],
    handler: ({ actor, query }, { users }) => users.listBlocked(actor, query),
  }),
  route({
    method: 'post',
    path: '/users/:id/block',
    operationId: 'blockUser',
    summary: 'Block a user',
    description:
      'They get no push to me for their messages, and neither of us can open or write in a direct ' +
      'room with the other (403). In shared rooms their messages still reach me. Blocking again ' +
      'changes nothing; blocking myself is 400.',
    tag: 'Users',
    auth: true,
    params: userIdParams,
    what: { params: 'user id' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(BlockState), description: 'Blocked' },
    errors: [404],
    handler: ({ actor, params }, { users }) => users.block(actor, params.id),
  }),
  route({
    method: 'delete',
    path: '/users/:id/block',
    operationId: 'unblockUser',
    summary: 'Unblock a user',
    description: 'Unblocking someone I did not block is not an error.',
    tag: 'Users',
    auth: true,
    params: userIdParams,
    what: { params: 'user id' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(BlockState), description: 'Not blocked' },
    errors: [404],
    handler: ({ actor, params }, { users }) => users.unblock(actor, params.id),
  }),
  route({
    method: 'get',
    path: '/users/me/export',
    operationId: 'exportMyData',
    summary: 'Download my data',
    description:
      'One JSON document (as an attachment, `export-<username>.json`): my profile, my rooms with my ' +
      'role, every message I sent (in rooms I left too; a deleted one without its content) and my ' +
      "files with fresh signed URLs. Nothing of other people's messages. Written as it is read, page " +
      'by page, so its size is not limited by memory; should the server fail midway the download is ' +
      'cut short (invalid JSON), never passed off as complete. Limited per user ' +
      '(`EXPORT_RATE_LIMIT_MAX` per `RATE_LIMIT_WINDOW_MS`).',
    tag: 'Users',
    auth: true,
    limit: 'export',
    reply: 'raw',
    success: { status: 200, schema: dataEnvelope(MyDataExport), description: 'My data' },
    errors: [429],
    handler: async ({ actor, res }, { myData }) => {
      const { filename, body } = await myData.exportData(actor);
      async function* document() {
        yield '{"success":true,"data":';
        yield* body;
        yield '}';
      }
      await sendJsonStream(res, document(), {
        'Content-Disposition': `attachment; filename="${filename}"`,
        'Cache-Control': 'no-store',
      });
    },
  }),
  route({
    method: 'delete',
    path: '/users/me',
    operationId: 'eraseMyAccount',
    summary: 'Erase my account',
    description:
      'Needs my password (403 when it is not right; limited like a login). Every session is revoked ' +
      'and every socket closed; my messages are deleted as tombstones (the rooms hear ' +
      '`message-deleted`), my files and avatar deleted, every room left (an owner hands the room to ' +
      'the longest-standing admin, else member; a room left empty is deleted), my push subscriptions ' +
      'and blocks removed; then the account is anonymised (`deleted-user-<n>`, no email, no profile) ' +
      'and can never sign in again. My username and email are free at once. Asking again after a ' +
      'failure finishes the job.',
    tag: 'Users',
    auth: true,
    limit: 'auth',
    body: eraseBody,
    what: { body: 'erasure' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(Erasure), description: 'Erased' },
    errors: [403, 429],
    handler: ({ actor, body }, { myData }) => myData.erase(actor, body.password),
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
