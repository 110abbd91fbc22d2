import { io as connect, type Socket } from 'socket.io-client';

export type ClientSocket = Socket;

export interface AckResult<T = unknown> {
  success: boolean;
  data?: T;
  error?: { code: string; message: string; details?: unknown };
}

/** Opens an authenticated socket.io-client connection (websocket) and waits until it is connected. */
export async function connectSocket(
  url: string,
  token: string | undefined,
  options: { transports?: ('websocket' | 'polling')[]; extraHeaders?: Record<string, string> } = {},
): Promise<ClientSocket> {
  const socket = connect(url, {
    auth: token === undefined ? {} : { token },
    transports: options.transports ?? ['websocket'],
    extraHeaders: options.extraHeaders,
    reconnection: false,
    forceNew: true,
    timeout: 5000,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  return socket;
}

/** Resolves with the connect_error of a connection that must be refused. */
export async function connectError(url: string, token: string | undefined): Promise<Error & { data?: { code?: string } }> {
  const socket = connect(url, { auth: token === undefined ? {} : { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  try {
    return await new Promise((resolve, reject) => {
      socket.once('connect', () => reject(new Error('connected, but should have been refused')));
      socket.once('connect_error', (err) => resolve(err));
    });
  } finally {
    socket.close();
  }
}

/** Emits an event and resolves with its acknowledgement. */
export function emitAck<T = unknown>(socket: ClientSocket, event: string, payload?: unknown, timeoutMs = 5000): Promise<AckResult<T>> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<AckResult<T>>;
}

/** Resolves with the next payload of `event` that matches, or rejects after timeoutMs. */
export function nextEvent<T = unknown>(
  socket: ClientSocket,
  event: string,
  match: (payload: T) => boolean = () => true,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`timed out waiting for ${event}`));
    }, timeoutMs);
    function handler(payload: T) {
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(event, handler);
      resolve(payload);
    }
    socket.on(event, handler);
  });
}

/** Collects every payload of `event` from now on. */
export function collect<T = unknown>(socket: ClientSocket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event, (payload: T) => seen.push(payload));
  return seen;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
