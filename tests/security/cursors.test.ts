import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createRoom, createUser, sendMessage, type TestUser } from '../helpers/factories.js';

/**
 * Cursors are opaque, but a client can decode and re-encode them: a correctly tagged cursor with hostile
 * contents must be a 400 VALIDATION_ERROR, never a 500 (each of these answered 500 once).
 */
const tagged = (kind: string, body: string) =>
  Buffer.from(`${kind}:${body}`, 'utf8').toString('base64url');

let t: TestApp;
let alice: TestUser;
let roomId: string;

beforeAll(async () => {
  t = await startTestApp();
  alice = await createUser(t, { username: 'cursoralice' });
  roomId = (await createRoom(t, alice)).id;
  await sendMessage(t, alice, roomId, 'cursor needle');
});
afterAll(() => t?.stop());

const id = '00000000-0000-4000-8000-000000000000';
const cases: [string, () => string][] = [
  [
    'a search rank beyond real (1e39)',
    () => `/api/messages/search?q=needle&cursor=${tagged('q', `[1e39,"1",${JSON.stringify(id)}]`)}`,
  ],
  [
    'a search rank of -1e308',
    () =>
      `/api/messages/search?q=needle&cursor=${tagged('q', `[-1e308,"1",${JSON.stringify(id)}]`)}`,
  ],
  [
    'a 20-digit search timestamp',
    () =>
      `/api/messages/search?q=needle&cursor=${tagged('q', `[0.1,"99999999999999999999",${JSON.stringify(id)}]`)}`,
  ],
  [
    'an invalid date in the rooms cursor',
    () => `/api/rooms?cursor=${tagged('r', `["2024-13-45T99:99:99Z",${JSON.stringify(id)}]`)}`,
  ],
  [
    'a date past JavaScript’s range in the rooms cursor',
    () =>
      `/api/rooms?cursor=${tagged('r', `["+275760-09-13T00:00:00.001Z",${JSON.stringify(id)}]`)}`,
  ],
  [
    'a non-uuid id in the rooms cursor',
    () => `/api/rooms?cursor=${tagged('r', `["2024-01-01T00:00:00Z","x"]`)}`,
  ],
  [
    'a non-uuid id in the public rooms cursor',
    () => `/api/rooms/public?cursor=${tagged('p', `["a","x"]`)}`,
  ],
  [
    'a huge rank in the members cursor',
    () => `/api/rooms/${roomId}/members?cursor=${tagged('m', `[1e39,"a"]`)}`,
  ],
  [
    'a 20-digit seq cursor',
    () => `/api/messages?room=${roomId}&before=${tagged('s', '99999999999999999999')}`,
  ],
  ['a negative rev', () => `/api/messages?room=${roomId}&rev=-1`],
  ['a rev beyond bigint', () => `/api/messages?room=${roomId}&rev=99999999999999999999`],
  ['JSON that is not an array', () => `/api/rooms?cursor=${tagged('r', '{"__proto__":1}')}`],
];

describe('crafted cursors', () => {
  it.each(cases)('%s answers 400 VALIDATION_ERROR', async (_name, path) => {
    const res = await t.http.get(path()).set(alice.auth);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
  });
});
