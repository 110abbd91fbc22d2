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
import { actorOf, requireAuth } from './http/auth.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { createLimiter, type RateLimitStoreFactory } from './http/rate-limit.js';
import { requestId } from './http/request-id.js';
import { demoClientRoutes } from './http/static-client.js';
import { safeError, type Logger } from './logger.js';
import { mountRoutes } from './http/mount-routes.js';
import { systemRoutes } from './http/system.routes.js';
import { createMetrics } from './observability/metrics.js';
import { docsRoutes } from './openapi/docs.routes.js';
import { clientEvents, featureRoutes, type Services } from './modules/index.js';
import { startAuthCleanup } from './modules/auth/auth.cleanup.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { createTokenSigner } from './modules/auth/tokens.js';
import { createAvatarService } from './modules/files/avatar.service.js';
import { createClamavScanner } from './modules/files/clamav.js';
import { createFilesService } from './modules/files/files.service.js';
import { createStorage } from './modules/files/storage/create-storage.js';
import { createMessagesService } from './modules/messages/messages.service.js';
import {
  createRetentionService,
  type RetentionService,
} from './modules/messages/retention.service.js';
import { createModerationService } from './modules/rooms/moderation.service.js';
import { createRoomsService } from './modules/rooms/rooms.service.js';
import {
  listMembersAmong,
  listRoomIdsOfUser,
  listRoomIdsOfUsers,
} from './modules/rooms/rooms.port.js';
import { createMemoryTyping, createRedisTyping } from './modules/rooms/typing-store.js';
import { createTypingService } from './modules/rooms/typing.service.js';
import { createRedisPresence } from './modules/users/presence-redis.js';
import { createMemoryPresence } from './modules/users/presence-store.js';
import { createPresenceService } from './modules/users/presence.service.js';
import { createPushSender } from './modules/push/push-sender.js';
import { createPushService } from './modules/push/push.service.js';
import { createAdminService } from './modules/admin/admin.service.js';
import { createJobWorker } from './jobs/queue.js';
import { createUsersService } from './modules/users/users.service.js';
import { createMyDataService } from './modules/users/my-data.service.js';
import { createMembershipsService } from './modules/rooms/memberships.service.js';
import { verifyPassword } from './modules/auth/passwords.js';
import { attachSocketServer } from './realtime/connections.js';
import { clientAddress, createIo } from './realtime/io.js';
import { connectRedis, type RedisConnections } from './realtime/redis.js';
import { createRoomBus } from './realtime/room-bus.js';
import { createSocketBroadcaster } from './realtime/socket-broadcaster.js';
import { createRedisLimitStore } from './realtime/socket-limit-store.js';
import { createSocketLimits } from './realtime/socket-limits.js';

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
  /** The retention job (tests run it directly, as the queue's worker would). */
  retention: RetentionService;
  /** Stops accepting, disconnects sockets, lets in-flight requests finish; the database stays open. */
  close(): Promise<void>;
}

/** Rate-limit counters in Redis, shared by every node (one key prefix per limiter). */
export function redisRateLimitStore(redis: RedisConnections): RateLimitStoreFactory {
  return (name) => {
    const store = new RedisStore({
      prefix: `${redis.prefix}rl:${name}:`,
      sendCommand: (command: string, ...args: string[]) =>
        redis.cmd.call(command, ...args) as Promise<RedisReply>,
    });
    // The store loads its two scripts when built and awaits them only at its first use (loading them
    // again if that fails): a load cut by a Redis outage before then must not be an unhandled
    // rejection, which would end the process.
    const loads = store as unknown as Record<
      'incrementScriptSha' | 'getScriptSha',
      Promise<unknown>
    >;
    loads.incrementScriptSha.catch(() => {});
    loads.getScriptSha.catch(() => {});
    return store;
  };
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
  const bus = createRoomBus(io, log, {
    redis,
    gapWaitMs: config.ROOM_EVENT_GAP_MS,
    membersAmong: (roomId, userIds) => listMembersAmong(database.db, roomId, userIds),
  });
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
  const moderation = createModerationService(ctx);
  const rooms = createRoomsService(ctx, {
    loadFiles: files.loadFiles,
    prepareRoomDeletion: files.prepareRoomDeletion,
    updateRoom: moderation.updateRoom,
  });
  const messages = createMessagesService(ctx, {
    loadFiles: files.loadFiles,
    onMessageDeleted: files.purgeMessageFiles,
  });
  const auth = createAuthService(ctx, {
    revocations: bus.revocations,
    onUserCreated: (user) => rooms.joinGeneral(user.id),
  });
  const push = createPushService(ctx, {
    send: createPushSender({
      vapid: {
        subject: config.VAPID_SUBJECT,
        publicKey: config.VAPID_PUBLIC_KEY,
        privateKey: config.VAPID_PRIVATE_KEY,
      },
      allowPrivate: config.PUSH_ALLOW_PRIVATE_ENDPOINTS,
      timeoutMs: config.PUSH_TIMEOUT_MS,
    }),
    isConnected: (userId) => presence.store.isOnline(userId),
  });
  const retention = createRetentionService(ctx, { removeMatching: messages.removeMatching });
  // The durable queue: every node runs a worker; jobs are claimed with FOR UPDATE SKIP LOCKED.
  const jobHandlers = { ...push.jobs, ...retention.jobs };
  const jobWorker = createJobWorker(ctx.db, log, jobHandlers, {
    pollMs: config.JOBS_POLL_MS,
    lockMs: config.JOBS_LOCK_MS,
    retryBaseMs: config.JOBS_RETRY_BASE_MS,
  });
  if (config.JOBS_WORKER) jobWorker.start();
  // Every node queues the next period's retention run; the queue runs each period's once.
  const stopRetentionSchedule = retention.startSchedule(config.RETENTION_INTERVAL_MS);
  const admin = createAdminService(ctx, {
    revokeAllSessions: auth.revokeAllSessions,
    removeAnyMessage: messages.removeAny,
    removeAnyRoom: rooms.removeAny,
  });
  const users = createUsersService(ctx, {
    onStatusChanged: (user, previous, status) =>
      presence.statusChanged(user.id, user.username, previous, status),
  });
  const memberships = createMembershipsService(ctx, {
    prepareRoomDeletion: files.prepareRoomDeletion,
  });
  const myData = createMyDataService(ctx, {
    verifyPassword,
    revokeAllSessions: auth.revokeAllSessions,
    rooms: memberships,
    messages,
    files,
    removeAvatar: avatars.removeAvatar,
    unsubscribeAll: push.unsubscribeAll,
  });
  // Several nodes may run it: each batch takes a try-lock, so only one of them does the work.
  const authCleanup = startAuthCleanup(ctx, config.CLEANUP_INTERVAL_MS);

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
  app.use(demoClientRoutes({ publicUrl: config.publicUrl }));

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
  // The export reads everything a user wrote: a few per user per window, on every node (Redis).
  const exportLimiter = createLimiter({
    name: 'export',
    windowMs: config.RATE_LIMIT_WINDOW_MS,
    limit: config.EXPORT_RATE_LIMIT_MAX,
    key: (req) => actorOf(req).userId,
    storeFactory: rateLimitStore,
  });
  const authenticate = requireAuth(auth.authenticate);

  const services: Services = {
    auth,
    users,
    myData,
    presence,
    rooms,
    moderation,
    typing,
    messages,
    files,
    avatars,
    push,
    admin,
    localFiles: local,
  };
  // The realtime layer knows no feature: it gets the declared events, the services their handlers
  // use, and what the connection lifecycle needs, from here.
  const stopSockets = attachSocketServer(io, ctx, bus, {
    events: clientEvents,
    services,
    features: {
      auth,
      rooms: {
        roomIdsOfUser: (userId) => listRoomIdsOfUser(database.db, userId),
        roomIdsOfUsers: (userIds) => listRoomIdsOfUsers(database.db, userIds),
      },
      presence: {
        socketConnected: presence.socketConnected,
        socketDisconnected: presence.socketDisconnected,
        heartbeat: (sockets) => presence.store.heartbeat(sockets).then(() => presence.sweep()),
        onlineFor: presence.onlineFor,
        stop: presence.stop,
      },
      typing,
    },
    limits: createSocketLimits(
      config,
      log,
      redis ? createRedisLimitStore(redis.cmd, redis.prefix, config.PRESENCE_TTL_MS) : undefined,
    ),
    clientIp: (req) => clientAddress(app, req),
  });
  const mountOptions = {
    authenticate,
    limiters: { auth: authLimiter, export: exportLimiter },
    maxUploadBytes: config.maxUploadBytes,
  };
  // Outside /api/v1 (no general limiter, no JSON body): health, metrics, the local driver's files.
  const root = Router();
  mountRoutes(
    root,
    systemRoutes,
    {
      database,
      environment: config.NODE_ENV,
      metrics: ctx.metrics,
      metricsToken: config.METRICS_TOKEN,
      behindProxy: config.TRUST_PROXY !== false,
    },
    mountOptions,
  );
  mountRoutes(
    root,
    featureRoutes.filter((r) => r.root),
    services,
    mountOptions,
  );
  app.use(root);

  const api = Router();
  api.use(generalLimiter);
  api.use(express.json({ limit: config.JSON_BODY_LIMIT }));
  mountRoutes(
    api,
    featureRoutes.filter((r) => !r.root),
    services,
    mountOptions,
  );

  // `/api/...` is an alias of the current version: rewrite once, so each request passes one limiter.
  app.use((req, _res, next) => {
    if (/^\/api(\/|\?|$)/i.test(req.url) && !/^\/api\/v1(\/|\?|$)/i.test(req.url)) {
      req.url = `/api/v1${req.url.slice(4)}`;
    }
    next();
  });
  app.use('/api/v1/docs', docsRoutes([...systemRoutes, ...featureRoutes]));
  app.use('/api/v1', api);
  app.use(notFoundHandler);
  // Stack traces in development only, and never behind a proxy (every caller would look local).
  app.use(errorHandler(log, config.NODE_ENV === 'development' && config.TRUST_PROXY === false));

  async function close(): Promise<void> {
    const cleanupStopped = authCleanup.stop();
    const jobsStopped = jobWorker.stop();
    stopRetentionSchedule();
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
    await jobsStopped;
    await redis?.close();
  }

  return { app, server, io, ctx, redis, retention, close };
}
