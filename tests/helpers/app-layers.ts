import type { Express } from 'express';

/**
 * Everything the Express app has mounted, app and routers walked recursively: the declared routes,
 * and every other layer (middleware), which sees requests no route declares and may answer them.
 */

interface Layer {
  name?: string;
  route?: { path: string | string[]; methods: Record<string, boolean | undefined> };
  handle?: { length?: number; stack?: Layer[] };
  rawPath?: unknown;
}

export interface AppLayers {
  /** `METHOD /path` of every route, in Express's syntax (`:id`, `*key`), without a trailing `/`. */
  routes: string[];
  /**
   * Every layer that is neither a route nor a router, as `USE <mount> <function name>`, or
   * `ERROR <mount> <name>` for error handlers; in stack order, repeats kept.
   */
  middleware: string[];
}

const mountOf = (raw: unknown): string[] =>
  [raw ?? '/'].flat().map((p) => (p === '/' ? '' : String(p)));

export function appLayers(app: Express): AppLayers {
  const routes = new Set<string>();
  const middleware: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const path of [layer.route.path].flat()) {
          const full = (prefix + (path === '/' ? '' : path)).replace(/\/{2,}/g, '/') || '/';
          for (const [method, on] of Object.entries(layer.route.methods)) {
            if (on) routes.add(`${method === '_all' ? 'ALL' : method.toUpperCase()} ${full}`);
          }
        }
      } else if (layer.handle?.stack) {
        for (const mount of mountOf(layer.rawPath)) walk(layer.handle.stack, prefix + mount);
      } else {
        const kind = layer.handle?.length === 4 ? 'ERROR' : 'USE';
        for (const mount of mountOf(layer.rawPath))
          middleware.push(`${kind} ${prefix + mount || '/'} ${layer.name ?? '<anonymous>'}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return { routes: [...routes].sort(), middleware };
}

/**
 * The middleware the app may have, each for a reason. Any other layer (say an
 * `app.use('/uploads', express.static(dir))`) would serve requests that neither the access matrix
 * (tests/security/acl-matrix) nor the fuzzing nor the OpenAPI document knows of: both walks fail
 * until it becomes a declared route (with its matrix row, fuzz spec and documentation) or is added
 * here with its reason. Repeats count: a second `USE / <anonymous>` is a new layer.
 *
 * Not Express layers, so not here: Socket.io (engine.io answers `/socket.io/` on the HTTP server
 * before Express sees the request; its access rules are in tests/security/acl-socket), and the
 * routes outside the matrix (`/health`, `/metrics`, the signed `/files/*` downloads, the docs),
 * which are declared routes listed in acl-matrix's NOT_IN_MATRIX.
 */
export const ALLOWED_MIDDLEWARE: readonly { layer: string; why: string }[] = [
  { layer: 'USE / result', why: "pino-http's request logger (its function is named `result`)" },
  { layer: 'USE / helmetMiddleware', why: 'security headers; answers nothing' },
  {
    layer: 'USE / corsMiddleware',
    why: 'CORS; answers only preflights, tested in security/secrets',
  },
  { layer: 'USE / httpMiddleware', why: 'request metrics; answers nothing' },
  {
    layer: 'USE / handler',
    why: 'the static demo client: GET/HEAD of top-level client files only (tests/e2e/static-client)',
  },
  { layer: 'USE / <anonymous>', why: 'rewrites /api/... to /api/v1/...; answers nothing' },
  { layer: 'USE /api/v1/docs <anonymous>', why: "the documentation's CSP header" },
  {
    layer: 'USE /api/v1/docs/assets <anonymous>',
    why: "lets only Swagger UI's own asset names through to the static files below",
  },
  {
    layer: 'USE /api/v1/docs/assets serveStatic',
    why: 'Swagger UI from swagger-ui-dist, public; tests/docs/openapi checks what it serves',
  },
  { layer: 'USE /api/v1 <anonymous>', why: 'the general rate limiter' },
  { layer: 'USE /api/v1 jsonParser', why: 'JSON bodies; errors go to the error handler' },
  { layer: 'USE / notFoundHandler', why: 'the JSON 404 for everything no route answered' },
  { layer: 'ERROR / <anonymous>', why: 'the error handler (SPEC error shape)' },
];

/**
 * The app's middleware against ALLOWED_MIDDLEWARE, as multisets: layers not on the list (or there
 * more often than listed), and list entries no layer matches any more.
 */
export function middlewareAgainstAllowList(app: Express): { unlisted: string[]; stale: string[] } {
  const left = ALLOWED_MIDDLEWARE.map((a) => a.layer);
  const unlisted: string[] = [];
  for (const layer of appLayers(app).middleware) {
    const i = left.indexOf(layer);
    if (i === -1) unlisted.push(layer);
    else left.splice(i, 1);
  }
  return { unlisted, stale: left };
}
