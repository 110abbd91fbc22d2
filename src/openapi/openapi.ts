import { ERROR_STATUS, type ErrorCode } from '../errors.js';
import {
  componentSchemas,
  inputSchema,
  outputSchema,
  pruneComponents,
  type JsonSchema,
} from './json-schema.js';
import {
  errorStatusesOf,
  fullPath,
  templatePath,
  type ResponseDoc,
  type Route,
  type Tag,
} from '../http/route.js';

const TARGET = 'draft-2020-12';

const TAGS: Record<Tag, string> = {
  Auth: 'Accounts, sign-in and sessions',
  Users: 'Profiles, status, presence and search',
  Rooms: 'Public, private and direct rooms and their members',
  Messages: 'History, sending, editing, reactions, read marks and search',
  Push: 'Web Push: the VAPID key and browser subscriptions',
  Moderation: 'Room moderation: mutes and bans (room owner/admins and instance admins)',
  Admin: 'Instance administration (admins only)',
  Files: 'Uploads into rooms and their listings',
  System: 'Health and metrics, outside /api/v1',
};

const DESCRIPTION = `The REST half of the chat backend; the Socket.io half is described by the AsyncAPI document at \`/api/docs/asyncapi.json\` (and \`docs/socket-events.md\`).

- Every \`/api/v1/...\` route is also served at \`/api/...\`; \`/health\`, \`/metrics\` and the \`/files/...\` downloads are at the root.
- Success: \`{ "success": true, "data": ... }\`; lists add \`page: { nextCursor, limit }\`. Pagination is by cursor, newest first: \`?limit=\` (default 50, max 100) and \`?before=<nextCursor>\`.
- Errors: \`{ "success": false, "error": { "code", "message", "details"? } }\`; the code fits the status. 429 carries \`Retry-After\`.
- Auth: \`Authorization: Bearer <accessToken>\` from register, login or refresh.
- Ids are opaque strings; times are ISO 8601 in UTC.
- \`file.url\` and \`file.thumbnailUrl\` are signed URLs (served under \`/files/...\` by the local storage driver, by the storage service otherwise); they are handed out by the API, not built by clients, and expire.`;

const CODE_OF_STATUS = new Map<number, ErrorCode>(
  Object.entries(ERROR_STATUS).map(([code, status]) => [status, code as ErrorCode]),
);

const responseName = (code: ErrorCode) =>
  code
    .toLowerCase()
    .split('_')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

function errorResponses(): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [code, status] of Object.entries(ERROR_STATUS)) {
    const response: Record<string, unknown> = {
      description: `${status} ${code}`,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
    if (code === 'RATE_LIMITED') {
      response.headers = {
        'Retry-After': {
          description: 'Seconds to wait before retrying',
          schema: { type: 'integer', minimum: 1 },
        },
      };
    }
    responses[responseName(code as ErrorCode)] = response;
  }
  return responses;
}

function objectProperties(schema: JsonSchema): [string, JsonSchema, boolean][] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => [name, s, required.has(name)]);
}

function parameters(route: Route): unknown[] {
  const list: unknown[] = [];
  const template = [...templatePath(route.path).matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  const params = route.params ? objectProperties(inputSchema(route.params, TARGET)) : [];
  const names = params.map(([name]) => name);
  if (template.join() !== names.join()) {
    throw new Error(`${route.operationId}: path ${route.path} vs params schema [${names.join()}]`);
  }
  for (const [name, schema] of params) list.push({ name, in: 'path', required: true, schema });
  if (route.query) {
    for (const [name, schema, required] of objectProperties(inputSchema(route.query, TARGET))) {
      list.push({ name, in: 'query', required, schema });
    }
  }
  return list;
}

function requestBody(route: Route): unknown {
  if (route.body) {
    return {
      // A body whose schema accepts nothing at all (logout's defaults to {}) may be left out.
      required: !route.body.safeParse(undefined).success,
      content: { 'application/json': { schema: inputSchema(route.body, TARGET) } },
    };
  }
  if (route.multipart) {
    return {
      required: true,
      content: { 'multipart/form-data': { schema: inputSchema(route.multipart.doc, TARGET) } },
    };
  }
  return undefined;
}

function response(doc: ResponseDoc): unknown {
  const contentType = doc.contentType ?? 'application/json';
  return {
    description: doc.description,
    content: { [contentType]: { schema: outputSchema(doc.schema, TARGET) } },
  };
}

function operation(route: Route): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  responses[route.success.status] = response(route.success);
  for (const status of route.success.also ?? []) responses[status] = response(route.success);
  for (const alt of route.alternatives ?? []) responses[alt.status] = response(alt);
  for (const status of errorStatusesOf(route)) {
    const code = CODE_OF_STATUS.get(status);
    if (!code) throw new Error(`${route.operationId}: no error code answers with ${status}`);
    responses[status] = { $ref: `#/components/responses/${responseName(code)}` };
  }
  const op: Record<string, unknown> = {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    security: route.auth ? [{ bearerAuth: [] }] : (route.security ?? []),
  };
  const params = parameters(route);
  if (params.length > 0) op.parameters = params;
  const body = requestBody(route);
  if (body) op.requestBody = body;
  op.responses = responses;
  return op;
}

export interface OpenApiDocument {
  openapi: string;
  info: Record<string, unknown>;
  servers: { url: string; description?: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, JsonSchema>; [k: string]: unknown };
  [k: string]: unknown;
}

/**
 * The OpenAPI 3.1 document of the declared routes (the ones the app mounts), generated from their zod
 * schemas. Paths are full (`/api/v1/rooms/{id}`, `/health`), under the server root.
 */
export function buildOpenApiDocument(routes: readonly Route[]): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const path = templatePath(fullPath(route));
    const item = (paths[path] ??= {});
    if (item[route.method]) throw new Error(`${route.method} ${path} declared twice`);
    item[route.method] = operation(route);
  }
  const doc: OpenApiDocument = {
    openapi: '3.1.0',
    info: { title: 'Chat API', version: '1', description: DESCRIPTION },
    servers: [{ url: '/', description: 'This server' }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: {},
      responses: errorResponses(),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The accessToken from register, login or refresh',
        },
        metricsToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'METRICS_TOKEN, when the server has one',
        },
      },
    },
  };
  doc.components.schemas = pruneComponents(doc, componentSchemas(TARGET));
  return doc;
}
