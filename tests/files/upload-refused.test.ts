import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createUser, expectError, listMessages, type TestUser } from '../helpers/factories.js';
import {
  exe,
  fetchFile,
  filesUnder,
  officeWith,
  pdf,
  png,
  text,
  upload,
  uploadOk,
  zip,
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

const SVG_WITH_SCRIPT =
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">' +
  '<script>alert(document.cookie)</script><rect width="10" height="10"/></svg>';

/** The stored objects and the last seq of `general`: a refused upload changes neither. */
async function snapshot(): Promise<{ files: string[]; seq: number }> {
  const { data } = await listMessages(t, alice, 'general', 'limit=1');
  return { files: filesUnder(t.ctx.config.UPLOAD_DIR), seq: data[0]?.seq ?? 0 };
}

describe('types refused by their bytes (415)', () => {
  const REFUSED: [string, () => Buffer, string][] = [
    ['a Windows executable renamed to .pdf', exe, 'invoice.pdf'],
    [
      'a zip with evil.exe at its top level',
      () => zip({ 'readme.txt': 'hi', 'evil.exe': exe() }),
      'photos.zip',
    ],
    [
      'a zip with a top-level file that is an executable by its bytes',
      () => zip({ 'setup.dat': exe() }),
      'a.zip',
    ],
    [
      'a zip with a top-level shell script',
      () => zip({ 'install.sh': '#!/bin/sh\nrm -rf ~\n' }),
      'b.zip',
    ],
    [
      'a zip with tools/setup.exe in a folder',
      () => zip({ 'readme.txt': 'hi', 'tools/setup.exe': exe() }),
      'tools.zip',
    ],
    [
      'a zip with an executable by its bytes deep in folders',
      () => zip({ 'a/b/c/d/data.dat': exe() }),
      'deep.zip',
    ],
    [
      'a zip inside a zip holding an executable',
      () => zip({ 'inner.zip': zip({ 'run.exe': exe() }) }),
      'nested.zip',
    ],
    [
      'a .docx with an .exe among its parts',
      () => officeWith('docx', { 'word/embeddings/payload.exe': exe() }),
      'report.docx',
    ],
    [
      'a zip with more entries than can be checked',
      () => zip(Object.fromEntries(Array.from({ length: 5001 }, (_, i) => [`f${i}.txt`, 'x']))),
      'many.zip',
    ],
    ['an SVG with a script, named .png', () => Buffer.from(SVG_WITH_SCRIPT), 'cat.png'],
    ['an SVG with a script, named .txt', () => Buffer.from(SVG_WITH_SCRIPT), 'cat.txt'],
    [
      'an SVG behind an XML declaration, named .txt',
      () => Buffer.from(`<?xml version="1.0"?>\n${SVG_WITH_SCRIPT}`),
      'x.txt',
    ],
    [
      'HTML named .txt',
      () => text('<!doctype html><html><body><h1>hi</h1></body></html>'),
      'page.txt',
    ],
    [
      'a script tag inside otherwise plain text',
      () => text('hello\n<script src="//evil.example/x.js"></script>\n'),
      'note.txt',
    ],
    [
      'an unknown binary',
      () => Buffer.from([0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02]),
      'blob.bin',
    ],
    [
      'text that is not valid UTF-8',
      () => Buffer.from([0x68, 0x69, 0xff, 0xfe, 0x20, 0x21]),
      'bad.txt',
    ],
    [
      'a GIF header with no image behind it',
      () => Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'),
      'broken.gif',
    ],
  ];
  it.each(REFUSED)('%s gets 415 and nothing is stored', async (_what, make, name) => {
    const before = await snapshot();
    const res = await upload(t, alice, make(), name);
    expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(await snapshot()).toEqual(before);
  });

  // MARKUP in src/modules/files/file-types.ts only knows svg/html/head/body/script/iframe/object/embed/
  // meta/link/style/doctype/<?xml/javascript:, so HTML fragments that run script through an event
  // handler (or that a browser's sniffer takes for HTML: <a, <p, <div, <img, <!--) pass as text/plain.
  it.each([
    ['an <img onerror> fragment', '<img src=x onerror=alert(document.cookie)>'],
    ['a <div onmouseover> fragment', '<div onmouseover="alert(1)">hover me</div>'],
  ])('HTML with an event handler, %s, named .txt gets 415', async (_what, html) => {
    const res = await upload(t, alice, text(html), 'fragment.txt');
    expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('plain text that mentions angle brackets is still text', async () => {
    const res = await upload(t, alice, text('if a < b and b > c then a < c\n'), 'maths.txt');
    expect(res.status).toBe(201);
    expect(res.body.data.file.mime).toBe('text/plain');
  });

  it('a zip with text in folders and a nested zip of text is accepted', async () => {
    const nested = zip({ 'docs/a.md': '# a', 'more.zip': zip({ 'b.txt': 'b' }) });
    const ok = await upload(t, alice, nested, 'docs.zip');
    expect(ok.status).toBe(201);
  });

  it('a zip holding only a text file is accepted', async () => {
    const ok = await upload(t, alice, zip({ 'notes.txt': 'just notes' }), 'notes.zip');
    expect(ok.status).toBe(201);
    expect(ok.body.data.file.mime).toBe('application/zip');
  });
});

describe('names are never trusted', () => {
  it('a PNG named x.pdf is stored as image/png with a .png name', async () => {
    const { file } = await uploadOk(t, alice, await png(), 'x.pdf');
    expect(file.mime).toBe('image/png');
    expect(file.name).toBe('x.png');
    expect(new URL(file.url).pathname).toMatch(/\.png$/);
  });

  it('the client Content-Type is ignored: a PDF sent as image/png stays a PDF', async () => {
    const res = await t.http
      .post('/api/files/upload')
      .set(alice.auth)
      .field('room', 'general')
      .attach('file', pdf(), { filename: 'doc.pdf', contentType: 'image/png' });
    expect(res.status).toBe(201);
    expect(res.body.data.file).toMatchObject({ mime: 'application/pdf', name: 'doc.pdf' });
  });

  it('a path-traversal filename is cut to its last segment and the object stays under the room', async () => {
    const { file } = await uploadOk(t, alice, await png(), '../../etc/passwd.png');
    expect(file.name).toBe('passwd.png');
    expect(file.name).not.toMatch(/[/\\]/);
    expect(filesUnder(t.ctx.config.UPLOAD_DIR).every((f) => f.startsWith('rooms/'))).toBe(true);
  });

  it('a Windows path is cut to its last segment', async () => {
    const { file } = await uploadOk(t, alice, text(), 'C:\\Users\\me\\report.txt');
    expect(file.name).toBe('report.txt');
  });

  // Same root cause as the UTF-8 name test in upload-types: the name is decoded as latin1, so the
  // override U+202E arrives as "â\u0080®" and survives sanitizeFilename.
  it('a right-to-left override is removed from the name', async () => {
    const { file } = await uploadOk(t, alice, text(), 'invoice\u202Etxt.exe.txt');
    expect(file.name).toBe('invoicetxt.exe.txt');
  });

  it('a name made only of dots becomes file.<ext>', async () => {
    const { file } = await uploadOk(t, alice, pdf(), '...');
    expect(file.name).toBe('file.pdf');
  });
});

describe('polyglots', () => {
  it('an image with HTML appended is re-encoded: the stored bytes hold no trace of it', async () => {
    const payload = '<html><script>alert(document.domain)</script></html>';
    const polyglot = Buffer.concat([await png(), Buffer.from(payload)]);
    const { file } = await uploadOk(t, alice, polyglot, 'innocent.png');
    expect(file.mime).toBe('image/png');
    const stored = (await fetchFile(t, file.url)).body as Buffer;
    expect(stored.toString('latin1')).not.toContain('<script>');
    expect(file.size).toBe(stored.length);
  });
});

describe('malformed requests (400)', () => {
  it('no file gets 400', async () => {
    const res = await t.http.post('/api/files/upload').set(alice.auth).field('room', 'general');
    expectError(res, 400, 'VALIDATION_ERROR');
  });

  it('no room gets 400', async () => {
    const res = await upload(t, alice, pdf(), 'a.pdf', { caption: 'where to?' });
    expectError(res, 400, 'VALIDATION_ERROR');
  });

  it('two files get 400', async () => {
    const res = await t.http
      .post('/api/files/upload')
      .set(alice.auth)
      .field('room', 'general')
      .attach('file', pdf(), 'a.pdf')
      .attach('file', pdf(), 'b.pdf');
    expectError(res, 400, 'VALIDATION_ERROR');
  });

  it('a file in another field gets 400', async () => {
    const res = await t.http
      .post('/api/files/upload')
      .set(alice.auth)
      .field('room', 'general')
      .attach('document', pdf(), 'a.pdf');
    expectError(res, 400, 'VALIDATION_ERROR');
  });

  it('an empty file gets 400', async () => {
    const res = await upload(t, alice, Buffer.alloc(0), 'empty.txt');
    expectError(res, 400, 'VALIDATION_ERROR');
  });

  it('a JSON body instead of multipart gets 400', async () => {
    const res = await t.http.post('/api/files/upload').set(alice.auth).send({ room: 'general' });
    expectError(res, 400, 'VALIDATION_ERROR');
  });

  it('a caption over 4000 characters gets 400', async () => {
    const res = await upload(t, alice, pdf(), 'a.pdf', {
      room: 'general',
      caption: 'x'.repeat(4001),
    });
    expectError(res, 400, 'VALIDATION_ERROR');
  });

  // busboy rejects a part header with a control character as "Malformed part header", which
  // src/http/multipart.ts does not map to VALIDATION_ERROR, so the client's mistake becomes a 500.
  it('a control character in the part header gets 400, not 500', async () => {
    const res = await upload(t, alice, text(), 'bell\u0007.txt');
    expectError(res, 400, 'VALIDATION_ERROR');
  });

  it('an unknown room gets 404', async () => {
    const res = await upload(t, alice, pdf(), 'a.pdf', { room: 'no-such-room' });
    expectError(res, 404, 'NOT_FOUND');
  });
});
