import { createRequire } from 'node:module';
import express, { Router, type Response } from 'express';
import { notFound } from '../errors.js';
import type { Route } from '../http/route.js';
import { buildAsyncApiDocument } from './asyncapi.js';
import { buildOpenApiDocument } from './openapi.js';

const require = createRequire(import.meta.url);
/**
 * swagger-ui-dist's `absolutePath()`. Its own module, not the package index, which would also load
 * the 1.5 MB browser bundle into Node.
 */
const swaggerUiDir = (require('swagger-ui-dist/absolute-path.js') as () => string)();

/** The files the page loads (and their source maps); the package's demo index and initializer are not served. */
const ASSETS = new Set([
  '/swagger-ui-bundle.js',
  '/swagger-ui-bundle.js.map',
  '/swagger-ui.css',
  '/swagger-ui.css.map',
  '/favicon-16x16.png',
  '/favicon-32x32.png',
]);

/**
 * Helmet's CSP forbids inline scripts, so the page has none: Swagger UI starts from init.js. Swagger UI
 * injects style elements and draws icons from data: URLs; "Try it out" calls this origin.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Starts Swagger UI on the document named by the container's data-openapi-url. */
const INIT_JS = `window.addEventListener('load', function () {
  var container = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({
    url: container.getAttribute('data-openapi-url'),
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function page(base: string): string {
  const b = escapeHtml(base);
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Chat API documentation</title>
    <link rel="stylesheet" href="${b}/assets/swagger-ui.css">
    <link rel="icon" type="image/png" href="${b}/assets/favicon-32x32.png" sizes="32x32">
  </head>
  <body>
    <p style="margin: 1em 2em; font-family: sans-serif">
      REST: <a href="${b}/openapi.json">OpenAPI 3.1</a> ·
      Socket.io events: <a href="${b}/asyncapi.json">AsyncAPI 3.0</a>
    </p>
    <div id="swagger-ui" data-openapi-url="${b}/openapi.json"></div>
    <script src="${b}/assets/swagger-ui-bundle.js"></script>
    <script src="${b}/init.js"></script>
  </body>
</html>
`;
}

function sendJson(res: Response, json: string): void {
  res.setHeader('Cache-Control', 'no-cache');
  res.type('application/json').send(json);
}

/**
 * The API documentation, public (no auth): GET / (Swagger UI), /openapi.json, /asyncapi.json, and the
 * Swagger UI assets from the swagger-ui-dist package under /assets. Documents are built on first use,
 * from the routes the app mounts.
 */
export function docsRoutes(routes: readonly Route[]): Router {
  const router = Router();
  let openApiJson: string | undefined;
  let asyncApiJson: string | undefined;

  router.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    next();
  });

  router.get('/', (req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(page(req.baseUrl));
  });

  router.get('/init.js', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('text/javascript').send(INIT_JS);
  });

  router.get('/openapi.json', (_req, res) => {
    openApiJson ??= JSON.stringify(buildOpenApiDocument(routes));
    sendJson(res, openApiJson);
  });

  router.get('/asyncapi.json', (_req, res) => {
    asyncApiJson ??= JSON.stringify(buildAsyncApiDocument());
    sendJson(res, asyncApiJson);
  });

  router.use('/assets', (req, _res, next) =>
    next(ASSETS.has(req.path) ? undefined : notFound('Asset')),
  );
  router.use('/assets', express.static(swaggerUiDir, { index: false, maxAge: '1h' }));

  return router;
}
