import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createUser,
  expectError,
  listMessages,
  sendMessage,
  type TestUser,
} from '../helpers/factories.js';
import {
  animatedGif,
  fetchFile,
  filesUnder,
  hugePngHeader,
  image,
  rotatedJpeg,
  jpegWithGps,
  MIME,
  mov,
  mp4,
  office,
  pdf,
  png,
  text,
  upload,
  uploadOk,
  webm,
  zip,
  type ImageFormat,
} from './support.js';

let t: TestApp;
let alice: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  alice = await createUser(t);
});
afterAll(async () => {
  await t?.stop();
});

const FILE_SHAPE = {
  id: expect.any(String),
  name: expect.any(String),
  mime: expect.any(String),
  size: expect.any(Number),
  url: expect.stringMatching(/^http:\/\/localhost:5000\/files\/rooms\//),
};

describe('allowed types upload as a file message', () => {
  const IMAGES: [ImageFormat, string, string][] = [
    ['png', 'image/png', 'pic.png'],
    ['jpeg', 'image/jpeg', 'pic.jpg'],
    ['gif', 'image/gif', 'pic.gif'],
    ['webp', 'image/webp', 'pic.webp'],
  ];
  it.each(IMAGES)(
    'a %s image gets 201 with its size, dimensions and a thumbnail',
    async (format, mime, name) => {
      const res = await upload(t, alice, await image(format, 8, 6), name, {
        room: 'general',
        caption: `a ${format}`,
      });
      expect(res.status).toBe(201);
      expect(res.body.success).toBe(true);
      const { file, message } = res.body.data;
      expect(file).toEqual({
        ...FILE_SHAPE,
        name,
        mime,
        width: 8,
        height: 6,
        thumbnailUrl: expect.stringMatching(
          /^http:\/\/localhost:5000\/files\/rooms\/.+\.thumb\.webp\?/,
        ),
      });
      expect(message).toMatchObject({
        type: 'file',
        content: `a ${format}`,
        sender: { id: alice.id },
      });
      expect(message.file).toEqual(file);

      const download = await fetchFile(t, file.url);
      expect(download.status).toBe(200);
      expect(download.headers['content-type']).toBe(mime);
      expect(download.body.length).toBe(file.size);
      const meta = await sharp(download.body as Buffer).metadata();
      expect({ width: meta.width, height: meta.height }).toEqual({ width: 8, height: 6 });
    },
  );

  const OTHERS: [string, () => Buffer, string, string][] = [
    ['pdf', pdf, 'report.pdf', 'application/pdf'],
    ['txt', () => text(), 'notes.txt', 'text/plain'],
    ['docx', () => office('docx'), 'letter.docx', MIME.docx],
    ['xlsx', () => office('xlsx'), 'sheet.xlsx', MIME.xlsx],
    ['pptx', () => office('pptx'), 'slides.pptx', MIME.pptx],
    [
      'zip',
      () => zip({ 'readme.txt': 'hello', 'docs/a.md': '# a' }),
      'bundle.zip',
      'application/zip',
    ],
    ['mp4', mp4, 'clip.mp4', 'video/mp4'],
    ['webm', webm, 'clip.webm', 'video/webm'],
    ['mov', mov, 'clip.mov', 'video/quicktime'],
  ];
  it.each(OTHERS)(
    'a %s gets 201, stored byte for byte, without dimensions or thumbnail',
    async (_kind, make, name, mime) => {
      const bytes = make();
      const { file, message } = await uploadOk(t, alice, bytes, name);
      expect(file).toEqual({ ...FILE_SHAPE, name, mime, size: bytes.length });
      expect(message).toMatchObject({ type: 'file', content: '', file });

      const download = await fetchFile(t, file.url);
      expect(download.status).toBe(200);
      expect(Buffer.compare(download.body as Buffer, bytes)).toBe(0);
    },
  );

  it('the file message is in the room history with the same file', async () => {
    const { file, message } = await uploadOk(t, alice, pdf(), 'history.pdf', {
      room: 'general',
      caption: '  the quarterly report  ',
    });
    expect(message.content).toBe('the quarterly report');
    const { data } = await listMessages(t, alice, 'general', 'limit=5');
    const found = data.find((m) => m.id === message.id) as { file?: unknown } | undefined;
    expect(found).toMatchObject({ type: 'file', content: 'the quarterly report' });
    expect(found?.file).toEqual({ ...file, url: expect.any(String) });
  });

  it('a retried upload with the same clientId returns the first message with 200 and stores no copy', async () => {
    const fields = { room: 'general', clientId: 'upload-retry-1' };
    const first = await uploadOk(t, alice, pdf(), 'once.pdf', fields);
    const stored = filesUnder(t.ctx.config.UPLOAD_DIR);
    const again = await upload(t, alice, pdf(), 'once.pdf', fields);
    expect(again.status).toBe(200);
    expect(again.body.data.message.id).toBe(first.message.id);
    expect(again.body.data.file.id).toBe(first.file.id);
    expect(filesUnder(t.ctx.config.UPLOAD_DIR)).toEqual(stored);
  });

  it('a clientId already used for a text message gets 409 and stores nothing', async () => {
    await sendMessage(t, alice, 'general', 'text first', { clientId: 'upload-retry-2' });
    const stored = filesUnder(t.ctx.config.UPLOAD_DIR);
    const res = await upload(t, alice, pdf(), 'late.pdf', {
      room: 'general',
      clientId: 'upload-retry-2',
    });
    expectError(res, 409, 'CONFLICT');
    expect(filesUnder(t.ctx.config.UPLOAD_DIR)).toEqual(stored);
  });
});

describe('downloads', () => {
  it('a document downloads as an attachment with nosniff and a sandboxing CSP', async () => {
    const { file } = await uploadOk(t, alice, pdf(), 'Q3 "report".pdf');
    const res = await fetchFile(t, file.url);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="Q3 report.pdf"; filename*=UTF-8''Q3%20report.pdf`,
    );
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toMatch(/sandbox/);
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
  });

  // Browsers send the filename parameter as raw UTF-8; multer decodes it as latin1 unless told
  // otherwise (defParamCharset), which turns "résumé" into "rÃ©sumÃ©" (src/http/multipart.ts).
  it('a UTF-8 filename keeps its characters, in the file and in Content-Disposition', async () => {
    const { file } = await uploadOk(t, alice, pdf(), 'Q3 résumé.pdf');
    expect(file.name).toBe('Q3 résumé.pdf');
    const res = await fetchFile(t, file.url);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="Q3 r_sum_.pdf"; filename*=UTF-8''${encodeURIComponent('Q3 résumé.pdf')}`,
    );
  });

  it('a text file is served as text/plain with an attachment disposition', async () => {
    const { file } = await uploadOk(t, alice, text('just words\n'), 'words.txt');
    const res = await fetchFile(t, file.url);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.headers['content-disposition']).toMatch(/^attachment;/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('an image is served inline with nosniff and a sandboxing CSP', async () => {
    const { file } = await uploadOk(t, alice, await png(), 'inline.png');
    const res = await fetchFile(t, file.url);
    expect(res.headers['content-disposition']).toMatch(/^inline; filename="inline\.png"/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toMatch(/sandbox/);
  });
});

describe('images', () => {
  it('a large image gets a webp thumbnail of at most 320 px that loads without headers', async () => {
    const { file } = await uploadOk(t, alice, await png(640, 400), 'wide.png');
    expect({ width: file.width, height: file.height }).toEqual({ width: 640, height: 400 });
    const res = await fetchFile(t, file.thumbnailUrl!);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/webp');
    const meta = await sharp(res.body as Buffer).metadata();
    expect(meta.format).toBe('webp');
    expect({ width: meta.width, height: meta.height }).toEqual({ width: 320, height: 200 });
  });

  it('a small image keeps its size in the thumbnail (no enlargement)', async () => {
    const { file } = await uploadOk(t, alice, await png(20, 10), 'small.png');
    const meta = await sharp((await fetchFile(t, file.thumbnailUrl!)).body as Buffer).metadata();
    expect({ format: meta.format, width: meta.width, height: meta.height }).toEqual({
      format: 'webp',
      width: 20,
      height: 10,
    });
  });

  it('an animated GIF reports the size of one frame and stays animated', async () => {
    const { file } = await uploadOk(t, alice, await animatedGif(10, 8), 'anim.gif');
    expect({ mime: file.mime, width: file.width, height: file.height }).toEqual({
      mime: 'image/gif',
      width: 10,
      height: 8,
    });
    const meta = await sharp((await fetchFile(t, file.url)).body as Buffer).metadata();
    expect(meta.pages).toBe(2);
  });

  it('a JPEG with an EXIF orientation is stored upright, with the displayed dimensions', async () => {
    const { file } = await uploadOk(t, alice, await rotatedJpeg(), 'sideways.jpg');
    expect({ width: file.width, height: file.height }).toEqual({ width: 12, height: 16 });
    const meta = await sharp((await fetchFile(t, file.url)).body as Buffer).metadata();
    expect({ width: meta.width, height: meta.height, orientation: meta.orientation }).toEqual({
      width: 12,
      height: 16,
      orientation: undefined,
    });
  });

  it('a PNG whose header claims 2.5 gigapixels gets 415 without being decoded', async () => {
    const res = await upload(t, alice, hugePngHeader(), 'bomb.png');
    expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('EXIF and GPS data are stripped from an uploaded JPEG', async () => {
    const original = await jpegWithGps();
    const before = await sharp(original).metadata();
    expect(before.exif?.toString('latin1')).toContain('SpyCam');

    const { file } = await uploadOk(t, alice, original, 'holiday.jpg');
    expect(file.mime).toBe('image/jpeg');
    const stored = (await fetchFile(t, file.url)).body as Buffer;
    const after = await sharp(stored).metadata();
    expect(after.format).toBe('jpeg');
    expect(after.exif).toBeUndefined();
    expect(stored.toString('latin1')).not.toContain('SpyCam');
    const thumb = await sharp((await fetchFile(t, file.thumbnailUrl!)).body as Buffer).metadata();
    expect(thumb.exif).toBeUndefined();
  });
});
