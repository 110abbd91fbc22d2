import { createServer, type Server } from 'node:http';
import cors from 'cors';
import express, { Router } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Config } from './config/config.js';
import type { AppContext } from './context.js';
import type { Database } from './db/client.js';
import { requireAuth } from './http/auth.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { healthHandler } from './http/health.js';
import { createLimiter, type RateLimitStoreFactory } from './http/rate-limit.js';
import { requestId } from './http/request-id.js';
import type { Logger } from './logger.js';
import { authRoutes } from './modules/auth/auth.routes.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { createTokenSigner } from './modules/auth/tokens.js';
import { messagesRoutes } from './modules/messages/messages.routes.js';
import { createMessagesService } from './modules/messages/messages.service.js';
import { roomsRoutes } from './modules/rooms/rooms.routes.js';
import { createRoomsService } from './modules/rooms/rooms.service.js';
import { usersRoutes } from './modules/users/users.routes.js';
import { createUsersService } from './modules/users/users.service.js';
import { nullBroadcaster } from './realtime/broadcaster.js';

export interface AppDeps {
  config: Config;
  log: Logger;
  database: Database;
  rateLimitStore?: RateLimitStoreFactory;
}

export interface App {
  app: express.Express;
  server: Server;
  ctx: AppContext;
  /** Stops accepting, lets in-flight requests finish, closes sockets; the database stays open. */
  close(): Promise<void>;
}

/** Builds the Express app on an HTTP server; the caller listens and closes. */
export async function createApp(deps: AppDeps): Promise<App> {
  const { config, log, database } = deps;
  const ctx: AppContext = {
    config,
    log,
    database,
    db: database.db,
    signer: createTokenSigner(config.JWT_SECRET, config.JWT_EXPIRES_IN),
    broadcaster: nullBroadcaster,
  };
  const rooms = createRoomsService(ctx);
  const messages = createMessagesService(ctx);
  const auth = createAuthService(ctx, { onUserCreated: (user) => rooms.joinGeneral(user.id) });
  const users = createUsersService(ctx);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY);
  app.set('query parser', 'simple');

  app.use(
    pinoHttp({
      logger: log,
      genReqId: requestId,
      customProps: (req) => ({ userId: (req as express.Request).actor?.userId }),
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(helmet());
  app.use(
    cors({
      origin: config.corsOrigins.includes('*') ? true : config.corsOrigins,
      credentials: true,
      exposedHeaders: ['Retry-After', 'X-Request-Id', 'RateLimit', 'RateLimit-Policy'],
    }),
  );

  app.get('/health', healthHandler(database, config.NODE_ENV));

  const generalLimiter = createLimiter({
    name: 'general',
    windowMs: config.RATE_LIMIT_WINDOW_MS,
    limit: config.RATE_LIMIT_MAX,
    storeFactory: deps.rateLimitStore,
  });
  const authLimiter = createLimiter({
    name: 'auth',
    windowMs: config.RATE_LIMIT_WINDOW_MS,
    limit: config.AUTH_RATE_LIMIT_MAX,
    failedOnly: true,
    storeFactory: deps.rateLimitStore,
  });
  const authenticated = requireAuth(auth.authenticate);

  const api = Router();
  api.use(generalLimiter);
  api.use(express.json({ limit: config.JSON_BODY_LIMIT }));
  api.use('/auth', authRoutes({ auth, requireAuth: authenticated, authLimiter }));
  api.use('/users', authenticated, usersRoutes({ users }));
  api.use('/rooms', authenticated, roomsRoutes({ rooms }));
  api.use('/messages', authenticated, messagesRoutes({ messages }));

  // `/api/...` is an alias of the current version: rewrite once, so each request passes one limiter.
  app.use((req, _res, next) => {
    if (req.url === '/api' || (req.url.startsWith('/api/') && !/^\/api\/v1(\/|\?|$)/.test(req.url))) {
      req.url = `/api/v1${req.url.slice(4)}`;
    }
    next();
  });
  app.use('/api/v1', api);
  app.use(notFoundHandler);
  app.use(errorHandler(log, config.NODE_ENV === 'development'));

  const server = createServer(app);

  async function close(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      // Keep-alive connections with no request in flight would hold close() open until they time out.
      server.closeIdleConnections();
    });
  }

  return { app, server, ctx, close };
}
