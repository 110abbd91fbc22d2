import { io } from 'socket.io-client';
import type { Registered } from '../faults/support.js';
import { sleep, type AckResult, type ClientSocket } from '../helpers/sockets.js';
import { RoomView, type DeletedEvent, type ReactionEvent, type WireMessage } from './model.js';
import type { Rng } from './random.js';
import { Transient, type Recorder } from './recorder.js';
import { restCall, type RestResult } from './rest.js';
import { applySyncEntry, type SyncEntry } from './sync-reply.js';

/**
 * One user's front end as SPEC.md "Consistency" tells front ends to behave: a socket to one node
 * (replaced by a socket to any node when it drops), a RoomView per room fed by events, and `sync` by
 * `rev` on every (re)connect and whenever an event shows that revisions were missed.
 */

export class ConvergenceClient {
  socket: ClientSocket | undefined;
  url: string;
  readonly views = new Map<string, RoomView>();
  /** Rooms I am banned from right now: any event of one of them is a leak. */
  readonly banned = new Set<string>();
  /**
   * Per room being banned from, a revision the room had reached after the ban committed: an event of
   * the room with a higher one reaching me before I am back is a leak, even before its `room-left`.
   */
  readonly bannedAtRev = new Map<string, number>();
  /** Rooms whose ban is under way, until I am back in: a sync may be refused for them meanwhile. */
  readonly banning = new Set<string>();
  /** Rooms whose `room-left` this socket received. */
  private readonly left = new Set<string>();
  closed = false;
  /** Bumped for every socket: events of an older socket are ignored. */
  private generation = 0;
  private readonly wanted = new Set<string>();
  private syncing: Promise<void> | undefined;
  private reconnecting: Promise<void> | undefined;
  private lastError = '';

  constructor(
    readonly name: string,
    readonly user: Registered,
    rooms: string[],
    readonly urls: string[],
    /** For incidental choices (which node a request goes to), apart from the action stream. */
    private readonly rng: Rng,
    private readonly rec: Recorder,
  ) {
    for (const room of rooms) this.views.set(room, new RoomView());
    this.url = urls[0]!;
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /** Opens a socket to `url` (closing the current one); a sync of every room follows. */
  private async connect(url: string): Promise<void> {
    this.drop();
    const gen = this.generation;
    const socket = io(url, {
      auth: { token: this.user.accessToken },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: 5000,
    });
    // Per room, the last rev this socket got: SPEC.md "Order" says it only increases.
    const lastRev = new Map<string, number>();
    const on = (event: string, room: string, rev: unknown, apply: (v: RoomView) => boolean) => {
      if (gen !== this.generation) return;
      if (typeof rev !== 'number') {
        this.rec.failOnce(`norev:${event}`, `${event} arrived without a numeric rev`);
        return;
      }
      const view = this.views.get(room);
      if (!view && this.banned.has(room))
        return this.rec.fail(`${this.name} on ${url}: ${event} of ${room} after its ban (a leak)`);
      if (!view) return this.rec.fail(`${this.name} got ${event} of ${room}, not one of its rooms`);
      const bannedAt = this.bannedAtRev.get(room);
      if (bannedAt !== undefined && rev > bannedAt)
        return this.rec.fail(
          `${this.name} on ${url}: ${event} of ${room} rev ${rev}, after its ban at rev ${bannedAt} (a leak)`,
        );
      const last = lastRev.get(room) ?? 0;
      if (rev <= last)
        this.rec.outOfOrder(`${this.name} on ${url}: ${event} rev ${rev} after ${last} in ${room}`);
      lastRev.set(room, Math.max(rev, last));
      this.rec.count('events');
      // Not applicable (a reaction to a message never seen) means something was missed: a gap.
      if (!apply(view) || view.advance(rev)) {
        // While a sync is under way, a gap is usually what that sync is fetching.
        this.rec.count(this.syncing ? 'gaps while syncing' : 'gaps');
        this.requestSync([room]);
      }
    };
    socket.on('new-message', (m: WireMessage) =>
      on('new-message', m.room, m.rev, (v) => (v.applyMessage(m), true)),
    );
    socket.on('message-updated', (m: WireMessage) =>
      on('message-updated', m.room, m.rev, (v) => (v.applyMessage(m), true)),
    );
    socket.on('message-deleted', (d: DeletedEvent) =>
      on('message-deleted', d.room, d.rev, (v) => (v.applyDeleted(d), true)),
    );
    socket.on('message-reaction', (e: ReactionEvent) =>
      on('message-reaction', e.room, e.rev, (v) => v.applyReactions(e) !== 'unknown'),
    );
    socket.on('room-left', (p: { room: string }) => {
      if (gen === this.generation) this.left.add(p.room);
    });
    socket.on('disconnect', () => {
      if (gen === this.generation && !this.closed) this.ensureConnected();
    });
    // Without reconnection, a socket dropped before the server's CONNECT (the node killed during the
    // handshake) only says `disconnect`; a handshake that never ends is given up on after 10 s.
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.close();
        this.lastError = why;
        reject(new Transient(`connect to ${url}: ${why}`));
      };
      const timer = setTimeout(() => {
        this.rec.count('handshake timeouts');
        fail('no CONNECT within 10 s');
      }, 10_000);
      socket.once('connect', () => {
        settled = true;
        clearTimeout(timer);
        resolve();
      });
      socket.once('connect_error', (err: Error & { data?: { code?: string } }) => {
        const code = err.data?.code;
        // Refused by the server (not unreachable): with this test's limits, never expected.
        if (code)
          this.rec.failOnce(`refused:${code}`, `${this.name}: handshake on ${url}: ${code}`);
        fail(code ?? err.message);
      });
      socket.once('disconnect', (reason) => fail(`dropped during the handshake (${reason})`));
    });
    if (gen !== this.generation) {
      socket.close();
      return;
    }
    this.socket = socket;
    this.url = url;
    this.requestSync(this.views.keys());
  }

  /**
   * After my ban from `room`: its view goes once this socket got `room-left` (events sent before
   * the removal may still be on their way until then), at once when no socket is up (the next one is
   * subscribed from the database). A `room-left` lost to a fault (Redis down) is waited for 5 s; then
   * the socket is replaced, as a client that doubts its subscriptions would. From then on, any event
   * of the room is a leak.
   */
  async leaveBanned(room: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (this.connected && !this.left.has(room) && Date.now() < deadline) await sleep(10);
    if (this.connected && !this.left.has(room)) {
      this.rec.count('room-left late: socket replaced');
      this.drop();
      this.ensureConnected();
    }
    this.views.delete(room);
    this.wanted.delete(room);
    this.banned.add(room);
    this.left.delete(room);
  }

  /** Back in `room` after the ban was lifted: a new view, filled by a sync from the start. */
  rejoined(room: string): void {
    this.banned.delete(room);
    this.bannedAtRev.delete(room);
    this.views.set(room, new RoomView());
  }

  /** Closes the socket (the user went offline); events still in flight are ignored. */
  drop(): void {
    this.generation += 1;
    this.socket?.close();
    this.socket = undefined;
  }

  /** Connects to any node that answers, trying for up to a minute; one attempt loop at a time. */
  reconnect(first?: string): Promise<void> {
    this.reconnecting ??= (async () => {
      const deadline = Date.now() + 60_000;
      for (
        let url = first ?? this.rng.pick(this.urls);
        !this.closed;
        url = this.rng.pick(this.urls)
      ) {
        try {
          return await this.connect(url);
        } catch (err) {
          if (!(err instanceof Transient)) throw err;
          if (Date.now() > deadline) return this.rec.fail(`${this.name}: no node took a socket`);
          await sleep(150);
        }
      }
    })().finally(() => {
      this.reconnecting = undefined;
    });
    return this.reconnecting;
  }

  /** Starts a reconnect unless connected, closed or already reconnecting. */
  ensureConnected(): void {
    if (this.connected || this.closed || this.reconnecting) return;
    this.reconnect().catch((err: Error) =>
      this.rec.fail(`${this.name}: reconnect: ${err.message}`),
    );
  }

  /** REST to a random node. 503 and connection errors throw Transient; other 5xx are failures. */
  rest<T>(method: string, path: string, body?: unknown): Promise<RestResult<T>> {
    const url = this.rng.pick(this.urls);
    return restCall<T>(this.rec, `${this.name}: ${method} ${path} on ${url}`, url + path, {
      method,
      token: this.user.accessToken,
      body,
    });
  }

  /** Emits on the current socket. No socket, no answer or SERVICE_UNAVAILABLE throw Transient. */
  async emit<T>(event: string, payload: unknown, timeoutMs = 5000): Promise<AckResult<T>> {
    const socket = this.socket;
    if (!socket?.connected) throw new Transient('DISCONNECTED');
    let ack: AckResult<T>;
    try {
      ack = (await socket.timeout(timeoutMs).emitWithAck(event, payload)) as AckResult<T>;
    } catch (err) {
      const lost = /disconnected/i.test((err as Error).message);
      this.rec.count(lost ? 'acks lost to a disconnect' : 'ack timeouts');
      throw new Transient(`${event} on ${this.url}: ${(err as Error).message}`);
    }
    const code = ack.error?.code;
    if (!ack.success && code === 'SERVICE_UNAVAILABLE') {
      this.rec.count('503');
      throw new Transient(`${event} on ${this.url}: ${code}`);
    }
    if (!ack.success && (code === 'INTERNAL_ERROR' || !code)) {
      this.rec.fail(`${this.name}: ${event} on ${this.url} answered ${JSON.stringify(ack.error)}`);
      throw new Transient(`${code}`);
    }
    return ack;
  }

  /** Asks for a sync of `rooms` from their held rev; one sync runs at a time, requests pile up. */
  requestSync(rooms: Iterable<string>): void {
    for (const room of rooms) this.wanted.add(room);
    this.syncing ??= this.runSyncs().finally(() => {
      this.syncing = undefined;
      if (this.wanted.size > 0 && this.connected) this.requestSync([]);
    });
  }

  private async runSyncs(): Promise<void> {
    for (let failed = 0; this.wanted.size > 0 && !this.closed && this.connected;) {
      const rooms = [...this.wanted];
      this.wanted.clear();
      this.rec.count('syncs');
      try {
        await this.syncOnce(rooms);
        failed = 0;
      } catch (err) {
        if (!(err instanceof Transient)) throw err;
        // Asked again on this socket if it is still up, or by the next connect if not.
        for (const room of rooms) this.wanted.add(room);
        failed += 1;
        if (failed === 20)
          this.rec.fail(`${this.name}: sync failing on ${this.url}: ${err.message}`);
        await sleep(Math.min(100 * failed, 1000));
      }
    }
  }

  /** `sync` by rev, again while `hasMore`; every reply is checked against SPEC.md as it is applied. */
  private async syncOnce(rooms: string[]): Promise<void> {
    // A room I was banned from meanwhile is not asked (nor is its refusal a problem).
    // The views asked for: one replaced meanwhile (banned, then back) is synced afresh, not from this.
    const viewsAsked = new Map(
      rooms.filter((room) => this.views.has(room)).map((room) => [room, this.views.get(room)!]),
    );
    let asked = [...viewsAsked].map(([room, view]) => ({ room, rev: view.rev }));
    while (asked.length > 0) {
      const ack = await this.emit<SyncEntry[]>('sync', { rooms: asked }, 10_000);
      if (!ack.success || !Array.isArray(ack.data)) {
        this.rec.failOnce(`sync:${ack.error?.code}`, `sync answered ${JSON.stringify(ack.error)}`);
        return;
      }
      const again: typeof asked = [];
      for (const { room, rev: from } of asked) {
        const entry = ack.data.find((e) => e.room === room);
        const view = this.views.get(room);
        if (!view || view !== viewsAsked.get(room)) continue;
        if (entry?.error && this.banning.has(room)) continue;
        const result = applySyncEntry(view, from, entry);
        for (const problem of result.problems)
          this.rec.failOnce(
            `${this.name} ${room} ${problem}`,
            `${this.name}: sync of ${room} from rev ${from}: ${problem}`,
          );
        if (result.again !== undefined) again.push({ room, rev: result.again });
      }
      asked = again;
    }
  }

  /** Resolves when no reconnect or sync is running or wanted (or after `timeoutMs`). */
  async settle(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const until = (p: Promise<void>) =>
      Promise.race([p, sleep(Math.max(0, deadline - Date.now()))]).catch(() => {});
    while (Date.now() < deadline && !this.closed) {
      if (this.reconnecting) await until(this.reconnecting);
      else if (this.syncing) await until(this.syncing);
      else if (this.wanted.size > 0 && this.connected) this.requestSync([]);
      else if (this.connected) return true;
      else await until(this.reconnect());
    }
    return false;
  }

  /** The connection state, for the stall report. */
  describe(): string {
    const state = this.connected ? 'up' : this.reconnecting ? 'reconnecting' : 'down';
    const error = this.lastError && !this.connected ? `(${this.lastError})` : '';
    return `${state}${this.syncing ? '+syncing' : ''}@${new URL(this.url).port}${error}`;
  }

  close(): void {
    this.closed = true;
    this.drop();
  }
}
