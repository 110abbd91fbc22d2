import type { Request, RequestHandler, Response, Router } from 'express';
import { validationError } from '../errors.js';
import { actorOf } from './auth.js';
import { singleFileUpload } from './multipart.js';
import { sendData, sendPage } from './respond.js';
import {
  WithStatus,
  type PageResult,
  type Route,
  type RouteInput,
  type RouteLimit,
} from './route.js';
import { parseInput } from './validate.js';

export interface MountOptions {
  /** requireAuth, for routes declared with `auth: true`. */
  authenticate: RequestHandler;
  /** The per-route limiters a declaration can name. */
  limiters: Record<RouteLimit, RequestHandler>;
  /** MAX_UPLOAD_BYTES, for multipart routes whose `maxBytes` is 'upload'. */
  maxUploadBytes: number;
}

/** Express 5 gives a `*key` wildcard as its path segments; a declaration sees the joined path. */
function joinWildcards(params: Record<string, string | string[]>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v.join('/') : v]),
  );
}

/** Runs a declaration's handler on parsed input and answers the way its `reply` says. */
function endpoint<Svc>(route: Route<Svc>, services: Svc): RequestHandler {
  const what = route.what ?? {};
  return async (req: Request, res: Response) => {
    const params = route.params
      ? parseInput(route.params, joinWildcards(req.params), what.params)
      : undefined;
    const query = route.query ? parseInput(route.query, req.query, what.query) : undefined;
    let body: unknown;
    if (route.multipart) {
      const spec = route.multipart;
      body = spec.fields ? parseInput(spec.fields, req.body ?? {}, what.body) : undefined;
      if (!req.file)
        throw validationError(spec.missing.message, [
          { path: spec.field, message: spec.missing.detail },
        ]);
    } else if (route.body) body = parseInput(route.body, req.body, what.body);
    const input: RouteInput<unknown, unknown, unknown> = {
      // Behind `authenticate` for auth routes; anywhere else, reading it answers 401.
      get actor() {
        return actorOf(req);
      },
      params,
      query,
      body,
      file: req.file,
      req,
      res,
    };
    const result = await route.handler(input, services);
    if (route.reply === 'raw') return;
    if (route.reply === 'page') {
      const { items, page } = result as PageResult;
      return sendPage(res, items, page, route.success.status);
    }
    if (result instanceof WithStatus) return sendData(res, result.data, result.status);
    sendData(res, result, route.success.status);
  };
}

/**
 * Mounts declared routes on a router, each as one Express route: auth, then its own limiter, then
 * the multipart parser, then the handler with parsed input. The same declarations generate the
 * OpenAPI document, so what is mounted is what is documented.
 */
export function mountRoutes<Svc>(
  router: Router,
  routes: readonly Route<Svc>[],
  services: Svc,
  options: MountOptions,
): void {
  for (const route of routes) {
    const chain: RequestHandler[] = [];
    if (route.auth) chain.push(options.authenticate);
    if (route.limit) chain.push(options.limiters[route.limit]);
    if (route.multipart) {
      const max = route.multipart.maxBytes;
      chain.push(
        singleFileUpload(route.multipart.field, max === 'upload' ? options.maxUploadBytes : max),
      );
    }
    chain.push(endpoint(route, services));
    router[route.method](route.path, ...chain);
  }
}
