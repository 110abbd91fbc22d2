import type { RequestHandler } from 'express';
import type { Database } from '../db/client.js';

/** GET /health, exactly as SPEC.md: 200 while the database answers, 503 when it does not. */
export function healthHandler(database: Database, environment: string): RequestHandler {
  return async (_req, res) => {
    const up = await database.ping(2000);
    res.status(up ? 200 : 503).json({
      success: up,
      message: up ? 'Server is healthy' : 'Database unavailable',
      timestamp: new Date().toISOString(),
      environment,
      database: up ? 'connected' : 'disconnected',
    });
  };
}
