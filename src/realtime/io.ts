import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server } from 'socket.io';
import type { Config } from '../config/config.js';
import type { Actor } from '../context.js';
import { toAppError } from '../errors.js';
import { bearerToken } from '../http/auth.js';
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
  return io as unknown as Server;
}

/**
 * The handshake check: the same verification as REST, from `auth.token` or a Bearer header.
 * A refusal reaches the client as `connect_error` with the message and `data.code`.
 */
export function handshakeAuth(authenticate: (token: string) => Promise<Actor>) {
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
      socket.data.actor = await authenticate(token);
      next();
    } catch (err) {
      // A database outage is not a bad token: the client should retry, not sign out.
      const appError = toAppError(err);
      const code = appError.status === 401 ? 'UNAUTHORIZED' : appError.code;
      next(Object.assign(new Error(appError.message), { data: { code } }));
    }
  };
}
