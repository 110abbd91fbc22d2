import { io, type Socket } from 'socket.io-client';
import { accessToken, ApiError, onTokenChange, refreshTokens } from './api';
import type { Ack } from './types';

/**
 * The Socket.io connection. The handshake reads the current access token each time, so a reconnect
 * after a refresh uses the new one; an UNAUTHORIZED refusal refreshes and tries again once. After a
 * refresh the open socket sends `reauth` with the new token, so it is not ended when the old expires.
 */
let socket: Socket | null = null;

export function connectSocket(onSignedOut: () => void): Socket {
  socket?.disconnect();
  const s = io({
    auth: (cb) => cb({ token: accessToken() ?? '' }),
    transports: ['websocket'],
  });
  let retried = false;
  s.on('connect', () => (retried = false));
  s.on('connect_error', async (err: Error & { data?: { code?: string } }) => {
    // A refusal by the server's middleware is final for socket.io-client: reconnecting is our job.
    if (err.data?.code !== 'UNAUTHORIZED' || retried) return;
    retried = true;
    if (await refreshTokens()) s.connect();
    else onSignedOut();
  });
  // The server ends a socket when its token or session expires: refresh, then reconnect with the
  // new token (`s.connect()` after a server disconnect), or sign out when the session is gone.
  s.on('auth-expired', async () => {
    if (await refreshTokens()) s.connect();
    else onSignedOut();
  });
  socket = s;
  return s;
}

onTokenChange((token) => {
  if (!socket) return;
  if (!token) {
    socket.disconnect();
    socket = null;
  } else if (socket.connected) {
    // The socket takes the fresh token and lives until it expires; if it cannot, it reconnects.
    const s = socket;
    emit('reauth', { token }).catch(() => s.disconnect().connect());
  }
});

export const isConnected = (): boolean => socket?.connected ?? false;

/** Emits with an acknowledgement; the ack's error becomes an ApiError with the same code as REST. */
export function emit<T>(event: string, payload: unknown, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    if (!socket) return reject(new Error('not connected'));
    socket.timeout(timeoutMs).emit(event, payload, (err: Error | null, ack: Ack<T>) => {
      if (err) reject(err);
      else if (ack.success) resolve(ack.data as T);
      else reject(new ApiError(0, ack.error?.code ?? 'INTERNAL_ERROR', ack.error?.message ?? ''));
    });
  });
}

/** Fire-and-forget events (typing, read marks): failures do not matter to the user. */
export function emitQuietly(event: string, payload: unknown): void {
  if (socket?.connected) emit(event, payload).catch(() => undefined);
}
