import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Express, Request } from 'express';
import { Server } from 'socket.io';
import type { Config } from '../config/config.js';
import type { Actor } from '../context.js';
import { toAppError } from '../errors.js';
import { bearerToken } from '../http/auth.js';
import type { SocketLifetime } from './event.js';
import type { RedisConnections } from './redis.js';
import type { AnyEvents, SocketData } from './socket-events.js';

/** The Socket.io server on the app's HTTP server; with Redis, the nodes share rooms and broadcasts. */
export function createIo(server: HttpServer, config: Config, redis?: RedisConnections): Server {
  const io = new Server<AnyEvents, AnyEvents, AnyEvents, SocketData>(server, {
    cors: {
      origin: config.corsOrigins.includes('*') ? true : config.corsOrigins,
      credentials: true,
    },
    maxHttpBufferSize: config.SOCKET_MAX_PAYLOAD_BYTES,
    // Compression costs CPU and memory per socket for little gain on small chat frames.
    perMessageDeflate: false,
    httpCompression: false,
    transports: ['websocket', 'polling'],
    serveClient: false,
  });
  if (redis) io.adapter(createAdapter(redis.pub, redis.sub, { key: `${redis.prefix}socket.io` }));
  // The polling transport's responses are ours too: SPEC wants nosniff on every response.
  const nosniff = (headers: Record<string, string>) => {
    headers['X-Content-Type-Options'] = 'nosniff';
  };
  io.engine.on('initial_headers', nosniff);
  io.engine.on('headers', nosniff);
  return io as unknown as Server;
}

/**
 * A handshake refusal as Socket.io hands it to the client: `connect_error` with the message,
 * `data.code` (the same codes as REST) and, when rate limited, `data.retryAfter` in seconds.
 */
export function handshakeRefusal(err: unknown): Error {
  const appError = toAppError(err);
  // A database outage is not a bad token: the client should retry, not sign out.
  const code = appError.status === 401 ? 'UNAUTHORIZED' : appError.code;
  const data: { code: string; retryAfter?: number } = { code };
  if (appError.retryAfter !== undefined) data.retryAfter = appError.retryAfter;
  return Object.assign(new Error(appError.message), { data });
}

/**
 * The client address of a handshake request, exactly as Express's `req.ip` gives it for the app's
 * requests (X-Forwarded-For counts only as far as `trust proxy` allows), so the socket limits key on
 * the same address as the REST ones.
 */
export function clientAddress(app: Express, req: IncomingMessage): string {
  const view = Object.create(app.request, {
    headers: { value: req.headers },
    socket: { value: req.socket },
  }) as Request;
  return view.ip ?? req.socket?.remoteAddress ?? 'unknown';
}

/** Checks an access token as REST does: its user and session, and when each expires. */
export type TokenVerifier = (token: string) => Promise<SocketLifetime & { actor: Actor }>;

/**
 * The handshake check: the same verification as REST, from `auth.token` or a Bearer header. It
 * records when the token and the session expire: the socket does not outlive either.
 */
export function handshakeAuth(verify: TokenVerifier) {
  return async (
    socket: {
      handshake: {
        auth: Record<string, unknown>;
        headers: Record<string, string | string[] | undefined>;
      };
      data: Partial<SocketData>;
    },
    next: (err?: Error) => void,
  ) => {
    const fromAuth =
      typeof socket.handshake.auth?.token === 'string' ? socket.handshake.auth.token : undefined;
    const header = socket.handshake.headers.authorization;
    const token =
      fromAuth?.replace(/^Bearer\s+/i, '') ||
      bearerToken(typeof header === 'string' ? header : undefined);
    if (!token)
      return next(
        Object.assign(new Error('Authentication required: send auth.token'), {
          data: { code: 'UNAUTHORIZED' },
        }),
      );
    try {
      const verified = await verify(token);
      socket.data.actor = verified.actor;
      socket.data.tokenExpiresAt = verified.tokenExpiresAt.getTime();
      socket.data.sessionExpiresAt = verified.sessionExpiresAt.getTime();
      next();
    } catch (err) {
      next(handshakeRefusal(err));
    }
  };
}
