import {
  componentSchemas,
  inputSchema,
  outputSchema,
  pruneComponents,
  type JsonSchema,
} from './json-schema.js';
import { z } from 'zod';
import { clientEvents, serverEvents } from '../modules/index.js';
import type { ServerEvent } from '../realtime/event.js';
import { realtimeServerEvents } from '../realtime/realtime.events.js';
import { AckError, named } from './schemas.js';

/** AsyncAPI's default schema format is a superset of JSON Schema draft-07. */
const TARGET = 'draft-07';

export const SOCKET_DESCRIPTION = `Socket.io (v4) on the same HTTP server as the REST API, default namespace \`/\`.

- Connect with the access token as \`auth: { token }\` (an \`Authorization: Bearer\` header also works). A refused connection gets \`connect_error\` with \`data.code\`: \`UNAUTHORIZED\`, \`SERVICE_UNAVAILABLE\`, or \`RATE_LIMITED\` (too many open sockets for the user or the address, \`SOCKET_MAX_PER_USER\` and \`SOCKET_MAX_PER_IP\`, or too many handshakes from the address, \`SOCKET_HANDSHAKE_LIMIT\` a minute; \`data.retryAfter\` in seconds when known).
- A socket lives as long as its access token and its session. Send \`reauth\` with the fresh token after a refresh; otherwise, when the token expires, or when the session is revoked or expires, the server sends \`auth-expired\` \`{ reason }\` and disconnects the socket. From the moment the token has expired its events are refused with \`UNAUTHORIZED\`.
- On connect, a socket is subscribed to all its user's rooms and receives \`online-users\`.
- Every client → server event takes an acknowledgement callback, answered with \`{ success: true, data }\` or \`{ success: false, error: { code, message, details?, retryAfter? } }\`, the same codes as REST (\`RATE_LIMITED\` when a user sends too fast: \`send-message\` is counted per user across all their sockets, other events per socket; or in a room's slow mode, with \`retryAfter\` in seconds like REST's \`Retry-After\`).
- A change made over REST reaches sockets exactly as one made over a socket. A socket receives events only for rooms it may read.`;

const CHANNEL = '#/channels/socket';
const ACK_ERROR = 'ack-error';

export interface AsyncApiDocument {
  asyncapi: string;
  info: Record<string, unknown>;
  channels: { socket: { messages: Record<string, unknown> } & Record<string, unknown> };
  operations: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, JsonSchema>;
    messages: Record<string, Record<string, unknown>>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

const messageRef = (key: string) => ({ $ref: `${CHANNEL}/messages/${key}` });

/** Every server → client event: the features', then the realtime layer's own. */
export const documentedServerEvents: ServerEvent[] = [...serverEvents, ...realtimeServerEvents];

/** `{ success: true, data }` for an acknowledgement, registered as `<Event>Ack`. */
function ackOf(event: string, data: z.ZodType) {
  const name = `${event
    .split('-')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')}Ack`;
  return named(name, z.strictObject({ success: z.literal(true), data }));
}

/** The successful acknowledgement of each client event, by event name. */
export const ackSchemas = new Map(clientEvents.map((e) => [e.name, ackOf(e.name, e.ack)]));

/** The AsyncAPI 3.0 document of the Socket.io events, generated from their declarations. */
export function buildAsyncApiDocument(): AsyncApiDocument {
  const messages: AsyncApiDocument['components']['messages'] = {};
  const operations: AsyncApiDocument['operations'] = {};

  messages[ACK_ERROR] = {
    name: ACK_ERROR,
    title: 'Failed acknowledgement',
    payload: outputSchema(AckError, TARGET),
  };

  for (const event of clientEvents) {
    const ackKey = `${event.name}.ack`;
    messages[event.name] = {
      name: event.name,
      title: event.name,
      summary: event.summary,
      payload: inputSchema(event.payload, TARGET),
    };
    messages[ackKey] = {
      name: ackKey,
      title: `${event.name} acknowledgement`,
      payload: outputSchema(ackSchemas.get(event.name)!, TARGET),
    };
    operations[event.name] = {
      action: 'receive',
      channel: { $ref: CHANNEL },
      title: event.name,
      summary: event.summary,
      tags: [{ name: 'client-to-server' }],
      messages: [messageRef(event.name)],
      reply: {
        channel: { $ref: CHANNEL },
        messages: [messageRef(ackKey), messageRef(ACK_ERROR)],
      },
    };
  }

  for (const event of documentedServerEvents) {
    messages[event.name] = {
      name: event.name,
      title: event.name,
      summary: event.summary,
      description: `Sent to: ${event.audience}.`,
      payload: outputSchema(event.payload, TARGET),
    };
    operations[event.name] = {
      action: 'send',
      channel: { $ref: CHANNEL },
      title: event.name,
      summary: event.summary,
      description: `Sent to: ${event.audience}.`,
      tags: [{ name: 'server-to-client' }],
      messages: [messageRef(event.name)],
    };
  }

  const doc: AsyncApiDocument = {
    asyncapi: '3.0.0',
    info: {
      title: 'Chat realtime API',
      version: '1',
      description: SOCKET_DESCRIPTION,
    },
    defaultContentType: 'application/json',
    servers: {
      api: {
        host: '{host}',
        protocol: 'ws',
        pathname: '/socket.io',
        title: 'This server',
        description:
          'Socket.io (Engine.IO 4) over WebSocket, with HTTP long-polling as a fallback.',
        variables: { host: { default: 'localhost:5000' } },
        security: [{ $ref: '#/components/securitySchemes/accessToken' }],
      },
    },
    channels: {
      socket: {
        address: '/',
        title: 'Default namespace',
        messages: Object.fromEntries(
          Object.keys(messages).map((key) => [key, { $ref: `#/components/messages/${key}` }]),
        ),
      },
    },
    operations,
    components: {
      schemas: {},
      messages,
      securitySchemes: {
        accessToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'The REST access token, sent as `auth.token` in the Socket.io handshake (or as an Authorization header).',
        },
      },
    },
  };
  doc.components.schemas = pruneComponents(doc, componentSchemas(TARGET));
  return doc;
}
