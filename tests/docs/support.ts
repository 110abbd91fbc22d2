import { expect } from 'vitest';
import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../../src/errors.js';
import {
  errorStatusesOf,
  fullPath,
  successStatusesOf,
  templatePath,
  type Route,
} from '../../src/http/route.js';
import { systemRoutes } from '../../src/http/system.routes.js';
import { featureRoutes } from '../../src/modules/index.js';
import { ErrorBody } from '../../src/openapi/schemas.js';
import type { TestApp } from '../helpers/app.js';
import { appLayers } from '../helpers/app-layers.js';

// ---- Walking the Express app's router -------------------------------------------------------------

/** `:param` and `*param` as `{param}`, without a trailing slash. */
export function toTemplate(path: string): string {
  const t = path.replace(/[:*](\w+)/g, '{$1}').replace(/\/{2,}/g, '/');
  return t.length > 1 ? t.replace(/\/$/, '') : t;
}

/**
 * Every `METHOD /path` the app has a route for, read from its router stack (mounted routers
 * included); its other layers are checked against the allow-list of tests/helpers/app-layers.ts.
 */
export function registeredRoutes(app: TestApp['app']): string[] {
  return [
    ...new Set(
      appLayers(app).routes.map((r) => {
        const [method, path] = r.split(' ') as [string, string];
        return `${method} ${toTemplate(path)}`;
      }),
    ),
  ].sort();
}

/** `METHOD /path` for each operation of an OpenAPI document (path-level servers respected). */
export function documentedRoutes(doc: {
  paths: Record<string, Record<string, unknown>>;
  servers: { url: string }[];
}): string[] {
  const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
  const out: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    const servers = (item.servers as { url: string }[] | undefined) ?? doc.servers;
    const base = servers[0]!.url.replace(/\/$/, '');
    for (const method of Object.keys(item).filter((k) => methods.includes(k))) {
      out.push(`${method.toUpperCase()} ${toTemplate(base + path)}`);
    }
  }
  return out.sort();
}

// ---- Driving documented routes and checking their answers ------------------------------------------

export interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string | number>;
  body?: unknown;
  auth?: { Authorization: string };
  headers?: Record<string, string>;
  fields?: Record<string, string>;
  files?: Record<string, { buffer: Buffer; filename: string }>;
}

/** Every declared route: what the app mounts and the document describes. */
export const declaredRoutes: readonly Route[] = [...systemRoutes, ...featureRoutes];

/** The declared route for a method and a `{param}` path (as the app serves it), if any. */
export function findRoute(method: string, path: string): Route | undefined {
  const m = method.toLowerCase();
  return declaredRoutes.find((r) => r.method === m && templatePath(fullPath(r)) === path);
}

const key = (route: Route) => `${route.method.toUpperCase()} ${templatePath(fullPath(route))}`;

/** A media range (`image/*`, `*\u002f*`) or type as a pattern for a Content-Type header. */
function mediaRange(range: string): RegExp {
  const escaped = range
    .split('*')
    .map((part) => part.replace(/[.+/]/g, (c) => `\\${c}`))
    .join('[^;]+');
  return new RegExp(`^${escaped}`);
}

function parseStrict(schema: z.ZodType, body: unknown, what: string): void {
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new Error(
      `${what} does not match its documented schema:\n${z.prettifyError(result.error)}\n` +
        `body: ${JSON.stringify(body).slice(0, 1500)}`,
    );
  }
}

/**
 * Calls documented routes by their `{param}` template and checks each answer against the document:
 * a documented status, and a body the documented zod schema (strict objects) accepts. Remembers which
 * routes answered with success and with an error, so a test can demand that every route did.
 */
export function documentedClient(t: TestApp) {
  const succeeded = new Set<string>();
  const failed = new Set<string>();

  async function send(method: string, template: string, options: CallOptions) {
    const route = findRoute(method, template);
    if (!route) throw new Error(`${method.toUpperCase()} ${template} is not documented`);
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = options.params?.[name];
      if (value === undefined) throw new Error(`no value for {${name}}`);
      // A `*key` wildcard's value is a path: its slashes stay.
      return value.split('/').map(encodeURIComponent).join('/');
    });
    let req = t.http[route.method](path);
    if (options.query) req = req.query(options.query);
    if (options.auth) req = req.set(options.auth);
    if (options.headers) req = req.set(options.headers);
    if (options.files || options.fields) {
      for (const [name, value] of Object.entries(options.fields ?? {}))
        req = req.field(name, value);
      for (const [name, file] of Object.entries(options.files ?? {})) {
        req = req.attach(name, file.buffer, file.filename);
      }
    } else if (options.body !== undefined) req = req.send(options.body as object);
    return { route, res: await req };
  }

  return {
    /** A success: a documented success status and a body its schema accepts. Returns the body. */
    async ok(method: string, template: string, options: CallOptions = {}, status?: number) {
      const { route, res } = await send(method, template, options);
      const label = `${key(route)} → ${res.status}`;
      const documented = [
        ...successStatusesOf(route),
        ...(route.alternatives ?? []).map((a) => a.status),
      ];
      expect(documented, `${label} ${JSON.stringify(res.body)}`).toContain(res.status);
      if (status !== undefined) expect(res.status, label).toBe(status);
      const response = route.alternatives?.find((a) => a.status === res.status) ?? route.success;
      if (response.contentType && response.contentType !== 'application/json') {
        expect(res.headers['content-type'], label).toMatch(mediaRange(response.contentType));
        // Text (metrics) is checked against its schema; bytes (downloads) have no text.
        parseStrict(response.schema, res.text ?? '', label);
      } else {
        expect(res.headers['content-type']).toContain('application/json');
        parseStrict(response.schema, res.body, label);
      }
      succeeded.add(key(route));
      return res.body as { data: never; page?: { nextCursor: string | null; rev?: number } };
    },

    /** An error: this status, documented for the route, in the error shape with the fitting code. */
    async fail(method: string, template: string, options: CallOptions, status: number) {
      const { route, res } = await send(method, template, options);
      const label = `${key(route)} → ${res.status}`;
      expect(res.status, `${label} ${JSON.stringify(res.body)}`).toBe(status);
      expect(errorStatusesOf(route), label).toContain(res.status);
      parseStrict(ErrorBody, res.body, label);
      expect(ERROR_STATUS[(res.body as { error: { code: ErrorCode } }).error.code]).toBe(status);
      failed.add(key(route));
      return res.body as z.output<typeof ErrorBody>;
    },

    /** Documented routes not yet seen answering with success, and those with an error. */
    missing() {
      return {
        success: declaredRoutes.map(key).filter((k) => !succeeded.has(k)),
        error: declaredRoutes
          .filter((r) => errorStatusesOf(r).length > 0)
          .map(key)
          .filter((k) => !failed.has(k)),
      };
    },
  };
}
