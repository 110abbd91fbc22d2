import fc from 'fast-check';
import type { TestUser } from '../helpers/factories.js';
import { SQL_INJECTION } from './hostile.js';

/** What the REST fuzzer knows of each route (keyed `METHOD /api/v1/path`, as the matrix rows). */
export interface RouteSpec {
  body?: Record<string, fc.Arbitrary<unknown>>;
  query?: Record<string, fc.Arbitrary<string>>;
  /** The multipart field of the file, for upload routes. */
  file?: string;
}

const limit = fc.constantFrom('1', '50', '100', '0', '-1', '101', '1e3', 'NaN', '9'.repeat(30));
/** Values that fit a cursor's shape but not PostgreSQL's types: huge, impossible, wrongly typed. */
const hostileKeyPart = fc.oneof(
  fc.constantFrom(1e39, -1e39, 1e308, Number.MAX_SAFE_INTEGER, -1, 0.5, 3),
  fc.constantFrom('99999999999999999999', '-99999999999999999999', '2024-13-45T99:99:99Z'),
  fc.constantFrom(
    'not a date',
    '+275760-09-13T00:00:00.001Z',
    '',
    '00000000-0000-0000-0000-000000000000',
  ),
  fc.string({ maxLength: 12 }),
  fc.double(),
  fc.integer(),
);
/** A correctly tagged cursor of every kind the API issues, with hostile contents. */
const taggedCursor = fc
  .tuple(
    fc.constantFrom('s', 'r', 'p', 'm', 'q', 'u', 'b', 'a', 'l', 'o', 'k'),
    fc.oneof(
      fc.array(hostileKeyPart, { maxLength: 4 }).map((a) => JSON.stringify(a)),
      hostileKeyPart.map(String),
      fc.constantFrom('{', '[1,', 'null', '{"__proto__":1}'),
    ),
  )
  .map(([kind, body]) => Buffer.from(`${kind}:${body}`, 'utf8').toString('base64url'));
const cursor = fc.oneof(
  fc.constantFrom('cz0x', 'MQ', '1', 'czo5OTk5'),
  fc.base64String(),
  taggedCursor,
);
const pageQuery = { limit, before: cursor, cursor };
/** Days for the stats range: real ones, far apart, at the edges of the calendar, and impossible ones. */
const statsDay = fc.oneof(
  fc
    .date({
      min: new Date('1969-12-01T00:00:00Z'),
      max: new Date('9999-12-31T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString().slice(0, 10)),
  fc.constantFrom(
    '0000-01-01',
    '0001-01-01',
    '1970-01-01',
    '2024-02-29',
    '2023-02-29',
    '9999-12-31',
    '+275760-09-13',
  ),
);

/** Per route: the known body fields, query fields, and the multipart file field, with valid values. */
export function routeSpecs(
  ids: { rooms: string[]; messages: string[]; users: string[] },
  keeper: Pick<TestUser, 'username' | 'email' | 'password'>,
): Record<string, RouteSpec> {
  const room = fc.constantFrom(...ids.rooms);
  const message = fc.constantFrom(...ids.messages);
  const user = fc.constantFrom(...ids.users);
  // Valid text may be hostile too: it must be stored and searched as plain text.
  const text = fc.oneof(
    fc.string({ minLength: 1, maxLength: 30 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
    fc.constantFrom(...SQL_INJECTION),
  );
  // Mentions: real and made-up names, `@all`, and the edges of the parser.
  const mentionText = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          `@${keeper.username}`,
          '@all',
          '@ALL.',
          '@@x',
          'a@b.c',
          '@',
          '@-.',
          '@all-',
        ),
        fc.stringMatching(/^@[A-Za-z0-9_.-]{0,40}$/),
        text,
      ),
      { minLength: 1, maxLength: 6 },
    )
    .map((parts) => parts.join(' ').slice(0, 4000));
  return {
    'POST /api/v1/auth/register': {
      body: {
        username: fc.stringMatching(/^[a-z0-9_]{3,16}$/),
        email: fc.emailAddress(),
        password: fc.string({ minLength: 8, maxLength: 40 }),
      },
    },
    'POST /api/v1/auth/login': {
      body: {
        username: fc.constant(keeper.username),
        email: fc.constant(keeper.email),
        login: fc.constant(keeper.username),
        password: fc.constant(keeper.password),
      },
    },
    'POST /api/v1/auth/refresh': { body: { refreshToken: text } },
    'GET /api/v1/auth/me': {},
    'POST /api/v1/auth/logout': { body: { refreshToken: text } },
    'POST /api/v1/auth/password': { body: { currentPassword: text, newPassword: text } },
    'POST /api/v1/auth/logout-all': {},
    'POST /api/v1/users/avatar': { file: 'avatar' },
    'GET /api/v1/users/online': {},
    'GET /api/v1/users/profile': {},
    'PUT /api/v1/users/profile': { body: { displayName: text, bio: text } },
    'POST /api/v1/users/status': {
      body: { status: fc.constantFrom('online', 'away', 'busy', 'offline') },
    },
    'GET /api/v1/users/search': { query: { q: text, ...pageQuery } },
    'GET /api/v1/users/:id': {},
    'GET /api/v1/users/blocked': { query: pageQuery },
    'GET /api/v1/users/me/export': {},
    // Never the right password: the callers must outlive the fuzzing.
    'DELETE /api/v1/users/me': { body: { password: text } },
    'POST /api/v1/users/:id/block': {},
    'DELETE /api/v1/users/:id/block': {},
    'GET /api/v1/rooms': { query: pageQuery },
    'POST /api/v1/rooms': {
      body: { name: text, type: fc.constantFrom('public', 'private', 'direct'), description: text },
    },
    'GET /api/v1/rooms/public': { query: { q: text, ...pageQuery } },
    'POST /api/v1/rooms/direct': { body: { userId: user } },
    'GET /api/v1/rooms/:id': {},
    'PATCH /api/v1/rooms/:id': {
      body: {
        name: text,
        description: text,
        slowModeSeconds: fc.oneof(fc.integer({ min: -5, max: 4000 }), text),
        retentionDays: fc.oneof(fc.integer({ min: -5, max: 40000 }), fc.constant(null), text),
      },
    },
    'POST /api/v1/rooms/:id/members/:userId/mute': {
      body: { minutes: fc.oneof(fc.integer({ min: -5, max: 600_000 }), fc.constant(null), text) },
    },
    'DELETE /api/v1/rooms/:id/members/:userId/mute': {},
    'GET /api/v1/rooms/:id/bans': { query: pageQuery },
    'POST /api/v1/rooms/:id/bans': { body: { userId: user, reason: text } },
    'DELETE /api/v1/rooms/:id/bans/:userId': {},
    'PUT /api/v1/rooms/:id/notifications': {
      body: { level: fc.oneof(fc.constantFrom('all', 'mentions', 'none'), text) },
    },
    'DELETE /api/v1/rooms/:id': {},
    'POST /api/v1/rooms/:id/join': {},
    'POST /api/v1/rooms/:id/leave': {},
    'GET /api/v1/rooms/:id/members': { query: pageQuery },
    'POST /api/v1/rooms/:id/members': { body: { userId: user } },
    'PATCH /api/v1/rooms/:id/members/:userId': {
      body: { role: fc.constantFrom('owner', 'admin', 'member') },
    },
    'DELETE /api/v1/rooms/:id/members/:userId': {},
    'GET /api/v1/messages': {
      query: {
        room,
        limit,
        before: cursor,
        after: cursor,
        rev: fc.oneof(fc.nat().map(String), cursor),
      },
    },
    'GET /api/v1/messages/search': { query: { q: text, room, ...pageQuery } },
    'GET /api/v1/mentions': { query: pageQuery },
    'GET /api/v1/push/vapid-public-key': {},
    'GET /api/v1/admin/users': {
      query: {
        q: text,
        status: fc.oneof(fc.constantFrom('active', 'deactivated'), text),
        ...pageQuery,
      },
    },
    'POST /api/v1/admin/users/:id/deactivate': { body: { reason: text } },
    'POST /api/v1/admin/users/:id/reactivate': {},
    'DELETE /api/v1/admin/messages/:id': {},
    'GET /api/v1/admin/rooms': { query: { q: text, ...pageQuery } },
    'DELETE /api/v1/admin/rooms/:id': {},
    'GET /api/v1/admin/reports': {
      query: { status: fc.oneof(fc.constantFrom('open', 'resolved'), text), ...pageQuery },
    },
    'POST /api/v1/admin/reports/:id/resolve': {
      body: {
        action: fc.oneof(fc.constantFrom('dismiss', 'delete-message', 'deactivate-sender'), text),
        note: text,
      },
    },
    'POST /api/v1/messages/:id/report': { body: { reason: text } },
    'GET /api/v1/admin/audit': {
      query: { actor: fc.oneof(user, text), action: text, ...pageQuery },
    },
    'GET /api/v1/admin/stats': {
      query: {
        from: fc.oneof(statsDay, text),
        to: fc.oneof(statsDay, text),
      },
    },
    'POST /api/v1/push/subscriptions': {
      body: {
        endpoint: fc.oneof(
          fc.webUrl(),
          fc.constantFrom(
            'https://127.0.0.1/x',
            'http://push.example.com/x',
            'https://[::1]/x',
            'https://169.254.169.254/latest/meta-data',
            'file:///etc/passwd',
          ),
          text,
        ),
        keys: fc.record({
          p256dh: fc.oneof(fc.base64String(), text),
          auth: fc.oneof(fc.base64String(), text),
        }),
      },
    },
    'DELETE /api/v1/push/subscriptions': { body: { endpoint: fc.oneof(fc.webUrl(), text) } },
    'POST /api/v1/messages': {
      body: {
        room,
        content: fc.oneof(text, mentionText),
        replyTo: fc.option(message, { nil: undefined }),
        clientId: fc.option(fc.uuid(), { nil: undefined }),
      },
    },
    'PUT /api/v1/messages/:id': { body: { content: fc.oneof(text, mentionText) } },
    'DELETE /api/v1/messages/:id': {},
    'POST /api/v1/messages/:id/read': {},
    'POST /api/v1/messages/:id/react': { body: { emoji: fc.constantFrom('👍', '🔥', ':smile:') } },
    'POST /api/v1/files/upload': {
      body: { room, caption: text, clientId: fc.uuid() },
      file: 'file',
    },
    'GET /api/v1/files/media/:room': {
      query: { type: fc.constantFrom('image', 'video', 'document'), ...pageQuery },
    },
    'GET /api/v1/files/stats/:room': {},
    'DELETE /api/v1/files/:messageId': {},
  };
}
