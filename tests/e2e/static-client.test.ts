import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import helmet from 'helmet';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { demoClientRoutes } from '../../src/http/static-client.js';

/** The demo client's static route, on its own: no browser, no database. */

function appWith(dir: string, publicUrl?: string) {
  const app = express();
  app.use(helmet());
  app.use(demoClientRoutes({ dir, publicUrl }));
  app.use((_req, res) => res.status(404).json({ success: false }));
  return supertest(app);
}

describe('demoClientRoutes', () => {
  it('serves the built client at / with its own CSP (scripts from self, ws/wss to self)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-client-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(dir, 'app.js'), 'void 0;');
    const http = appWith(dir);

    const index = await http.get('/').expect(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    const csp = index.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self' ws: wss:");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(index.headers['x-content-type-options']).toBe('nosniff');

    const script = await http.get('/app.js').expect(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.headers['cache-control']).toBe('no-cache');
  });

  it('serves the admin dashboard at /admin, with the same CSP, and nothing under it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-client-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>chat</title>');
    writeFileSync(join(dir, 'admin.html'), '<!doctype html><title>admin</title>');
    const http = appWith(dir);
    const page = await http.get('/admin').expect(200);
    expect(page.text).toContain('<title>admin</title>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    await http.head('/admin').expect(200);
    await http.get('/admin/').expect(404);
    await http.get('/admin/users').expect(404);
    await http.post('/admin').expect(404);
    const unbuilt = await appWith(mkdtempSync(join(tmpdir(), 'demo-client-'))).get('/admin');
    expect([unbuilt.status, unbuilt.text]).toEqual([503, expect.stringContaining('build:client')]);
  });

  it("allows pictures from PUBLIC_URL's origin, where local file URLs point", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-client-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html>');
    const res = await appWith(dir, 'http://localhost:5000/').get('/').expect(200);
    expect(res.headers['content-security-policy']).toMatch(/img-src [^;]*http:\/\/localhost:5000/);
  });

  it('lets everything else through: API paths, nested paths, other methods', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-client-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html>');
    const http = appWith(dir);
    await http.get('/api/rooms').expect(404);
    await http.get('/files/rooms/x.png').expect(404);
    await http.get('/missing.js').expect(404);
    await http.post('/').expect(404);
  });

  it('says how to build the client when public/ is missing, and does not crash', async () => {
    const http = appWith(join(tmpdir(), 'no-such-demo-client-dir'));
    const res = await http.get('/').expect(503);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toContain('npm run build:client');
    await http.get('/app.js').expect(404);
  });
});
