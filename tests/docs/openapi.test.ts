import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DOCS_CSP } from '../../src/openapi/docs.routes.js';
import { fullPath, successStatusesOf, templatePath } from '../../src/http/route.js';
import { componentId } from '../../src/openapi/schemas.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { middlewareAgainstAllowList } from '../helpers/app-layers.js';
import { declaredRoutes, documentedRoutes, registeredRoutes } from './support.js';

/**
 * Routes the app serves that the OpenAPI document leaves out on purpose. Anything else the router
 * has must be documented, so a route added without documentation fails here.
 */
const UNDOCUMENTED: { prefix: string; why: string }[] = [
  { prefix: 'GET /api/v1/docs', why: 'the documentation itself' },
];

interface Doc {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: Record<string, Record<string, unknown>>;
}

let t: TestApp;
let doc: Doc;

beforeAll(async () => {
  t = await startTestApp();
  const res = await t.http.get('/api/docs/openapi.json');
  expect(res.status).toBe(200);
  doc = res.body as Doc;
});

afterAll(async () => {
  await t?.stop();
});

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with full paths, components and bearer auth', async () => {
    const res = await t.http.get('/api/v1/docs/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.servers[0]!.url).toBe('/');
    expect(doc.paths).toHaveProperty(['/api/v1/rooms/{id}']);
    // The signed downloads sit beside the API's /files routes without colliding.
    expect(doc.paths).toHaveProperty(['/files/{key}']);
    expect(doc.paths).toHaveProperty(['/api/v1/files/{messageId}']);
    expect(Object.keys(doc.paths).length).toBeGreaterThan(20);
    expect(doc.components.schemas).toHaveProperty('Error');
    expect(doc.components.schemas).toHaveProperty('Message');
    expect(doc.components.securitySchemes).toHaveProperty('bearerAuth', {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: expect.any(String),
    });
  });

  it('lists every route the app registers, and no route it does not', () => {
    const registered = registeredRoutes(t.app);
    const excluded = registered.filter((r) => UNDOCUMENTED.some((u) => r.startsWith(u.prefix)));
    // Each exclusion still matches something; a stale one would hide nothing but mislead.
    for (const u of UNDOCUMENTED) expect(excluded.some((r) => r.startsWith(u.prefix))).toBe(true);
    const served = registered.filter((r) => !excluded.includes(r));
    expect(served).toContain('GET /health');
    expect(served).toContain('GET /metrics');
    expect(served).toContain('GET /files/{key}');
    expect(served).toContain('GET /files/public/{key}');
    expect(served).toContain('DELETE /api/v1/rooms/{id}/members/{userId}');
    expect(documentedRoutes(doc)).toEqual(served);
  });

  it('has no layer that is not a route, except the allow-listed middleware', () => {
    // A layer that is not a route (an `app.use('/uploads', express.static(dir))`) would serve
    // requests the walk above cannot see, so it could never be documented.
    expect(middlewareAgainstAllowList(t.app)).toEqual({ unlisted: [], stale: [] });
  });

  it('documents each route with the response schema the tests validate against', () => {
    type Content = Record<string, { schema: Record<string, unknown> }>;
    for (const route of declaredRoutes) {
      const op = doc.paths[templatePath(fullPath(route))]![route.method] as {
        responses: Record<string, { content?: Content }>;
        security: unknown[];
      };
      const label = `${route.method} ${fullPath(route)}`;
      const answers = [
        ...successStatusesOf(route).map((status) => [status, route.success] as const),
        ...(route.alternatives ?? []).map((alt) => [alt.status, alt] as const),
      ];
      for (const [status, response] of answers) {
        const content = op.responses[status]?.content;
        const schema = content?.[response.contentType ?? 'application/json']?.schema;
        // A named shape by reference; any other (say /metrics' text) inline, as zod writes it.
        const id = componentId(response.schema);
        const { $schema: _, ...inline } = z.toJSONSchema(response.schema, { io: 'output' });
        const expected = id ? { $ref: `#/components/schemas/${id}` } : inline;
        expect(schema, `${label} → ${status}`).toEqual(expected);
      }
      expect(op.security.length > 0, label).toBe(route.auth || route.security !== undefined);
    }
  });

  it('resolves every $ref it contains', () => {
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of new Set(refs)) {
      const pointer = ref.slice(8, -1);
      expect(pointer.startsWith('#/')).toBe(true);
      let node: unknown = doc;
      for (const part of pointer.slice(2).split('/'))
        node = (node as Record<string, unknown>)[part];
      expect(node, pointer).toBeDefined();
    }
  });
});

describe('the documentation page', () => {
  it('is HTML without inline scripts, under a CSP that allows only its own scripts', async () => {
    for (const path of ['/api/docs', '/api/v1/docs', '/api/docs/']) {
      const res = await t.http.get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.headers['content-security-policy']).toBe(DOCS_CSP);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.text).toContain('id="swagger-ui"');
      // Every script has a src; none is inline.
      expect(res.text.match(/<script\b[^>]*>/g)?.every((s) => /\ssrc="/.test(s))).toBe(true);
    }
    expect(DOCS_CSP).toMatch(/script-src 'self'(;|$)/);
  });

  it('loads Swagger UI from the swagger-ui-dist package, served by this app', async () => {
    const html = (await t.http.get('/api/docs')).text;
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    const styles = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.some((s) => s.endsWith('/assets/swagger-ui-bundle.js'))).toBe(true);
    expect(scripts.some((s) => s.endsWith('/init.js'))).toBe(true);
    for (const src of [...scripts, ...styles]) expect(src.startsWith('/')).toBe(true);

    for (const src of scripts) {
      const res = await t.http.get(src);
      expect(res.status, src).toBe(200);
      expect(res.headers['content-type'], src).toMatch(/javascript/);
    }
    const bundle = await t.http.get('/api/docs/assets/swagger-ui-bundle.js');
    expect(bundle.text.length).toBeGreaterThan(100_000);
    for (const href of styles) {
      const res = await t.http.get(href);
      expect(res.status, href).toBe(200);
      expect(res.headers['content-type']).toContain('text/css');
    }
    const init = await t.http.get('/api/docs/init.js');
    expect(init.text).toContain('SwaggerUIBundle(');
    expect(init.text).not.toMatch(/https?:\/\//);
  });

  it("serves only the assets the page needs, not the package's demo page", async () => {
    for (const path of ['index.html', 'swagger-initializer.js', '../package.json', 'nope.js']) {
      const res = await t.http.get(`/api/docs/assets/${path}`);
      expect(res.status, path).toBe(404);
    }
  });

  it('needs no access token', async () => {
    for (const path of ['/api/docs', '/api/docs/openapi.json', '/api/docs/asyncapi.json']) {
      expect((await t.http.get(path)).status, path).toBe(200);
    }
  });
});
