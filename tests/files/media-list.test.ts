import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  expectError,
  sendMessage,
  type TestRoom,
  type TestUser,
} from '../helpers/factories.js';
import {
  fetchFile,
  mov,
  mp4,
  office,
  pdf,
  png,
  text,
  uploadOk,
  webm,
  zip,
  type UploadedFile,
} from './support.js';

interface MediaItem extends UploadedFile {
  kind: 'image' | 'video' | 'document';
  messageId: string;
  seq: number;
  uploader: { id: string; username: string } | null;
  createdAt: string;
}

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let room: TestRoom;
/** Every upload into `room`, oldest first. */
const uploaded: { file: UploadedFile; kind: MediaItem['kind']; messageId: string }[] = [];
beforeAll(async () => {
  t = await startTestApp();
  [alice, bob] = await Promise.all([createUser(t), createUser(t)]);
  room = await createRoom(t, alice, { type: 'private', members: [bob] });
  const plan: [TestUser, Buffer, string, MediaItem['kind']][] = [
    [alice, await png(30, 20), 'one.png', 'image'],
    [bob, pdf(), 'two.pdf', 'document'],
    [alice, mp4(), 'three.mp4', 'video'],
    [bob, await png(12, 12), 'four.png', 'image'],
    [alice, text(), 'five.txt', 'document'],
    [bob, webm(), 'six.webm', 'video'],
    [alice, office('docx'), 'seven.docx', 'document'],
  ];
  for (const [user, body, name, kind] of plan) {
    const { file, message } = await uploadOk(t, user, body, name, { room: room.id });
    uploaded.push({ file, kind, messageId: message.id });
    await sendMessage(t, user, room.id, `text after ${name}`); // text messages are not media
  }
});
afterAll(async () => {
  await t?.stop();
});

async function media(query = '', ref = room.id, user = alice) {
  const res = await t.http.get(`/api/files/media/${ref}${query ? `?${query}` : ''}`).set(user.auth);
  expect(res.status).toBe(200);
  return res.body as { data: MediaItem[]; page: { nextCursor: string | null; limit: number } };
}

const newestFirst = (kind?: MediaItem['kind']) =>
  uploaded
    .filter((u) => !kind || u.kind === kind)
    .reverse()
    .map((u) => u.file.id);

describe('GET /api/files/media/:room', () => {
  it("lists the room's files newest first, by id and by slug, with the item shape", async () => {
    const byId = await media();
    expect(byId.data.map((f) => f.id)).toEqual(newestFirst());
    expect(byId.page).toEqual({ nextCursor: null, limit: 50 });
    const first = byId.data.at(-1)!;
    expect(first).toEqual({
      ...uploaded[0]!.file,
      url: expect.any(String),
      thumbnailUrl: expect.any(String),
      kind: 'image',
      messageId: uploaded[0]!.messageId,
      seq: expect.any(Number),
      uploader: expect.objectContaining({ id: alice.id, username: alice.username }),
      createdAt: expect.stringMatching(/Z$/),
    });
    const seqs = byId.data.map((f) => f.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));

    const bySlug = await media('', room.slug);
    expect(bySlug.data.map((f) => f.id)).toEqual(newestFirst());
  });

  it.each(['image', 'video', 'document'] as const)(
    '?type=%s lists only that kind',
    async (kind) => {
      const { data } = await media(`type=${kind}`);
      expect(data.map((f) => f.id)).toEqual(newestFirst(kind));
      expect(data.every((f) => f.kind === kind)).toBe(true);
    },
  );

  it('pages with nextCursor without skipping or repeating a file', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const { data, page } = await media(query);
      expect(page.limit).toBe(2);
      seen.push(...data.map((f) => f.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(seen).toEqual(newestFirst());
    expect(pages).toBe(4);
  });

  it('?before= is accepted as the cursor too, combined with a type', async () => {
    const first = await media('type=document&limit=1');
    const rest = await media(`type=document&before=${encodeURIComponent(first.page.nextCursor!)}`);
    expect([...first.data, ...rest.data].map((f) => f.id)).toEqual(newestFirst('document'));
    expect(rest.page.nextCursor).toBeNull();
  });

  it('hands out freshly signed URLs that load', async () => {
    const { data } = await media('type=image');
    const now = Math.floor(Date.now() / 1000);
    for (const item of data) {
      const exp = Number(new URL(item.url).searchParams.get('exp'));
      expect(exp).toBeGreaterThan(now + t.ctx.config.FILE_URL_TTL_SEC - 30);
      expect((await fetchFile(t, item.url)).status).toBe(200);
      expect((await fetchFile(t, item.thumbnailUrl!)).status).toBe(200);
    }
  });

  it('a bad type, limit or cursor gets 400', async () => {
    for (const query of ['type=audio', 'limit=0', 'limit=101', 'cursor=garbage']) {
      const res = await t.http.get(`/api/files/media/${room.id}?${query}`).set(alice.auth);
      expectError(res, 400, 'VALIDATION_ERROR');
    }
  });

  it('a room with no files lists nothing', async () => {
    const empty = await createRoom(t, alice, { type: 'private' });
    const { data, page } = await media('', empty.id);
    expect(data).toEqual([]);
    expect(page.nextCursor).toBeNull();
  });
});

describe('GET /api/files/stats/:room', () => {
  it('counts files and bytes by type and in total; deleted files are left out', async () => {
    const other = await createRoom(t, alice, { type: 'private', members: [bob] });
    const put = async (body: Buffer, name: string) =>
      (await uploadOk(t, alice, body, name, { room: other.id })).file;
    const img = await put(await png(40, 40), 'a.png');
    const vids = [await put(mp4(), 'b.mp4'), await put(mov(), 'c.mov')];
    const docs = [await put(pdf(), 'd.pdf'), await put(zip({ 'a.txt': 'a' }), 'e.zip')];
    const doomed = await uploadOk(t, alice, pdf(), 'gone.pdf', { room: other.id });
    await sendMessage(t, alice, other.id, 'a text message counts for nothing');
    expect((await t.http.delete(`/api/files/${doomed.message.id}`).set(alice.auth)).status).toBe(
      200,
    );

    const sum = (files: UploadedFile[]) => files.reduce((n, f) => n + f.size, 0);
    const res = await t.http.get(`/api/files/stats/${other.slug}`).set(bob.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      data: {
        room: other.id,
        total: { count: 5, bytes: sum([img, ...vids, ...docs]) },
        byType: {
          image: { count: 1, bytes: img.size },
          video: { count: 2, bytes: sum(vids) },
          document: { count: 2, bytes: sum(docs) },
        },
      },
    });
  });

  it('a room with no files has zero counts', async () => {
    const empty = await createRoom(t, alice, { type: 'public' });
    const res = await t.http.get(`/api/files/stats/${empty.id}`).set(alice.auth);
    expect(res.body.data).toEqual({
      room: empty.id,
      total: { count: 0, bytes: 0 },
      byType: {
        image: { count: 0, bytes: 0 },
        video: { count: 0, bytes: 0 },
        document: { count: 0, bytes: 0 },
      },
    });
  });

  it('an unknown room gets 404', async () => {
    expectError(
      await t.http.get('/api/files/stats/no-such-room').set(alice.auth),
      404,
      'NOT_FOUND',
    );
  });
});
