/**
 * Puts one room's message events in revision order on the node that delivers them.
 *
 * Every change of a room's messages takes exactly one revision (gapless, committed in order under the
 * room's lock) and produces exactly one event. A node registers its own changes here as they commit,
 * in commit order, with their payloads still being built (a reply or file message needs a query), and
 * receives other nodes' events over Redis. Per room, the event with the next expected rev is delivered
 * as soon as its payload is ready, with any that were waiting behind it; an event further ahead waits
 * until the missing ones arrive, or `gapWaitMs` passes (the missing event was lost: a node died after its
 * commit, or Redis dropped it), when delivery moves on past the gap. An event that arrives after its
 * turn was given up is dropped, never delivered out of order: the subscribers saw the gap in `rev` (and
 * `seq`) and catch up with `sync`, which returns it.
 *
 * A room the node has not delivered anything of yet starts at its first event if that is rev 1;
 * otherwise the node waits up to `firstWaitMs` for the revision before it, which may be on its way
 * from another node.
 */
export interface RoomSequencerOptions {
  gapWaitMs: number;
  firstWaitMs: number;
}

interface Slot {
  /** Set when the payload is ready; delivers it (or nothing, if building it failed). */
  deliver: (() => void) | undefined;
}

/** Per room: one number once settled; the map and timer only while events wait. */
interface RoomState {
  next: number;
  pending: Map<number, Slot>;
  timer: NodeJS.Timeout | undefined;
}

export class RoomSequencer {
  private readonly rooms = new Map<string, RoomState>();
  /** Events dropped because they came after their turn was given up (tests, metrics). */
  dropped = 0;

  constructor(private readonly options: RoomSequencerOptions) {}

  /**
   * Registers the event of revision `rev` of `room`. `ready` resolves with the function that delivers
   * it (or undefined to deliver nothing); delivery happens once, in rev order.
   */
  push(room: string, rev: number, ready: Promise<(() => void) | undefined> | (() => void)): void {
    let state = this.rooms.get(room);
    let first = false;
    if (!state) {
      // Nothing delivered of this room yet: start here, after waiting a moment for the revision
      // before it unless this is the room's first.
      state = { next: rev > 1 ? rev - 1 : rev, pending: new Map(), timer: undefined };
      this.rooms.set(room, state);
      first = rev > 1;
    }
    if (rev < state.next) {
      // Its turn was given up: subscribers saw the gap and catch up with `sync`.
      this.dropped += 1;
      if (typeof ready !== 'function') void ready.catch(() => {});
      return;
    }
    const slot: Slot = { deliver: undefined };
    state.pending.set(rev, slot);
    const s = state;
    if (typeof ready === 'function') {
      slot.deliver = ready;
    } else {
      const settle = (d: (() => void) | undefined) => {
        slot.deliver = d ?? (() => {});
        this.drain(room, s);
      };
      void ready.then(settle, () => settle(undefined));
    }
    if (first) this.arm(room, s, this.options.firstWaitMs);
    this.drain(room, s);
  }

  /** Events registered and not yet delivered, over all rooms (tests, metrics). */
  waiting(): number {
    let n = 0;
    for (const s of this.rooms.values()) n += s.pending.size;
    return n;
  }

  close(): void {
    for (const s of this.rooms.values()) {
      clearTimeout(s.timer);
      s.timer = undefined;
    }
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
      this.arm(room, state, this.options.gapWaitMs);
    }
  }

  /**
   * A revision is missing: wait for it a while, then go on from the lowest one waiting. The decision
   * waits for `setImmediate`, after the loop's I/O phase: when the loop was blocked past the deadline,
   * timers run before the I/O that arrived meanwhile, and the missing revision may be in it (read from
   * Redis in the same turn); giving up first would drop it.
   */
  private arm(room: string, state: RoomState, ms: number): void {
    clearTimeout(state.timer);
    const timer = setTimeout(() => {
      setImmediate(() => {
        // Cleared or re-armed meanwhile (the gap filled, or the sequencer closed): not this one's call.
        if (state.timer !== timer) return;
        state.timer = undefined;
        if (state.pending.size === 0 || state.pending.has(state.next)) return;
        state.next = Math.min(...state.pending.keys());
        this.drain(room, state);
      });
    }, ms);
    timer.unref();
    state.timer = timer;
  }
}
