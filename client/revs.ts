import { emit } from './socket';
import type { Message, SyncEntry, Tombstone } from './types';

/**
 * Staying in step with the server (SPEC "Consistency"), for every room whose messages the client
 * holds (this demo holds the open room's). Per room it keeps `rev`, the highest revision applied
 * without a gap, and per message the rev of the copy held, or of its tombstone after a deletion,
 * so that a late, older event cannot bring a deleted message back.
 *
 * - A change applies only when its rev is higher than the one held for its message (a `sync`
 *   reply, which is the whole message, also when it is the same).
 * - An event more than one past the room's rev means something was missed: a `sync`
 *   `{ room, rev }` fetches every change since. After a reconnect every room is synced that way.
 * - A room's first rev comes from `sync` `{ room, after: <highest seq loaded> }`.
 */

export type Change = Message | Tombstone;

interface Held {
  /** Null until a `sync` reply gives a first one. */
  rev: number | null;
  messages: Map<string, number>;
  timer?: number;
}

/** At most this many rooms in one `sync`. */
const SYNC_ROOMS = 100;
const held = new Map<string, Held>();
/** Shows a change; false when the view does not keep it (an old message not loaded yet). */
let show: (change: Change) => boolean = () => false;

export function setView(fn: (change: Change) => boolean): void {
  show = fn;
}

export function hold(room: string): void {
  held.set(room, { rev: null, messages: new Map() });
}

export function release(room: string): void {
  clearTimeout(held.get(room)?.timer);
  held.delete(room);
}

export const hasRev = (room: string): boolean => held.get(room)?.rev != null;

/**
 * Applies a change unless the copy held of its message is as new. Rooms not held have no copies.
 * A `sync` reply is the whole message, so it also replaces a copy of the same rev: a reaction event
 * moves a message's rev without its text, and the text of an edit missed before it comes this way.
 */
export function offer(change: Change, whole = false): void {
  const messages = held.get(change.room)?.messages;
  const mine = messages?.get(change.id) ?? 0;
  if (whole ? change.rev < mine : change.rev <= mine) return;
  if (show(change)) messages?.set(change.id, change.rev);
}

/** A page of history: the messages to add, all but those of which a newer copy or tombstone is held. */
export function fromHistory(room: string, page: Message[]): Message[] {
  const messages = held.get(room)?.messages;
  return page.filter((m) => {
    if (m.rev < (messages?.get(m.id) ?? 0)) return false;
    messages?.set(m.id, m.rev);
    return true;
  });
}

/** A live event's rev: the room's rev moves on, or a gap is fetched with `sync`. */
export function track(room: string, rev: number): void {
  const r = held.get(room);
  if (!r || r.rev === null) return;
  if (rev <= r.rev + 1) r.rev = Math.max(r.rev, rev);
  // Several gap events in a row make one `sync`: the first schedules it, the rest find it pending.
  else
    r.timer ??= window.setTimeout(() => {
      r.timer = undefined;
      syncRooms([room]).catch(() => undefined);
    }, 200);
}

export function fromEvent(change: Change): void {
  offer(change);
  track(change.room, change.rev);
}

type Synced = Extract<SyncEntry, { messages: unknown }>;

/** Applies a `sync` reply entry of a room still held; null for an error or a released room. */
function applyEntry(entry: SyncEntry | undefined): Synced | null {
  if (!entry || 'error' in entry || !held.has(entry.room)) return null;
  for (const m of entry.messages) offer(m, true);
  return entry;
}

/** A room just loaded up to `seq`: its first rev, and whatever came after that page. */
export async function baseline(room: string, seq: number): Promise<void> {
  let after = seq;
  for (;;) {
    const [reply] = await emit<SyncEntry[]>('sync', { rooms: [{ room, after }] });
    const entry = applyEntry(reply);
    const r = held.get(room);
    if (!entry || !r) return;
    const last = entry.messages.at(-1);
    if (!entry.hasMore || !last) {
      r.rev = Math.max(r.rev ?? 0, entry.rev);
      return;
    }
    after = last.seq;
  }
}

/** Every change after the held rev of these rooms (all held ones by default), following hasMore. */
export async function syncRooms(rooms = [...held.keys()]): Promise<void> {
  let pending = rooms.filter(hasRev);
  while (pending.length) {
    const batch = pending.slice(0, SYNC_ROOMS).map((room) => ({ room, rev: held.get(room)?.rev }));
    const again: string[] = [];
    let progressed = false;
    for (const reply of await emit<SyncEntry[]>('sync', { rooms: batch })) {
      const entry = applyEntry(reply);
      const r = entry && held.get(entry.room);
      if (!entry || !r) continue;
      r.rev = Math.max(r.rev ?? 0, entry.rev);
      progressed ||= entry.messages.length > 0;
      if (entry.hasMore) again.push(entry.room);
    }
    // A room with more waits for the next call; it may have got nothing when others used the budget.
    pending = [...(progressed ? again : []), ...pending.slice(SYNC_ROOMS)].filter(hasRev);
  }
}
