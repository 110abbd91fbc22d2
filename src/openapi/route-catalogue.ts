import { z } from 'zod';
import { fullPath, type RouteDoc } from './route-types.js';
import { authRoutesDoc, usersRoutesDoc } from './routes-auth-users.js';
import { filesRoutesDoc, messagesRoutesDoc } from './routes-messages-files.js';
import { roomsRoutesDoc } from './routes-rooms.js';
import { Health } from './schemas.js';

export * from './route-types.js';

const systemRoutesDoc: RouteDoc[] = [
  {
    method: 'get',
    path: '/health',
    root: true,
    operationId: 'health',
    summary: 'Liveness and database check',
    tag: 'System',
    auth: false,
    success: { status: 200, schema: Health, description: 'Healthy' },
    alternatives: [{ status: 503, schema: Health, description: 'The database does not answer' }],
    errors: [],
  },
  {
    method: 'get',
    path: '/metrics',
    root: true,
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    description:
      'With METRICS_TOKEN set, `Authorization: Bearer <METRICS_TOKEN>` is required (401 otherwise); ' +
      'without, only loopback callers are answered, and only when no TRUST_PROXY is set (403 otherwise).',
    tag: 'System',
    auth: false,
    success: {
      status: 200,
      schema: z.string(),
      contentType: 'text/plain',
      description: 'Prometheus text exposition format',
    },
    errors: [401, 403],
  },
];

/** Every route the app serves, in the order the docs show them. */
export const routeCatalogue: RouteDoc[] = [
  ...authRoutesDoc,
  ...usersRoutesDoc,
  ...roomsRoutesDoc,
  ...messagesRoutesDoc,
  ...filesRoutesDoc,
  ...systemRoutesDoc,
];

/** The documented route for a method and a `{param}` path (as Express serves it), if any. */
export function findRoute(method: string, path: string): RouteDoc | undefined {
  const m = method.toLowerCase();
  return routeCatalogue.find((r) => r.method === m && fullPath(r) === path);
}
