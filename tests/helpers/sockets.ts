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
export async function connectError(
  url: string,
  token: string | undefined,
): Promise<Error & { data?: { code?: string } }> {
  const socket = connect(url, {
    auth: token === undefined ? {} : { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
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
export function emitAck<T = unknown>(
  socket: ClientSocket,
  event: string,
  payload?: unknown,
  timeoutMs = 5000,
): Promise<AckResult<T>> {
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

// ---- Recording sockets ---------------------------------------------------------------------------

export interface ReceivedEvent {
  event: string;
  payload: unknown;
}

/**
 * A client socket that records every server event from before it connects, so a test never misses
 * one that arrived between `connect` and its own `on(...)`.
 */
export interface RecordedSocket {
  socket: ClientSocket;
  /** Every server → client event so far, in arrival order. */
  received: ReceivedEvent[];
  /** The payloads of one event so far, optionally filtered. */
  payloads<T = unknown>(event: string, match?: (payload: T) => boolean): T[];
  /** The first matching payload of `event`, already received or still to come. */
  waitFor<T = unknown>(
    event: string,
    match?: (payload: T) => boolean,
    timeoutMs?: number,
  ): Promise<T>;
  /** Emits an event and resolves with its acknowledgement. */
  ack<T = unknown>(event: string, payload?: unknown): Promise<AckResult<T>>;
  /** Resolves with the disconnect reason (at once if it already disconnected). */
  disconnected(timeoutMs?: number): Promise<string>;
  close(): void;
}

export interface SocketOptions {
  transports?: ('websocket' | 'polling')[];
  extraHeaders?: Record<string, string>;
  auth?: Record<string, unknown>;
}

function openClient(url: string, token: string | undefined, options: SocketOptions): ClientSocket {
  return connect(url, {
    auth: options.auth ?? (token === undefined ? {} : { token }),
    transports: options.transports ?? ['websocket'],
    extraHeaders: options.extraHeaders,
    reconnection: false,
    forceNew: true,
    timeout: 10_000,
  });
}

/** Opens a recording socket and waits until it is connected (rejects with the connect_error). */
export async function connectRecorded(
  url: string,
  token: string | undefined,
  options: SocketOptions = {},
): Promise<RecordedSocket> {
  const socket = openClient(url, token, options);
  const received: ReceivedEvent[] = [];
  const waiters = new Set<(e: ReceivedEvent) => void>();
  let disconnectReason: string | undefined;
  const disconnectWaiters = new Set<(reason: string) => void>();
  socket.onAny((event: string, payload: unknown) => {
    const entry = { event, payload };
    received.push(entry);
    for (const waiter of [...waiters]) waiter(entry);
  });
  socket.on('disconnect', (reason) => {
    disconnectReason = reason;
    for (const waiter of [...disconnectWaiters]) waiter(reason);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(err));
    });
  } catch (err) {
    socket.close();
    throw err;
  }

  const payloads = <T>(event: string, match: (payload: T) => boolean = () => true): T[] =>
    received.filter((e) => e.event === event && match(e.payload as T)).map((e) => e.payload as T);

  return {
    socket,
    received,
    payloads,
    waitFor<T>(event: string, match: (payload: T) => boolean = () => true, timeoutMs = 10_000) {
      const already = payloads<T>(event, match);
      if (already.length > 0) return Promise.resolve(already[0] as T);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${event}`));
        }, timeoutMs);
        function waiter(e: ReceivedEvent) {
          if (e.event !== event || !match(e.payload as T)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(e.payload as T);
        }
        waiters.add(waiter);
      });
    },
    ack<T>(event: string, payload?: unknown) {
      return emitAck<T>(socket, event, payload, 10_000);
    },
    disconnected(timeoutMs = 10_000) {
      if (disconnectReason !== undefined) return Promise.resolve(disconnectReason);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          disconnectWaiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for disconnect`));
        }, timeoutMs);
        function waiter(reason: string) {
          clearTimeout(timer);
          disconnectWaiters.delete(waiter);
          resolve(reason);
        }
        disconnectWaiters.add(waiter);
      });
    },
    close() {
      socket.close();
    },
  };
}

/** Like connectError, with the same options as connectRecorded (headers, transports, raw auth). */
export async function connectErrorWith(
  url: string,
  token: string | undefined,
  options: SocketOptions = {},
): Promise<Error & { data?: { code?: string } }> {
  const socket = openClient(url, token, options);
  try {
    return await new Promise((resolve, reject) => {
      socket.once('connect', () => reject(new Error('connected, but should have been refused')));
      socket.once('connect_error', (err) => resolve(err));
    });
  } finally {
    socket.close();
  }
}

/** Opens recording sockets and closes them all at once (call `closeAll` in afterEach). */
export function socketPool() {
  const open = new Set<RecordedSocket>();
  return {
    async connect(
      url: string,
      token: string | undefined,
      options: SocketOptions = {},
    ): Promise<RecordedSocket> {
      const recorded = await connectRecorded(url, token, options);
      open.add(recorded);
      return recorded;
    },
    closeAll(): void {
      for (const s of open) s.close();
      open.clear();
    },
  };
}

/**
 * The client events a server-side socket handles: what its `onAny` dispatcher declares it handles
 * (src/realtime/socket-events.ts `eventDispatcher`) plus any event with a listener of its own.
 */
export function handledEvents(server: {
  eventNames(): (string | symbol)[];
  listenersAny(): ((...args: never[]) => unknown)[];
}): string[] {
  const dispatched = server
    .listenersAny()
    .flatMap((l) => (l as { handles?: readonly string[] }).handles ?? []);
  const own = server
    .eventNames()
    .map(String)
    .filter((e) => e !== 'disconnect' && e !== 'error');
  return [...new Set([...dispatched, ...own])];
}
