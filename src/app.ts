import { createServer, type Server } from 'node:http';
import cors from 'cors';
import express, { Router } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { Server as IoServer } from 'socket.io';
import type { Config } from './config/config.js';
import type { AppContext } from './context.js';
import type { Database } from './db/client.js';
import { requireAuth } from './http/auth.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { healthHandler } from './http/health.js';
import { createLimiter, type RateLimitStoreFactory } from './http/rate-limit.js';
import { requestId } from './http/request-id.js';
import { demoClientRoutes } from './http/static-client.js';
import { safeError, type Logger } from './logger.js';
import { createMetrics, metricsHandler } from './observability/metrics.js';
import { docsRoutes } from './openapi/docs.routes.js';
import { startAuthCleanup } from './modules/auth/auth.cleanup.js';
import { authRoutes } from './modules/auth/auth.routes.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { createTokenSigner } from './modules/auth/tokens.js';
import { messagesRoutes } from './modules/messages/messages.routes.js';
import { createAvatarService } from './modules/files/avatar.service.js';
import { createClamavScanner } from './modules/files/clamav.js';
import { localDownloadRoutes } from './modules/files/download.routes.js';
import { avatarRoutes, filesRoutes } from './modules/files/files.routes.js';
import { createFilesService } from './modules/files/files.service.js';
import { createStorage } from './modules/files/storage/create-storage.js';
import { createMessagesService } from './modules/messages/messages.service.js';
import { roomsRoutes } from './modules/rooms/rooms.routes.js';
import { createRoomsService } from './modules/rooms/rooms.service.js';
import { createTypingService } from './modules/rooms/typing.service.js';
import { createPresenceService } from './modules/users/presence.service.js';
import { usersRoutes } from './modules/users/users.routes.js';
import { createUsersService } from './modules/users/users.service.js';
import { attachSocketServer } from './realtime/connections.js';
import { clientAddress, createIo } from './realtime/io.js';
import { createRedisPresence } from './realtime/presence-redis.js';
import { createMemoryPresence } from './realtime/presence-store.js';
import { connectRedis, type RedisConnections } from './realtime/redis.js';
import { createRoomBus } from './realtime/room-bus.js';
import { createSocketBroadcaster } from './realtime/socket-broadcaster.js';
import { createRedisLimitStore } from './realtime/socket-limit-store.js';
import { createSocketLimits } from './realtime/socket-limits.js';
import { createMemoryTyping, createRedisTyping } from './realtime/typing-store.js';

export interface AppDeps {
  config: Config;
  log: Logger;
  database: Database;
}

export interface App {
  app: express.Express;
  server: Server;
  io: IoServer;
  ctx: AppContext;
  redis?: RedisConnections;
  /** Stops accepting, disconnects sockets, lets in-flight requests finish; the database stays open. */
  close(): Promise<void>;
}

function redisRateLimitStore(redis: RedisConnections): RateLimitStoreFactory {
  return (name) =>
    new RedisStore({
      prefix: `${redis.prefix}rl:${name}:`,
      sendCommand: (command: string, ...args: string[]) =>
        redis.cmd.call(command, ...args) as Promise<RedisReply>,
    });
}

/** Builds the Express app and the Socket.io server on one HTTP server; the caller listens. */
export async function createApp(deps: AppDeps): Promise<App> {
  const { config, log, database } = deps;
  const redis = config.REDIS_URL
    ? await connectRedis(config.REDIS_URL, config.REDIS_PREFIX, log)
    : undefined;

  const app = express();
  const server = createServer(app);
  // Slow clients (slowloris) cannot hold a connection open: headers within 15 s, a request within 30 s.
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 65_000;
  const io = createIo(server, config, redis);
  const bus = createRoomBus(io, log, { redis, gapWaitMs: config.ROOM_EVENT_GAP_MS });
  const ctx: AppContext = {
    config,
    log,
    database,
    db: database.db,
    signer: createTokenSigner(config.JWT_SECRET, config.JWT_EXPIRES_IN),
    broadcaster: createSocketBroadcaster(io, bus),
    metrics: createMetrics(database, () => io.engine.clientsCount),
  };

  const presence = createPresenceService(ctx, {
    store: redis
      ? createRedisPresence(redis.cmd, redis.prefix, config.PRESENCE_TTL_MS)
      : createMemoryPresence(),
    graceMs: config.PRESENCE_GRACE_MS,
  });
  const typing = createTypingService(ctx, {
    store: redis ? createRedisTyping(redis.cmd, redis.prefix) : createMemoryTyping(),
    timeoutMs: config.TYPING_TIMEOUT_MS,
  });
  const { storage, local } = await createStorage(config);
  const files = createFilesService(ctx, {
    storage,
    scanner: config.CLAMAV_HOST
      ? createClamavScanner(config.CLAMAV_HOST, config.CLAMAV_PORT)
      : undefined,
    urlTtlSec: config.FILE_URL_TTL_SEC,
  });
  const avatars = createAvatarService(ctx, { storage, purge: files.purge });
  const rooms = createRoomsService(ctx, {
    loadFiles: files.loadFiles,
    prepareRoomDeletion: files.prepareRoomDeletion,
  });
  const messages = createMessagesService(ctx, {
    loadFiles: files.loadFiles,
    onMessageDeleted: files.purgeMessageFiles,
  });
  const auth = createAuthService(ctx, { onUserCreated: (user) => rooms.joinGeneral(user.id) });
  const users = createUsersService(ctx, {
    onStatusChanged: (user, previous, status) =>
      presence.statusChanged(user.id, user.username, previous, status),
  });
  // Several nodes may run it: each batch takes a try-lock, so only one of them does the work.
  const authCleanup = startAuthCleanup(ctx, config.CLEANUP_INTERVAL_MS);
  const stopSockets = attachSocketServer(io, ctx, bus, {
    auth,
    rooms,
    messages,
    users,
    presence,
    typing,
    limits: createSocketLimits(
      config,
      log,
      redis ? createRedisLimitStore(redis.cmd, redis.prefix, config.PRESENCE_TTL_MS) : undefined,
    ),
    clientIp: (req) => clientAddress(app, req),
  });

  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY);
  app.set('query parser', 'simple');

  app.use(
    pinoHttp({
      logger: log,
      genReqId: requestId,
      customProps: (req) => ({ userId: (req as express.Request).actor?.userId }),
      // Serializers see the raw objects: pino-http's defaults would add every error property back.
      wrapSerializers: false,
      serializers: {
        // The path only: query strings carry file-URL signatures and search terms.
        req: (req: { id: string; method: string; url: string; originalUrl?: string }) => ({
          id: req.id,
          method: req.method,
          url: (req.originalUrl ?? req.url).split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        err: (err: unknown) => safeError(err),
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

  app.use(ctx.metrics.httpMiddleware);
  app.get('/health', healthHandler(database, config.NODE_ENV));
  app.get(
    '/metrics',
    metricsHandler(ctx.metrics, config.METRICS_TOKEN, config.TRUST_PROXY !== false),
  );
  app.use(demoClientRoutes({ publicUrl: config.publicUrl }));
  if (local) app.use('/files', localDownloadRoutes(local));

  const rateLimitStore = redis ? redisRateLimitStore(redis) : undefined;
  const generalLimiter = createLimiter({
    name: 'general',
    windowMs: config.RATE_LIMIT_WINDOW_MS,
    limit: config.RATE_LIMIT_MAX,
    storeFactory: rateLimitStore,
  });
  const authLimiter = createLimiter({
    name: 'auth',
    windowMs: config.RATE_LIMIT_WINDOW_MS,
    limit: config.AUTH_RATE_LIMIT_MAX,
    failedOnly: true,
    storeFactory: rateLimitStore,
  });
  const authenticated = requireAuth(auth.authenticate);

  const api = Router();
  api.use(generalLimiter);
  api.use(express.json({ limit: config.JSON_BODY_LIMIT }));
  api.use('/auth', authRoutes({ auth, requireAuth: authenticated, authLimiter }));
  api.use('/users', authenticated, avatarRoutes({ avatars }), usersRoutes({ users, presence }));
  api.use('/rooms', authenticated, roomsRoutes({ rooms }));
  api.use('/messages', authenticated, messagesRoutes({ messages }));
  api.use(
    '/files',
    authenticated,
    filesRoutes({ files, messages, maxUploadBytes: config.maxUploadBytes }),
  );

  // `/api/...` is an alias of the current version: rewrite once, so each request passes one limiter.
  app.use((req, _res, next) => {
    if (/^\/api(\/|\?|$)/i.test(req.url) && !/^\/api\/v1(\/|\?|$)/i.test(req.url)) {
      req.url = `/api/v1${req.url.slice(4)}`;
    }
    next();
  });
  app.use('/api/v1/docs', docsRoutes());
  app.use('/api/v1', api);
  app.use(notFoundHandler);
  // Stack traces in development only, and never behind a proxy (every caller would look local).
  app.use(errorHandler(log, config.NODE_ENV === 'development' && config.TRUST_PROXY === false));

  async function close(): Promise<void> {
    const cleanupStopped = authCleanup.stop();
    let sweep: NodeJS.Timeout | undefined;
    const httpClosed = new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      // Keep-alive connections with no request in flight would hold close() open until they time out,
      // and one whose request is still in flight becomes idle only later: sweep until all are gone.
      server.closeIdleConnections();
      sweep = setInterval(() => server.closeIdleConnections(), 100);
    });
    // Clients reconnect (to another node, behind a load balancer) and `sync` what they missed.
    io.local.disconnectSockets(true);
    // After the disconnects: their presence timers must not outlive the Redis connection.
    stopSockets();
    await httpClosed;
    clearInterval(sweep);
    await new Promise<void>((resolve) => io.close(() => resolve()));
    // Before the caller closes the database: a run in progress has finished its batch.
    await cleanupStopped;
    await redis?.close();
  }

  return { app, server, io, ctx, redis, close };
}
