/**
 * Puts one room's message events in revision order on the node that delivers them.
 *
 * Every change of a room's messages takes exactly one revision (gapless, committed in order under the
 * room's lock) and produces exactly one event. A node registers its own changes here as they commit,
 * in commit order, with their payloads still being built (a reply or file message needs a query), and
 * receives other nodes' events over Redis. Per room, the event with the next expected rev is delivered
 * as soon as its payload is ready, with any that were waiting behind it; an event further ahead waits
 * until the missing ones arrive, or `gapWaitMs` passes (the missing event was lost: a node died after its
 * commit, or Redis dropped it), when delivery moves on past the gap. An event older than the expected
 * rev (late past a gap) is delivered as it comes: clients ignore a rev not higher than what they hold.
 */
export interface RoomSequencerOptions {
  gapWaitMs: number;
  /** A room with no event for this long is forgotten (memory stays bounded by active rooms). */
  idleMs: number;
}

interface Slot {
  /** Set when the payload is ready; delivers it (or nothing, if building it failed). */
  deliver: (() => void) | undefined;
}

interface RoomState {
  next: number;
  pending: Map<number, Slot>;
  timer: NodeJS.Timeout | undefined;
  lastSeen: number;
}

export class RoomSequencer {
  private readonly rooms = new Map<string, RoomState>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: RoomSequencerOptions) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, options.idleMs));
    this.sweeper.unref();
  }

  /**
   * Registers the event of revision `rev` of `room`. `ready` resolves with the function that delivers
   * it (or undefined to deliver nothing); delivery happens once, in rev order.
   */
  push(room: string, rev: number, ready: Promise<(() => void) | undefined> | (() => void)): void {
    const now = Date.now();
    let state = this.rooms.get(room);
    if (!state) {
      // A room this node has not seen (lately): delivery starts at the first revision it is given.
      state = { next: rev, pending: new Map(), timer: undefined, lastSeen: now };
      this.rooms.set(room, state);
    }
    state.lastSeen = now;
    if (rev < state.next) {
      // Late, past a gap that was given up on: deliver as it comes.
      if (typeof ready === 'function') ready();
      else
        void ready.then(
          (d) => d?.(),
          () => {},
        );
      return;
    }
    const slot: Slot = { deliver: undefined };
    state.pending.set(rev, slot);
    const s = state;
    if (typeof ready === 'function') {
      slot.deliver = ready;
      this.drain(room, s);
    } else {
      void ready.then(
        (d) => {
          slot.deliver = d ?? (() => {});
          this.drain(room, s);
        },
        () => {
          slot.deliver = () => {};
          this.drain(room, s);
        },
      );
      this.drain(room, s);
    }
  }

  /** Events registered and not yet delivered, over all rooms (tests, metrics). */
  waiting(): number {
    let n = 0;
    for (const s of this.rooms.values()) n += s.pending.size;
    return n;
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const s of this.rooms.values()) clearTimeout(s.timer);
    this.rooms.clear();
  }

  private drain(room: string, state: RoomState): void {
    for (;;) {
      const slot = state.pending.get(state.next);
      if (!slot?.deliver) break;
      state.pending.delete(state.next);
      state.next += 1;
      slot.deliver();
    }
    if (state.pending.size === 0) {
      clearTimeout(state.timer);
      state.timer = undefined;
    } else if (!state.timer && !state.pending.has(state.next)) {
      // A revision is missing: wait for it a while, then go on from the lowest one waiting.
      state.timer = setTimeout(() => {
        state.timer = undefined;
        if (state.pending.size === 0 || state.pending.has(state.next)) return;
        state.next = Math.min(...state.pending.keys());
        this.drain(room, state);
      }, this.options.gapWaitMs);
      state.timer.unref();
    }
  }

  private sweep(): void {
    const cutoff = Date.now() - this.options.idleMs;
    for (const [room, s] of this.rooms) {
      if (s.pending.size === 0 && s.lastSeen < cutoff) this.rooms.delete(room);
    }
  }
}
