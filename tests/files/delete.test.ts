import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  expectError,
  listMessages,
  sendMessage,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';
import { fetchFile, keyOf, pathOf, pdf, png, uploadOk, type UploadedFile } from './support.js';

let t: TestApp;
let owner: TestUser;
let admin: TestUser;
let bob: TestUser;
let carol: TestUser;
let stranger: TestUser;
let room: TestRoom;
beforeAll(async () => {
  t = await startTestApp();
  [owner, admin, bob, carol, stranger] = await Promise.all([
    createUser(t),
    createUser(t),
    createUser(t),
    createUser(t),
    createUser(t),
  ]);
  room = await createRoom(t, owner, { type: 'private', admins: [admin], members: [bob, carol] });
});
afterAll(async () => {
  await t?.stop();
});

/** Where the local driver keeps the object behind a file URL. */
const diskPath = (url: string) => join(t.ctx.config.UPLOAD_DIR, keyOf(url));

/** The file and its thumbnail are on disk and load, or neither (both 404). */
async function expectStored(file: UploadedFile, stored: boolean) {
  for (const url of [file.url, file.thumbnailUrl].filter((u): u is string => !!u)) {
    expect(existsSync(diskPath(url))).toBe(stored);
    const res = await fetchFile(t, url);
    expect(res.status).toBe(stored ? 200 : 404);
    // The 404 body is the JSON error, whatever Content-Type it came with (see the it.fails below).
    if (!stored)
      expect(JSON.parse((res.body as Buffer).toString())).toMatchObject({
        success: false,
        error: { code: 'NOT_FOUND' },
      });
  }
}

const remove = (user: TestUser, messageId: string) =>
  t.http.delete(`/api/files/${messageId}`).set(user.auth);

describe('DELETE /api/files/:messageId', () => {
  it('by the uploader: 200, the message leaves history and the objects leave the disk', async () => {
    const { file, message } = await uploadOk(t, bob, await png(), 'mine.png', { room: room.id });
    await expectStored(file, true);

    const res = await remove(bob, message.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      data: { id: message.id, room: room.id, seq: message.seq, rev: (message.rev as number) + 1 },
    });
    await expectStored(file, false);
    const { data } = await listMessages(t, owner, room.id, 'limit=20');
    expect(data.map((m) => m.id)).not.toContain(message.id);
  });

  it('by another member: 403 and the file stays', async () => {
    const { file, message } = await uploadOk(t, bob, pdf(), 'keep.pdf', { room: room.id });
    expectError(await remove(carol, message.id), 403, 'FORBIDDEN');
    await expectStored(file, true);
  });

  it('by a stranger to the private room: 404 and the file stays', async () => {
    const { file, message } = await uploadOk(t, bob, pdf(), 'keep.pdf', { room: room.id });
    expectError(await remove(stranger, message.id), 404, 'NOT_FOUND');
    await expectStored(file, true);
  });

  it.each([
    ['admin', () => admin],
    ['owner', () => owner],
  ])("by the room's %s: 200 and the objects are gone", async (_role, who) => {
    const { file, message } = await uploadOk(t, carol, await png(), 'theirs.png', {
      room: room.id,
    });
    expect((await remove(who(), message.id)).status).toBe(200);
    await expectStored(file, false);
  });

  it('without a token: 401', async () => {
    const { message } = await uploadOk(t, bob, pdf(), 'a.pdf', { room: room.id });
    expectError(await t.http.delete(`/api/files/${message.id}`), 401, 'UNAUTHORIZED');
  });

  it('the id of a text message: 404 and the message stays', async () => {
    const text = await sendMessage(t, bob, room.id, 'not a file');
    expectError(await remove(bob, text.id), 404, 'NOT_FOUND');
    const { data } = await listMessages(t, bob, room.id, 'limit=20');
    expect(data.map((m) => m.id)).toContain(text.id);
  });

  it('an unknown id, a malformed id or an already deleted file: 404', async () => {
    const { message } = await uploadOk(t, bob, pdf(), 'twice.pdf', { room: room.id });
    expect((await remove(bob, message.id)).status).toBe(200);
    expectError(await remove(bob, message.id), 404, 'NOT_FOUND');
    expectError(await remove(bob, '00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
    expectError(await remove(bob, 'not-an-id'), 404, 'NOT_FOUND');
  });
});

describe('deleting through other routes removes the files too', () => {
  it('DELETE /api/messages/:id of a file message removes its objects', async () => {
    const { file, message } = await uploadOk(t, bob, await png(), 'via-messages.png', {
      room: room.id,
    });
    const res = await t.http.delete(`/api/messages/${message.id}`).set(bob.auth);
    expect(res.status).toBe(200);
    await expectStored(file, false);
    const media = await t.http.get(`/api/files/media/${room.id}`).set(bob.auth);
    expect(media.body.data.map((f: { id: string }) => f.id)).not.toContain(file.id);
  });

  it("deleting a room removes every file's objects", async () => {
    const doomed = await createRoom(t, owner, { type: 'private', members: [bob] });
    const uploads = [
      await uploadOk(t, owner, await png(), 'a.png', { room: doomed.id }),
      await uploadOk(t, bob, pdf(), 'b.pdf', { room: doomed.id }),
    ];
    const res = await t.http.delete(`/api/rooms/${doomed.id}`).set(owner.auth);
    expect(res.status).toBe(200);
    for (const { file } of uploads) {
      for (const url of [file.url, file.thumbnailUrl].filter((u): u is string => !!u)) {
        await expect.poll(() => existsSync(diskPath(url))).toBe(false);
      }
    }
  });

  // src/modules/files/download.routes.ts sets Content-Type, Content-Disposition and Cache-Control before
  // sendFile; when the object is gone the JSON 404 goes out as `image/png`, inline, cacheable for an hour.
  it('the URL of a deleted file answers a JSON 404 that is not cached', async () => {
    const { file, message } = await uploadOk(t, bob, await png(), 'gone.png', { room: room.id });
    expect((await remove(bob, message.id)).status).toBe(200);
    const res = await t.http.get(pathOf(file.url));
    expectError(res, 404, 'NOT_FOUND');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['content-disposition']).toBeUndefined();
    expect(res.headers['cache-control'] ?? '').not.toMatch(/max-age=[1-9]/);
  });

  it('the files of other messages are untouched by a delete', async () => {
    const keep = await uploadOk(t, bob, pdf(), 'neighbour.pdf', { room: room.id });
    const gone = await uploadOk(t, bob, pdf(), 'victim.pdf', { room: room.id });
    expect((await remove(bob, gone.message.id)).status).toBe(200);
    const res = await fetchFile(t, keep.file.url);
    expect(res.status).toBe(200);
    expect(Buffer.compare(res.body as Buffer, pdf())).toBe(0);
  });
});
