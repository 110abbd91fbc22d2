import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import type { TestApp } from '../helpers/app.js';
import type { TestUser } from '../helpers/factories.js';
import { buildZip } from '../helpers/zip.js';

// ---- Fixtures, built in memory and kept tiny ------------------------------------------------------

const RED = { r: 200, g: 30, b: 30 };

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

/** A solid-colour image of the given size and format. */
export function image(format: ImageFormat, width = 8, height = 6): Promise<Buffer> {
  const base = sharp({ create: { width, height, channels: 3, background: RED } });
  return base[format]().toBuffer();
}

export const png = (width = 8, height = 6) => image('png', width, height);

/** A JPEG carrying EXIF with a camera make and GPS coordinates. */
export function jpegWithGps(): Promise<Buffer> {
  return sharp({ create: { width: 16, height: 12, channels: 3, background: RED } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'SpyCam', Model: 'Tracker 9000' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '48/1 51/1 2956/100',
        GPSLongitudeRef: 'E',
        GPSLongitude: '2/1 17/1 4000/100',
      },
    })
    .toBuffer();
}

/** A two-frame animated GIF, each frame `width`×`height`. */
export async function animatedGif(width = 10, height = 8): Promise<Buffer> {
  const frame = (background: string) =>
    sharp({ create: { width, height, channels: 3, background } })
      .png()
      .toBuffer();
  const frames = [await frame('#f00'), await frame('#00f')];
  return sharp(frames, { join: { animated: true } })
    .gif()
    .toBuffer();
}

/** A 16×12 JPEG whose EXIF says "rotate 90° clockwise to display" (orientation 6). */
export function rotatedJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 16, height: 12, channels: 3, background: RED } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** A PNG whose header claims 50000×50000 pixels, with no image data: a decompression bomb's shape. */
export function hugePngHeader(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    data.copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(50_000, 0);
  ihdr.writeUInt32BE(50_000, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IEND', Buffer.alloc(0))]);
}

export const pdf = () =>
  Buffer.from(
    '%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n',
  );

const OOXML_MAIN = {
  docx: ['word/document.xml', 'application/vnd.openxmlformats-officedocument.wordprocessingml'],
  xlsx: ['xl/workbook.xml', 'application/vnd.openxmlformats-officedocument.spreadsheetml'],
  pptx: ['ppt/presentation.xml', 'application/vnd.openxmlformats-officedocument.presentationml'],
} as const;

/** An Office Open XML package: `[Content_Types].xml` naming its main part, and that part. */
/** An Office document with extra parts (e.g. an embedded executable). */
export function officeWith(kind: keyof typeof OOXML_MAIN, extra: Record<string, string | Buffer>) {
  return buildZip([
    ...officeEntries(kind),
    ...Object.entries(extra).map(([name, data]) => ({ name, data })),
  ]);
}

export function office(kind: keyof typeof OOXML_MAIN): Buffer {
  return buildZip(officeEntries(kind));
}

function officeEntries(kind: keyof typeof OOXML_MAIN) {
  const [part, type] = OOXML_MAIN[kind];
  const main = kind === 'docx' ? 'document' : kind === 'xlsx' ? 'sheet' : 'presentation';
  const contentTypes =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
    `<Override PartName="/${part}" ContentType="${type}.${main}.main+xml"/></Types>`;
  return [
    { name: '[Content_Types].xml', data: contentTypes },
    { name: part, data: '<?xml version="1.0"?><root/>' },
  ];
}

/** A plain zip of the given entries. */
export const zip = (entries: Record<string, string | Buffer>) =>
  buildZip(Object.entries(entries).map(([name, data]) => ({ name, data })));

/** An ISO BMFF file: an `ftyp` box with the given major brand, then an empty `mdat`. */
function isoMedia(brand: string, compatible: string): Buffer {
  const ftyp = Buffer.alloc(8 + 8 + compatible.length);
  ftyp.writeUInt32BE(ftyp.length, 0);
  ftyp.write('ftyp', 4, 'latin1');
  ftyp.write(brand, 8, 'latin1');
  ftyp.writeUInt32BE(0x200, 12);
  ftyp.write(compatible, 16, 'latin1');
  const mdat = Buffer.from([0, 0, 0, 8, 0x6d, 0x64, 0x61, 0x74]);
  return Buffer.concat([ftyp, mdat]);
}

export const mp4 = () => isoMedia('isom', 'isomiso2mp41');
export const mov = () => isoMedia('qt  ', 'qt  ');

/** An EBML header whose DocType is `webm`, then an empty Segment. */
export function webm(): Buffer {
  const docType = Buffer.from([0x42, 0x82, 0x84, ...Buffer.from('webm')]);
  const header = Buffer.concat([
    Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x80 | docType.length]),
    docType,
  ]);
  const segment = Buffer.from([0x18, 0x53, 0x80, 0x67, 0x80]);
  return Buffer.concat([header, segment]);
}

export const text = (s = 'Grüße aus Köln — plain UTF-8 text.\n') => Buffer.from(s, 'utf8');

/** A Windows executable's first bytes (the `MZ` DOS header) with padding. */
export function exe(): Buffer {
  const b = Buffer.alloc(128);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x40, 0x3c);
  b.write('PE\0\0', 0x40, 'latin1');
  return b;
}

// ---- Requests -------------------------------------------------------------------------------------

export const MIME = {
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
} as const;

/** POST /api/files/upload with one file; `fields` default to the room `general`. */
export function upload(
  t: TestApp,
  user: Pick<TestUser, 'auth'> | null,
  body: Buffer,
  filename: string,
  fields: Record<string, string> = { room: 'general' },
) {
  const req = t.http.post('/api/files/upload');
  if (user) req.set(user.auth);
  for (const [k, v] of Object.entries(fields)) req.field(k, v);
  return req.attach('file', body, { filename, contentType: 'application/octet-stream' });
}

export interface UploadedFile {
  id: string;
  name: string;
  mime: string;
  size: number;
  url: string;
  width?: number;
  height?: number;
  thumbnailUrl?: string;
}

/** Uploads and expects 201; returns the file and its message. */
export async function uploadOk(
  t: TestApp,
  user: Pick<TestUser, 'auth'>,
  body: Buffer,
  filename: string,
  fields: Record<string, string> = { room: 'general' },
): Promise<{ file: UploadedFile; message: { id: string; seq: number; [k: string]: unknown } }> {
  const res = await upload(t, user, body, filename, fields);
  if (res.status !== 201)
    throw new Error(`upload failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** The path and query of an absolute file URL, to fetch it through supertest. */
export const pathOf = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

/** GETs a file URL (no auth header, as a browser `<img src>` would) and returns the raw bytes. */
export function fetchFile(t: TestApp, url: string) {
  return t.http
    .get(pathOf(url))
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
}

/** Every file under a directory, as paths relative to it. */
export function filesUnder(dir: string, prefix = ''): string[] {
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(join(dir, prefix));
  } catch {
    return [];
  }
  for (const name of names) {
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(join(dir, rel)).isDirectory()) out = out.concat(filesUnder(dir, rel));
    else out.push(rel);
  }
  return out;
}

/** The storage key of a local file URL: the path after `/files/` (or `/files/public/`). */
export function keyOf(url: string): string {
  return new URL(url).pathname.replace(/^\/files\/(public\/)?/, '');
}
