import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type RequestHandler } from 'express';

/**
 * The demo client's policy, stricter than helmet's global one where it can be: scripts and styles
 * only from this origin, the API and Socket.io (ws/wss) on it. Pictures and videos also from
 * PUBLIC_URL's origin (local file URLs are absolute, made from it, and the page may be opened under
 * another name, e.g. 127.0.0.1 for localhost) and from https hosts (S3, Cloudinary).
 */
export function demoClientCsp(publicUrl?: string): string {
  let media = "'self' data: blob: https:";
  const origin = publicUrl && URL.canParse(publicUrl) ? new URL(publicUrl).origin : undefined;
  if (origin?.startsWith('http')) media += ` ${origin}`;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${media}`,
    `media-src ${media}`,
    "connect-src 'self' ws: wss:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** public/ at the repository root, from src/http (tsx) or dist/src/http (compiled). */
function defaultDir(): string {
  const candidates = ['../../public', '../../../public'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  const built = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  return built ?? (import.meta.url.includes('/dist/') ? candidates[1]! : candidates[0]!);
}

/** Top-level files only (`/`, `/app.js`, `/style.css`...): API and file paths pass straight through. */
const CLIENT_PATH = /^\/(?:[\w-]+\.(?:html|js|css|map|png|svg|ico|webmanifest))?$/;
/** Pages at a path of their own, with the file that holds them: the admin dashboard. */
const PAGES: Record<string, string> = { '/admin': 'admin.html' };

/**
 * Serves the browser demo client (built from client/ into public/ by `npm run build:client`) at `/`,
 * and its admin dashboard at `/admin`. Without a build, each answers with a short note saying how to
 * make one.
 */
export function demoClientRoutes(options: { dir?: string; publicUrl?: string } = {}): Router {
  const dir = options.dir ?? defaultDir();
  const csp = demoClientCsp(options.publicUrl);
  const router = Router();
  const serve = express.static(dir, {
    index: 'index.html',
    redirect: false,
    dotfiles: 'ignore',
    setHeaders: (res) => {
      // The file names carry no hash: revalidate every time (cheap with ETags).
      res.setHeader('Content-Security-Policy', csp);
      res.setHeader('Cache-Control', 'no-cache');
    },
  });

  const handler: RequestHandler = (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const page = Object.hasOwn(PAGES, req.path) ? PAGES[req.path] : undefined;
    if (!page && !CLIENT_PATH.test(req.path)) return next();
    const file = page ?? (req.path === '/' ? 'index.html' : req.path.slice(1));
    if ((page || file === 'index.html') && !existsSync(join(dir, file))) {
      res
        .status(503)
        .type('text/plain')
        .send('The demo client is not built. Run `npm run build:client`, then reload.\n');
      return;
    }
    if (page) req.url = `/${page}`;
    serve(req, res, next);
  };
  router.use(handler);
  return router;
}
