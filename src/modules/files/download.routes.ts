import { Router } from 'express';
import { AppError, notFound } from '../../errors.js';
import { isSafeKey, type LocalSigner } from './storage/local.js';

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

/**
 * Serves the local driver's objects: room files only with a valid, unexpired signature (the URLs that
 * listings hand out), avatars publicly. Nothing served here can run in the browser: a sandboxing CSP,
 * nosniff, and attachment for everything but images and video.
 */
export function localDownloadRoutes(deps: {
  pathOf: (key: string) => string;
  signer: LocalSigner;
}): Router {
  const router = Router();

  function send(res: import('express').Response, key: string, name: string, maxAgeSec: number) {
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
      res.sendFile(deps.pathOf(key), { dotfiles: 'deny', headers, lastModified: false }, (err) => {
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

  router.get('/public/*key', async (req, res) => {
    const key = (req.params as { key: string[] }).key.join('/');
    if (!key.startsWith('avatars/') || !isSafeKey(key)) throw notFound('File');
    await send(res, key, 'avatar.webp', 86_400);
  });

  router.get('/*key', async (req, res) => {
    const key = (req.params as { key: string[] }).key.join('/');
    if (!isSafeKey(key) || key.startsWith('avatars/')) throw notFound('File');
    const { exp, name, sig } = req.query as Record<string, string | undefined>;
    const expires = Number(exp);
    if (!sig || !exp || !Number.isSafeInteger(expires))
      throw new AppError('UNAUTHORIZED', 'This file needs a signed URL');
    if (!deps.signer.verify(key, expires, name ?? '', sig))
      throw new AppError('FORBIDDEN', 'Invalid file signature');
    const remaining = expires - Math.floor(Date.now() / 1000);
    if (remaining <= 0)
      throw new AppError('FORBIDDEN', 'This file URL has expired; fetch a fresh one');
    await send(res, key, name ?? '', remaining);
  });

  return router;
}
