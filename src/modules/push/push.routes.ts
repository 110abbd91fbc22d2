import { withStatus } from '../../http/route.js';
import { dataEnvelope } from '../../openapi/schemas.js';
import { route } from '../declare.js';
import {
  PushSubscription,
  PushUnsubscribed,
  subscribeBody,
  unsubscribeBody,
  VapidPublicKey,
} from './push.schemas.js';

export const pushRoutes = [
  route({
    method: 'get',
    path: '/push/vapid-public-key',
    operationId: 'getVapidPublicKey',
    summary: "The server's VAPID public key",
    description: 'Pass it as `applicationServerKey` to `pushManager.subscribe()`.',
    tag: 'Push',
    auth: true,
    what: {},
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(VapidPublicKey), description: 'The key' },
    errors: [],
    handler: (_req, { push }) => push.publicKey(),
  }),
  route({
    method: 'post',
    path: '/push/subscriptions',
    operationId: 'subscribePush',
    summary: 'Register a Web Push subscription',
    description:
      'The `PushSubscription` of a browser (`endpoint`, `keys.p256dh`, `keys.auth`). The same endpoint ' +
      'again replaces it. The endpoint must be `https:` on a public address (unless ' +
      '`PUSH_ALLOW_PRIVATE_ENDPOINTS=true`).',
    tag: 'Push',
    auth: true,
    body: subscribeBody,
    what: { body: 'subscription' },
    reply: 'data',
    success: { status: 201, schema: dataEnvelope(PushSubscription), description: 'Registered' },
    errors: [],
    handler: async ({ actor, body }, { push }) =>
      withStatus(201, await push.subscribe(actor, body)),
  }),
  route({
    method: 'delete',
    path: '/push/subscriptions',
    operationId: 'unsubscribePush',
    summary: 'Remove one of my Web Push subscriptions',
    tag: 'Push',
    auth: true,
    body: unsubscribeBody,
    what: { body: 'subscription' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(PushUnsubscribed), description: 'Removed' },
    errors: [404],
    handler: ({ actor, body }, { push }) => push.unsubscribe(actor, body.endpoint),
  }),
];
