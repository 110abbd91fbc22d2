import type { Request, RequestHandler } from 'express';
import type { Actor } from '../context.js';
import { unauthorized } from '../errors.js';

declare module 'express-serve-static-core' {
  interface Request {
    actor?: Actor;
  }
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Guards a route with the same check the Socket.io handshake uses. */
export function requireAuth(authenticate: (token: string) => Promise<Actor>): RequestHandler {
  return async (req, _res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw unauthorized('Missing bearer token');
    req.actor = await authenticate(token);
    req.log = req.log.child({ userId: req.actor.userId });
    next();
  };
}

/** The authenticated caller; only for routes behind requireAuth. */
export function actorOf(req: Request): Actor {
  if (!req.actor) throw unauthorized();
  return req.actor;
}
