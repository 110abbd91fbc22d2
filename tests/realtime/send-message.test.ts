import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  listMessages,
  sendMessage,
  type TestMessage,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';
import { socketPool, type RecordedSocket } from '../helpers/sockets.js';
import { roundTrip } from './support.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let stranger: TestUser;
let room: TestRoom;
let otherRoom: TestRoom;
const sockets = socketPool();

beforeAll(async () => {
  t = await startTestApp();
  [alice, bob, stranger] = [await createUser(t), await createUser(t), await createUser(t)];
  room = await createRoom(t, alice, { members: [bob] });
  otherRoom = await createRoom(t, alice, { members: [bob] });
});
afterEach(() => sockets.closeAll());
afterAll(async () => {
  await t?.stop();
});

const expectValidationAck = (reply: { success: boolean; error?: { code: string } }) =>
  expect(reply).toMatchObject({
    success: false,
    error: { code: 'VALIDATION_ERROR', message: expect.any(String) },
  });

describe('send-message', () => {
  it('acks { success: true, data: message } and the room receives it as new-message', async () => {
    const a = await sockets.connect(t.url, alice.accessToken);
    const b = await sockets.connect(t.url, bob.accessToken);
    const reply = await a.ack<TestMessage>('send-message', { room: room.id, content: '  hello  ' });
    expect(reply.success).toBe(true);
    const message = reply.data!;
    expect(message).toMatchObject({
      id: expect.any(String),
      room: room.id,
      seq: expect.any(Number),
      sender: { id: alice.id, username: alice.username },
      content: 'hello',
      type: 'text',
      replyTo: null,
      reactions: [],
      editedAt: null,
    });
    expect(await b.waitFor<TestMessage>('new-message', (m) => m.id === message.id)).toEqual(
      message,
    );
  });

  it('accepts the room by slug as well as by id', async () => {
    const a = await sockets.connect(t.url, alice.accessToken);
    const reply = await a.ack<TestMessage>('send-message', { room: room.slug, content: 'slug' });
    expect(reply).toMatchObject({ success: true, data: { room: room.id } });
  });

  it('with the same clientId twice acks the same message and stores it once', async () => {
    const a = await sockets.connect(t.url, alice.accessToken);
    const b = await sockets.connect(t.url, bob.accessToken);
    const payload = { room: otherRoom.id, content: 'once only', clientId: 'c-42:retry.1' };
    const first = await a.ack<TestMessage>('send-message', payload);
    const second = await a.ack<TestMessage>('send-message', payload);
    expect(first.success && second.success).toBe(true);
    expect(second.data!.id).toBe(first.data!.id);
    expect(second.data!.seq).toBe(first.data!.seq);
    const { data } = await listMessages(t, alice, otherRoom.id, 'limit=100');
    expect(data.filter((m) => 'content' in m && m.content === 'once only')).toHaveLength(1);
    await roundTrip(b);
    expect(b.payloads<TestMessage>('new-message', (m) => m.id === first.data!.id)).toHaveLength(1);
  });

  it('with the same clientId over REST then socket returns the REST message', async () => {
    const a = await sockets.connect(t.url, alice.accessToken);
    const sent = await sendMessage(t, alice, room.id, 'rest first', { clientId: 'shared-1' });
    const reply = await a.ack<TestMessage>('send-message', {
      room: room.id,
      content: 'rest first',
      clientId: 'shared-1',
    });
    expect(reply).toMatchObject({ success: true, data: { id: sent.id } });
  });

  it('with replyTo of a message in the room acks a reply to it', async () => {
    const a = await sockets.connect(t.url, bob.accessToken);
    const parent = await sendMessage(t, alice, room.id, 'parent');
    const reply = await a.ack<TestMessage>('send-message', {
      room: room.id,
      content: 'child',
      replyTo: parent.id,
    });
    expect(reply).toMatchObject({ success: true, data: { replyTo: parent.id, content: 'child' } });
  });

  it('to a private room the user is not in acks NOT_FOUND', async () => {
    const s = await sockets.connect(t.url, stranger.accessToken);
    const reply = await s.ack('send-message', { room: room.id, content: 'let me in' });
    expect(reply).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });

  it('to a room that does not exist acks NOT_FOUND', async () => {
    const s = await sockets.connect(t.url, alice.accessToken);
    const reply = await s.ack('send-message', { room: 'no-such-room', content: 'hello?' });
    expect(reply).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });

  it('to a public room the user has not joined acks FORBIDDEN', async () => {
    const open = await createRoom(t, alice, { type: 'public' });
    const s = await sockets.connect(t.url, stranger.accessToken);
    const reply = await s.ack('send-message', { room: open.id, content: 'hi' });
    expect(reply).toMatchObject({ success: false, error: { code: 'FORBIDDEN' } });
  });
});

describe('send-message with a bad payload acks VALIDATION_ERROR and keeps the socket', () => {
  let a: RecordedSocket;
  beforeAll(async () => {
    a = await socketPool().connect(t.url, alice.accessToken);
  });
  afterAll(() => a?.close());

  const cases: [string, () => unknown][] = [
    ['no payload', () => undefined],
    ['null', () => null],
    ['a string', () => 'hello'],
    ['an array', () => [room.id, 'hello']],
    ['no room', () => ({ content: 'hello' })],
    ['no content', () => ({ room: room.id })],
    ['blank content', () => ({ room: room.id, content: '   \n ' })],
    ['content of 4001 characters', () => ({ room: room.id, content: 'x'.repeat(4001) })],
    ['content that is a number', () => ({ room: room.id, content: 42 })],
    ['content with control characters', () => ({ room: room.id, content: 'a\u0000b' })],
    ['an unknown field', () => ({ room: room.id, content: 'hi', admin: true })],
    ['a clientId with spaces', () => ({ room: room.id, content: 'hi', clientId: 'a b' })],
    ['a replyTo that is not a message', () => ({ room: room.id, content: 'hi', replyTo: 'nope' })],
  ];

  for (const [situation, payload] of cases) {
    it(`(${situation})`, async () => {
      expectValidationAck(await a.ack('send-message', payload()));
      expect(a.socket.connected).toBe(true);
    });
  }

  it('(a replyTo of a message in another room)', async () => {
    const elsewhere = await sendMessage(t, alice, otherRoom.id, 'elsewhere');
    const reply = await a.ack('send-message', {
      room: room.id,
      content: 'hi',
      replyTo: elsewhere.id,
    });
    expectValidationAck(reply);
  });

  it('and the socket still sends afterwards', async () => {
    const reply = await a.ack('send-message', { room: room.id, content: 'still here' });
    expect(reply.success).toBe(true);
  });
});

describe('events emitted without an ack callback', () => {
  it('do not crash the server: a valid send-message is still delivered', async () => {
    const a = await sockets.connect(t.url, alice.accessToken);
    const b = await sockets.connect(t.url, bob.accessToken);
    a.socket.emit('send-message', { room: room.id, content: 'fire and forget' });
    await b.waitFor<TestMessage>('new-message', (m) => m.content === 'fire and forget');
  });

  it('with bad or missing payloads leave the socket connected and working', async () => {
    const a = await sockets.connect(t.url, alice.accessToken);
    for (const event of [
      'send-message',
      'join-room',
      'leave-room',
      'typing-start',
      'typing-stop',
      'message-read',
      'user-status',
      'sync',
    ]) {
      a.socket.emit(event);
      a.socket.emit(event, null);
      a.socket.emit(event, { nonsense: true });
      a.socket.emit(event, { room: 'no-such-room' }, 'not a function');
    }
    a.socket.emit('no-such-event', { room: room.id });
    const reply = await a.ack<TestMessage>('send-message', { room: room.id, content: 'alive' });
    expect(reply.success).toBe(true);
    expect(a.socket.connected).toBe(true);
    expect((await t.http.get('/health')).status).toBe(200);
  });
});
