import type { z } from 'zod';
import type { Actor } from '../context.js';

/**
 * The realtime layer's declaration API: how a feature declares the Socket.io events it handles and
 * the ones it emits. A declaration is plain data plus a handler; the realtime layer mounts the list
 * app.ts hands it, and the AsyncAPI document and docs/socket-events.md are generated from the same
 * list, so an event cannot be handled undocumented or documented unhandled. With the `Broadcaster`
 * interface (broadcaster.ts), this is the only part of src/realtime a feature may import.
 */

/**
 * The rate limit an event counts against, checked before its payload is validated: `message` per
 * user, across all their sockets and nodes (SOCKET_MESSAGE_LIMIT); `event` per socket
 * (SOCKET_EVENT_LIMIT).
 */
export type EventLimit = 'message' | 'event';

/** When a socket's access token and session expire, as a verified token tells. */
export interface SocketLifetime {
  tokenExpiresAt: Date;
  sessionExpiresAt: Date;
}

/** What a handler sees of the socket the event came from. */
export interface EventContext {
  /** The socket's user and session, from the handshake. */
  readonly actor: Actor;
  readonly socketId: string;
  /**
   * Lets the socket live until the given token's and session's expiry (`reauth`): moves its
   * deadline and re-arms the timer that ends it. Returns when the socket ends now.
   */
  extendLife(lifetime: SocketLifetime): Date;
}

/** One client → server event, declared once: mounted by src/realtime and documented from here. */
export interface ClientEventSpec<Svc, P extends z.ZodType, A extends z.ZodType> {
  /** The Socket.io event name (kebab-case). */
  name: string;
  summary: string;
  /** Validated before the handler runs; a bad payload is refused `Invalid <name> payload`. */
  payload: P;
  /** `data` of a successful acknowledgement (`{ success: true, data }`). */
  ack: A;
  limit: EventLimit;
  /** Gets the parsed payload; its result is acknowledged (undefined as null), its error as an error ack. */
  handler: (
    input: z.output<P>,
    socket: EventContext,
    services: Svc,
  ) => Promise<z.output<A>> | z.output<A>;
}

/** A declared client event, its types erased: what the realtime layer and the documents walk. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ClientEvent<Svc = any> = ClientEventSpec<Svc, any, any>;

/**
 * The `event()` of a services bag: `eventFor<Services>()` returns a function whose declarations get
 * `services` typed, the payload parsed by `payload` and the result checked against `ack`.
 */
export function eventFor<Svc>() {
  return <P extends z.ZodType, A extends z.ZodType>(
    spec: ClientEventSpec<Svc, P, A>,
  ): ClientEvent<Svc> => spec as ClientEvent<Svc>;
}

/** One server → client event: its payload schema documents it and types every emit of it. */
export interface ServerEvent<P extends z.ZodType = z.ZodType> {
  /** The Socket.io event name (kebab-case). */
  readonly name: string;
  readonly summary: string;
  /** Which sockets receive it, in words (for the documents). */
  readonly audience: string;
  readonly payload: P;
}

/** What an emit of the event must send: the output side of its payload schema. */
export type PayloadOf<E extends ServerEvent> = z.output<E['payload']>;

/** Declares a server → client event; emit it through the `Broadcaster`, never by name. */
export function serverEvent<P extends z.ZodType>(spec: ServerEvent<P>): ServerEvent<P> {
  return spec;
}

/** Anything Socket.io can emit on: a socket, or a room selection of the server. */
interface Emitter {
  emit(name: string, payload: unknown): unknown;
}

/**
 * The one way the realtime layer sends a server → client event: a declared event, with a payload its
 * schema types (the Broadcaster's methods and the connection layer's own events all go through it).
 */
export function emitEvent<E extends ServerEvent>(
  target: Emitter,
  event: E,
  payload: PayloadOf<E>,
): void {
  target.emit(event.name, payload);
}
