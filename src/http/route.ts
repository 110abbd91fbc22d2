import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Actor } from '../context.js';
import type { PageInfo } from './respond.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export type Tag =
  'Auth' | 'Users' | 'Rooms' | 'Messages' | 'Push' | 'Files' | 'Moderation' | 'Admin' | 'System';

/**
 * How a route answers on success: `data` wraps the handler's result in `{ success, data }`, `page`
 * sends `{ success, data: items, page }`, `raw` leaves the response to the handler (health, metrics,
 * file downloads), which writes it through `res`.
 */
export type Reply = 'data' | 'page' | 'raw';

export interface ResponseDoc {
  status: number;
  schema: z.ZodType;
  description: string;
  /** application/json unless given. */
  contentType?: string;
}

/** Extra per-route middleware the HTTP layer owns, named so the declaration stays plain data. */
export type RouteLimit = 'auth' | 'export';

/** A multipart/form-data body: one file in `field`, text fields checked by `fields`. */
export interface MultipartSpec<B = unknown> {
  field: string;
  /** The largest file accepted: a number of bytes, or read from the config at mount time. */
  maxBytes: number | 'upload';
  /** A request without the file is answered 400 with this message and detail. */
  missing: { message: string; detail: string };
  /** The text fields (validated) and the file (documented as `z.file()`), for the document. */
  fields?: z.ZodType<B>;
  /** The whole form, as documented (text fields and the file). */
  doc: z.ZodType;
}

/** The input a handler receives: parsed by the route's schemas before it runs. */
export interface RouteInput<P, Q, B> {
  /** The authenticated caller (routes with `auth: true` only; undefined otherwise). */
  actor: Actor;
  params: P;
  query: Q;
  body: B;
  /** The uploaded file of a multipart route. */
  file?: Express.Multer.File;
  req: Request;
  res: Response;
}

/**
 * A handler's result: for `data`, the value (or `{ status, data }` via `withStatus` when the status
 * varies, e.g. 201 created vs 200 found); for `page`, `{ items, page }`; for `raw`, nothing.
 */
export type RouteResult = unknown;

/** One route, declared once: the HTTP layer mounts it and the OpenAPI document is generated from it. */
export interface RouteSpec<Svc, P, Q, B> {
  method: HttpMethod;
  /** Express syntax (`/rooms/:id`): under `/api/v1` (and `/api`), or from the root when `root` is set. */
  path: string;
  root?: boolean;
  operationId: string;
  summary: string;
  description?: string;
  tag: Tag;
  /** Needs `Authorization: Bearer <accessToken>`. */
  auth: boolean;
  /** Per-route limiter on top of the general one. */
  limit?: RouteLimit;
  /** Input schemas and the word used in their 400 message (`Invalid room`). */
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** The noun of the 400 message when the input is invalid: "Invalid <what>" (default "request"). */
  what?: { params?: string; query?: string; body?: string };
  multipart?: MultipartSpec<B>;
  reply: Reply;
  /** The success response; `also` lists other success statuses with the same body. */
  success: ResponseDoc & { also?: number[] };
  /** Other documented responses that are not in the error shape (health's 503). */
  alternatives?: ResponseDoc[];
  /** Error statuses particular to this route; see errorStatusesOf for the ones every route has. */
  errors: number[];
  /** Security schemes other than bearer auth, for the document (metrics' token). */
  security?: Record<string, string[]>[];
  handler: (input: RouteInput<P, Q, B>, services: Svc) => Promise<RouteResult> | RouteResult;
}

/** A declared route, its input types erased: what the registrar and the document generator walk. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Route<Svc = any> = RouteSpec<Svc, any, any, any>;

/** A `data` result with a status other than the route's main one (200 for an idempotent retry). */
export class WithStatus {
  constructor(
    readonly status: number,
    readonly data: unknown,
  ) {}
}

export const withStatus = (status: number, data: unknown) => new WithStatus(status, data);

/** A `page` result. */
export interface PageResult {
  items: unknown[];
  page: PageInfo;
}

/**
 * The `route()` of a services bag: `routeFor<Services>()` returns a function whose declarations get
 * `services` typed, with params/query/body inferred from the schemas.
 */
export function routeFor<Svc>() {
  return <P = undefined, Q = undefined, B = undefined>(spec: RouteSpec<Svc, P, Q, B>): Route<Svc> =>
    spec as Route<Svc>;
}

/** The path as Express serves it (`/api/v1/...` unless root). */
export function fullPath(route: Pick<Route, 'path' | 'root'>): string {
  return route.root ? route.path : `/api/v1${route.path === '/' ? '' : route.path}`;
}

/** The path in OpenAPI syntax: `:id` and `*key` as `{id}` and `{key}`. */
export function templatePath(path: string): string {
  return path.replace(/[:*](\w+)/g, '{$1}');
}

/**
 * Every error status a route documents: its own, plus 400 when it validates input, 401 behind auth,
 * and 429 (the general limiter), 500 and 503 (database down) for everything under /api/v1.
 */
export function errorStatusesOf(route: Route): number[] {
  const statuses = new Set(route.errors);
  if (route.params || route.query || route.body || route.multipart) statuses.add(400);
  if (route.auth) statuses.add(401);
  if (!route.root) for (const s of [429, 500, 503]) statuses.add(s);
  return [...statuses].sort((a, b) => a - b);
}

/** Every success status of a route (the main one first). */
export function successStatusesOf(route: Route): number[] {
  return [route.success.status, ...(route.success.also ?? [])];
}
