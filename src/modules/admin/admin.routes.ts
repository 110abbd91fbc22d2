import { dataEnvelope, pageEnvelope } from '../../openapi/schemas.js';
import { route } from '../declare.js';
import { adminUserParams, AdminUser, adminUsersQuery, deactivateBody } from './admin.schemas.js';

const ADMINS =
  'Instance admins only (403 for everyone else, decided by the database at each call).';

export const adminRoutes = [
  route({
    method: 'get',
    path: '/admin/users',
    operationId: 'adminListUsers',
    summary: 'Every user, with email, role, last sign-in and deactivation',
    description: `Newest first; \`q\` is a prefix of username, email or display name. ${ADMINS}`,
    tag: 'Admin',
    auth: true,
    query: adminUsersQuery,
    what: { query: 'query' },
    reply: 'page',
    success: { status: 200, schema: pageEnvelope(AdminUser), description: 'Users' },
    errors: [403],
    handler: ({ actor, query }, { admin }) => admin.listUsers(actor, query),
  }),
  route({
    method: 'post',
    path: '/admin/users/:id/deactivate',
    operationId: 'adminDeactivateUser',
    summary: 'Deactivate an account',
    description:
      'At once on every node: every session revoked, every socket closed, login refused with 403. ' +
      `An admin cannot deactivate themself (400). Recorded in the audit log. ${ADMINS}`,
    tag: 'Admin',
    auth: true,
    params: adminUserParams,
    body: deactivateBody,
    what: { params: 'user id', body: 'reason' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(AdminUser), description: 'Deactivated' },
    errors: [403, 404],
    handler: ({ actor, params, body }, { admin }) =>
      admin.deactivate(actor, params.id, body.reason),
  }),
  route({
    method: 'post',
    path: '/admin/users/:id/reactivate',
    operationId: 'adminReactivateUser',
    summary: 'Reactivate an account',
    description: `The user can sign in again. Recorded in the audit log. ${ADMINS}`,
    tag: 'Admin',
    auth: true,
    params: adminUserParams,
    what: { params: 'user id' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(AdminUser), description: 'Reactivated' },
    errors: [403, 404],
    handler: ({ actor, params }, { admin }) => admin.reactivate(actor, params.id),
  }),
];
