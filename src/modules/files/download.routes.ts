import type { Response } from 'express';
import { z } from 'zod';
import { AppError, notFound } from '../../errors.js';
import { route } from '../declare.js';
import type { StorageSetup } from './storage/create-storage.js';
import { isSafeKey } from './storage/local.js';

const MIME_BY_EXT: Record<string, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  zip: 'application/zip',
  txt: 'text/plain; charset=utf-8',
};

/** RFC 6266: an ASCII fallback and the UTF-8 name. */
function contentDisposition(type: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

const keyParams = z.strictObject({
  key: z.string().describe('The object key; may contain `/`'),
});
const signedQuery = z.object({
  exp: z.string().optional().describe('Expiry, seconds since the epoch'),
  name: z.string().optional().describe('The file name to download as'),
  sig: z.string().optional().describe('HMAC signature of key, exp and name'),
});
const FileBytes = z.string().describe("The file's bytes");
const SAFETY =
  'Nothing served here can run in the browser: a sandboxing CSP, nosniff, and attachment for ' +
  'everything but images and video. Served by the local storage driver only (404 with the others).';

/** The local driver's objects, when the local storage driver is in use (createStorage's `local`). */
export type LocalFiles = NonNullable<StorageSetup['local']>;

function send(
  local: LocalFiles,
  res: Response,
  key: string,
  name: string,
  maxAgeSec: number,
): Promise<void> {
  const ext = key.split('.').pop() ?? '';
  const mime = MIME_BY_EXT[ext] ?? 'application/octet-stream';
  const inline = mime.startsWith('image/') || mime.startsWith('video/');
  // Given to sendFile rather than set now, so a missing file's JSON 404 does not go out with them.
  const headers = {
    'Content-Type': mime,
    'Content-Disposition': contentDisposition(
      inline ? 'inline' : 'attachment',
      name || `file.${ext}`,
    ),
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'Cache-Control': `private, max-age=${Math.max(0, maxAgeSec)}`,
  };
  return new Promise<void>((resolve, reject) => {
    res.sendFile(local.pathOf(key), { dotfiles: 'deny', headers, lastModified: false }, (err) => {
      if (!err) return resolve();
      if (
        (err as { code?: string }).code === 'ENOENT' ||
        (err as { status?: number }).status === 404
      )
        return reject(notFound('File'));
      reject(err);
    });
  });
}

/**
 * The local driver's downloads: room files only with a valid, unexpired signature (the URLs that
 * listings hand out), avatars publicly.
 */
export const downloadRoutes = [
  route({
    method: 'get',
    path: '/files/public/*key',
    root: true,
    operationId: 'downloadAvatar',
    summary: 'An avatar image (public)',
    description: `The URL is a user's avatarUrl. ${SAFETY}`,
    tag: 'Files',
    auth: false,
    params: keyParams,
    what: { params: 'file' },
    reply: 'raw',
    success: {
      status: 200,
      schema: FileBytes,
      contentType: 'image/webp',
      description: 'The image',
    },
    errors: [404],
    handler: async ({ params, res }, { localFiles }) => {
      const key = params.key;
      if (!localFiles || !key.startsWith('avatars/') || !isSafeKey(key)) throw notFound('File');
      await send(localFiles, res, key, 'avatar.webp', 86_400);
    },
  }),
  route({
    method: 'get',
    path: '/files/*key',
    root: true,
    operationId: 'downloadFile',
    summary: 'A room file, by its signed URL',
    description:
      'The URL is handed out as `file.url` or `file.thumbnailUrl` by the API (not built by clients) ' +
      `and expires: 401 without a signature, 403 with a wrong or expired one. ${SAFETY}`,
    tag: 'Files',
    auth: false,
    params: keyParams,
    query: signedQuery,
    what: { params: 'file', query: 'query' },
    reply: 'raw',
    success: {
      status: 200,
      schema: FileBytes,
      contentType: '*/*',
      description: 'The file, with its own Content-Type',
    },
    errors: [401, 403, 404],
    handler: async ({ params, query, res }, { localFiles }) => {
      const key = params.key;
      if (!localFiles || !isSafeKey(key) || key.startsWith('avatars/')) throw notFound('File');
      const { exp, name, sig } = query;
      const expires = Number(exp);
      if (!sig || !exp || !Number.isSafeInteger(expires))
        throw new AppError('UNAUTHORIZED', 'This file needs a signed URL');
      if (!localFiles.signer.verify(key, expires, name ?? '', sig))
        throw new AppError('FORBIDDEN', 'Invalid file signature');
      const remaining = expires - Math.floor(Date.now() / 1000);
      if (remaining <= 0)
        throw new AppError('FORBIDDEN', 'This file URL has expired; fetch a fresh one');
      await send(localFiles, res, key, name ?? '', remaining);
    },
  }),
];
