import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '../db/client.js';
import type { Metrics } from '../observability/metrics.js';
import { Health } from '../openapi/schemas.js';
import { isLoopback } from './loopback.js';
import { routeFor } from './route.js';

/** What the health and metrics routes need, handed in by app.ts. */
export interface SystemServices {
  database: Pick<Database, 'ping'>;
  environment: string;
  metrics: Metrics;
  /** METRICS_TOKEN: with it, `Authorization: Bearer <token>` is required. */
  metricsToken?: string;
  /** With a TRUST_PROXY, every caller could look local: metrics then need the token. */
  behindProxy: boolean;
}

const route = routeFor<SystemServices>();

/** Compares in constant time; different lengths differ. */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export const systemRoutes = [
  route({
    method: 'get',
    path: '/health',
    root: true,
    operationId: 'health',
    summary: 'Liveness and database check',
    tag: 'System',
    auth: false,
    reply: 'raw',
    success: { status: 200, schema: Health, description: 'Healthy' },
    alternatives: [{ status: 503, schema: Health, description: 'The database does not answer' }],
    errors: [],
    // Exactly as SPEC.md: 200 while the database answers, 503 when it does not.
    handler: async ({ res }, { database, environment }) => {
      const up = await database.ping(2000);
      res.status(up ? 200 : 503).json({
        success: up,
        message: up ? 'Server is healthy' : 'Database unavailable',
        timestamp: new Date().toISOString(),
        environment,
        database: up ? 'connected' : 'disconnected',
      });
    },
  }),
  route({
    method: 'get',
    path: '/metrics',
    root: true,
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    description:
      'With METRICS_TOKEN set, `Authorization: Bearer <METRICS_TOKEN>` is required (401 otherwise); ' +
      'without, only loopback callers are answered, and only when no TRUST_PROXY is set (403 otherwise).',
    tag: 'System',
    auth: false,
    security: [{ metricsToken: [] }, {}],
    reply: 'raw',
    success: {
      status: 200,
      schema: z.string(),
      contentType: 'text/plain',
      description: 'Prometheus text exposition format',
    },
    errors: [401, 403],
    handler: async ({ req, res }, { metrics, metricsToken, behindProxy }) => {
      const allowed = metricsToken
        ? sameSecret(req.headers.authorization ?? '', `Bearer ${metricsToken}`)
        : !behindProxy && isLoopback(req.socket.remoteAddress);
      if (!allowed) {
        res.status(metricsToken ? 401 : 403).json({
          success: false,
          error: metricsToken
            ? { code: 'UNAUTHORIZED', message: 'A valid metrics token is required' }
            : {
                code: 'FORBIDDEN',
                message: behindProxy
                  ? 'Behind a proxy, metrics need METRICS_TOKEN'
                  : 'Metrics are served on loopback only; set METRICS_TOKEN',
              },
        });
        return;
      }
      res.setHeader('Content-Type', metrics.registry.contentType);
      res.send(await metrics.registry.metrics());
    },
  }),
];
