import type { z } from 'zod';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export type Tag = 'Auth' | 'Users' | 'Rooms' | 'Messages' | 'Files' | 'System';

export interface ResponseDoc {
  status: number;
  schema: z.ZodType;
  description: string;
  /** application/json unless given. */
  contentType?: string;
}

/** One documented route. Request schemas are the modules' own (*.schemas.ts), never copies. */
export interface RouteDoc {
  method: HttpMethod;
  /** With `{param}`: relative to the `/api/v1` server, or from the root when `root` is set. */
  path: string;
  /** Served outside `/api/v1` (health, metrics). */
  root?: boolean;
  operationId: string;
  summary: string;
  description?: string;
  tag: Tag;
  /** Needs `Authorization: Bearer <accessToken>`. */
  auth: boolean;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** A multipart/form-data body: its text fields and its files (`z.file()`). */
  multipart?: z.ZodType;
  /** The success response; `also` lists other success statuses with the same body (idempotent retries). */
  success: ResponseDoc & { also?: number[] };
  /** Other documented responses that are not in the error shape (health's 503). */
  alternatives?: ResponseDoc[];
  /** Error statuses particular to this route; see errorStatusesOf for the ones every route has. */
  errors: number[];
}

/** The path as Express serves it (`/api/v1/...` unless root). */
export function fullPath(route: Pick<RouteDoc, 'path' | 'root'>): string {
  return route.root ? route.path : `/api/v1${route.path === '/' ? '' : route.path}`;
}

/**
 * Every error status a route documents: its own, plus 400 when it validates input, 401 behind auth,
 * and 429 (the general limiter), 500 and 503 (database down) for everything under /api/v1.
 */
export function errorStatusesOf(route: RouteDoc): number[] {
  const statuses = new Set(route.errors);
  if (route.params || route.query || route.body || route.multipart) statuses.add(400);
  if (route.auth) statuses.add(401);
  if (!route.root) for (const s of [429, 500, 503]) statuses.add(s);
  return [...statuses].sort((a, b) => a - b);
}

/** Every success status of a route (the main one first). */
export function successStatusesOf(route: RouteDoc): number[] {
  return [route.success.status, ...(route.success.also ?? [])];
}
