import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { clientEvents } from '../../src/modules/index.js';
import { ackSchemas, documentedServerEvents as serverEvents } from '../../src/openapi/asyncapi.js';
import { AckError } from '../../src/openapi/schemas.js';
import { SOCKET_DOCS_PATH, socketEventsMarkdown } from '../../src/openapi/socket-markdown.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createUser, login, uniqueRoomName, type TestUser } from '../helpers/factories.js';
import { connectRecorded, handledEvents, type RecordedSocket } from '../helpers/sockets.js';

interface AsyncDoc {
  asyncapi: string;
  channels: Record<string, { messages: Record<string, { $ref: string }> }>;
  operations: Record<
    string,
    { action: string; messages: { $ref: string }[]; reply?: { messages: { $ref: string }[] } }
  >;
  components: { messages: Record<string, { payload: unknown }>; schemas: Record<string, unknown> };
}

/** Socket.io's own events (it listens to `error` itself), and the app's disconnect handling. */
const RESERVED = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'error']);

let t: TestApp;
let doc: AsyncDoc;
let alice: TestUser;
let bob: TestUser;
const open: RecordedSocket[] = [];

beforeAll(async () => {
  // No grace period, so `user-offline` comes at once when the last socket closes.
  t = await startTestApp({ env: { PRESENCE_GRACE_MS: '0' } });
  const res = await t.http.get('/api/docs/asyncapi.json');
  expect(res.status).toBe(200);
  doc = res.body as AsyncDoc;
  alice = await createUser(t);
  bob = await createUser(t);
});

afterAll(async () => {
  for (const s of open) s.close();
  await t?.stop();
});

async function connect(user: TestUser): Promise<RecordedSocket> {
  const s = await connectRecorded(t.url, user.accessToken);
  open.push(s);
  return s;
}

function parses(schema: z.ZodType, value: unknown, label: string): void {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new Error(
      `${label}: ${z.prettifyError(result.error)}\n${JSON.stringify(value).slice(0, 1500)}`,
    );
  }
}

/** Emits a client event and checks its acknowledgement against the documented schema. */
async function ack(s: RecordedSocket, event: string, payload: unknown): Promise<unknown> {
  const reply = await s.ack(event, payload);
  expect(reply.success, `${event}: ${JSON.stringify(reply)}`).toBe(true);
  parses(ackSchemas.get(event)!, reply, `${event} ack`);
  return reply.data;
}

const resolveRef = (ref: string): unknown =>
  ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], doc);

describe('the AsyncAPI document', () => {
  it('is AsyncAPI 3.0 with an operation and message per event, all references resolving', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    for (const e of clientEvents) {
      const op = doc.operations[e.name]!;
      expect(op.action, e.name).toBe('receive');
      expect(op.reply?.messages.length).toBe(2);
    }
    for (const e of serverEvents) expect(doc.operations[e.name]?.action, e.name).toBe('send');
    expect(Object.keys(doc.operations).sort()).toEqual(
      [...clientEvents, ...serverEvents].map((e) => e.name).sort(),
    );
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of new Set(refs)) {
      const pointer = ref.slice(8, -1);
      expect(resolveRef(pointer), pointer).toBeDefined();
    }
  });

  it('documents exactly the events the socket handlers register', async () => {
    const s = await connect(alice);
    const serverSocket = [...t.io.of('/').sockets.values()].find((x) => x.id === s.socket.id)!;
    const registered = handledEvents(serverSocket).filter((name) => !RESERVED.has(name));
    expect(registered.sort()).toEqual(clientEvents.map((e) => e.name).sort());
    s.close();
  });

  it('describes every event payload and acknowledgement the server sends', async () => {
    const sa = await connect(alice);
    const sb = await connect(bob);
    await sa.waitFor('user-online', (p: { userId: string }) => p.userId === bob.id);
    await sb.waitFor('online-users');

    const created = await t.http
      .post('/api/rooms')
      .set(alice.auth)
      .send({ name: uniqueRoomName('Sockets'), type: 'public' });
    const room = (created.body as { data: { id: string } }).data.id;

    await ack(sb, 'join-room', { room });
    await sa.waitFor('member-joined');
    const message = (await ack(sa, 'send-message', { room, content: 'hi over sockets' })) as {
      id: string;
    };
    await sb.waitFor('new-message');
    await ack(sb, 'typing-start', { room });
    await sa.waitFor('user-typing', (p: { isTyping: boolean }) => p.isTyping);
    await ack(sb, 'typing-stop', { room });
    await sa.waitFor('user-typing', (p: { isTyping: boolean }) => !p.isTyping);
    await ack(sb, 'message-read', { messageId: message.id });
    await sa.waitFor('message-read-receipt');
    await ack(sb, 'user-status', { status: 'busy' });
    await sa.waitFor('user-status-update');

    await t.http.put(`/api/messages/${message.id}`).set(alice.auth).send({ content: 'edited' });
    await sb.waitFor('message-updated');
    await t.http.post(`/api/messages/${message.id}/react`).set(bob.auth).send({ emoji: '🎉' });
    await sa.waitFor('message-reaction');
    await t.http.delete(`/api/messages/${message.id}`).set(alice.auth);
    await sb.waitFor('message-deleted');

    const sync = (await ack(sb, 'sync', {
      rooms: [
        { room, after: 0 },
        { room: 'no-such-room', after: 0 },
      ],
    })) as { messages?: { deleted?: boolean }[]; error?: unknown }[];
    expect(sync[0]!.messages?.some((m) => m.deleted)).toBe(true);
    expect(sync[1]!.error).toBeDefined();
    await ack(sb, 'reauth', { token: bob.accessToken });

    await t.http.patch(`/api/rooms/${room}`).set(alice.auth).send({ name: 'Sockets renamed' });
    await sb.waitFor('room-updated');
    await t.http
      .patch(`/api/rooms/${room}/members/${bob.id}`)
      .set(alice.auth)
      .send({ role: 'admin' });
    await sb.waitFor('member-updated');

    const priv = await t.http
      .post('/api/rooms')
      .set(alice.auth)
      .send({ name: uniqueRoomName(), type: 'private' });
    const privId = (priv.body as { data: { id: string } }).data.id;
    await t.http.post(`/api/rooms/${privId}/members`).set(alice.auth).send({ userId: bob.id });
    await sb.waitFor('room-joined');
    await t.http.delete(`/api/rooms/${privId}/members/${bob.id}`).set(alice.auth);
    await sa.waitFor('member-left');
    await sb.waitFor('room-left');

    await ack(sb, 'leave-room', { room });
    await t.http.post(`/api/rooms/${room}/join`).set(bob.auth);
    await t.http.delete(`/api/rooms/${room}`).set(alice.auth);
    await sb.waitFor('room-deleted');

    const failed = await sb.ack('send-message', { room: privId });
    parses(AckError, failed, 'failed ack');

    sb.close();
    await sa.waitFor('user-offline', (p: { userId: string }) => p.userId === bob.id);

    const session = await login(t, alice);
    const sc = await connectRecorded(t.url, session.accessToken);
    open.push(sc);
    await t.http.post('/api/auth/logout').set(session.auth);
    await sc.waitFor('auth-expired');

    const documented = new Map(serverEvents.map((e) => [e.name, e.payload]));
    const seen = new Set<string>();
    for (const { event, payload } of [...sa.received, ...sb.received, ...sc.received]) {
      const schema = documented.get(event);
      expect(schema, `undocumented server event ${event}`).toBeDefined();
      parses(schema!, payload, event);
      seen.add(event);
    }
    expect([...seen].sort()).toEqual([...documented.keys()].sort());
  });
});

describe('docs/socket-events.md', () => {
  it('is what `npm run docs:sockets` generates now', async () => {
    const path = resolve(process.cwd(), SOCKET_DOCS_PATH);
    const committed = await readFile(path, 'utf8').catch(() => '');
    expect(committed, 'run `npm run docs:sockets` and commit docs/socket-events.md').toBe(
      await socketEventsMarkdown(path),
    );
  });
});
