import type { RoomView, WireMessage } from './model.js';

/** One room of a `sync` reply (SPEC.md "Consistency"): the changes after the rev asked, in rev order. */
export interface SyncEntry {
  room: string;
  messages?: WireMessage[];
  hasMore?: boolean;
  rev?: number;
  error?: { code: string };
}

/**
 * Checks one reply entry against the contract and applies it to the room's view: every message above
 * the rev asked, in rev order, and the reply's `rev` not below them; the view's rev moves to the
 * reply's. Answers the rev to ask from again (`hasMore`) and what was wrong with the entry.
 */
export function applySyncEntry(
  view: RoomView,
  from: number,
  entry: SyncEntry | undefined,
): { again?: number; problems: string[] } {
  if (!entry || entry.error || !Array.isArray(entry.messages))
    return { problems: [`answered ${JSON.stringify(entry ?? 'nothing')}`] };
  if (typeof entry.rev !== 'number') return { problems: ['reply without a numeric rev'] };
  const problems: string[] = [];
  let prev = from;
  for (const m of entry.messages) {
    if (!(m.rev > prev)) problems.push(`rev ${m.rev} after ${prev} (not rev order)`);
    prev = Math.max(prev, m.rev);
    view.applyMessage(m, true);
  }
  if (entry.rev < prev) problems.push(`reply rev ${entry.rev} below its messages'`);
  view.rev = Math.max(view.rev, entry.rev);
  if (!entry.hasMore) return { problems };
  if (entry.rev > from) return { again: entry.rev, problems };
  return { problems: [...problems, `hasMore without progress (rev ${entry.rev})`] };
}
