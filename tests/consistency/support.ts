import type { TestApp } from '../helpers/app.js';
import type { TestMessage, TestTombstone, TestUser } from '../helpers/factories.js';

/** A message or a tombstone, as catch-up pages and `sync` return them. */
export type Item = TestMessage | TestTombstone;

/** One room of a `sync` reply (SPEC.md "Socket.io events" and "Consistency"). */
export type SyncEntry =
  | { room: string; messages: Item[]; hasMore: boolean; rev: number }
  | { room: string; error: { code: string; message: string } };

/** A room entry of a `sync` reply that has messages; throws on an error entry. */
export function okEntry(entry: SyncEntry | undefined): Extract<SyncEntry, { messages: Item[] }> {
  if (!entry || !('messages' in entry))
    throw new Error(`expected a room entry, got ${JSON.stringify(entry)}`);
  return entry;
}

/** Every message of a room (tombstones included), oldest first, by paging `?after=`. */
export async function allMessages(
  t: Pick<TestApp, 'http'>,
  user: Pick<TestUser, 'auth'>,
  room: string,
): Promise<Item[]> {
  const all: Item[] = [];
  let after = '0';
  for (;;) {
    const res = await t.http
      .get(`/api/messages?room=${encodeURIComponent(room)}&limit=100&after=${after}`)
      .set(user.auth);
    if (res.status !== 200)
      throw new Error(`list messages failed: ${res.status} ${JSON.stringify(res.body)}`);
    all.push(...(res.body.data as Item[]));
    const next = res.body.page.nextCursor as string | null;
    if (!next) return all;
    after = encodeURIComponent(next);
  }
}

/** 1, 2, …, n. */
export const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** The pairs [previous, next] of a list where next is not greater than previous. */
export function notIncreasing(values: number[]): [number, number][] {
  const bad: [number, number][] = [];
  for (let i = 1; i < values.length; i += 1) {
    if (values[i]! <= values[i - 1]!) bad.push([values[i - 1]!, values[i]!]);
  }
  return bad;
}

/** The pairs [previous, next] of a list where next is not exactly previous + 1. */
export function notConsecutive(values: number[]): [number, number][] {
  const bad: [number, number][] = [];
  for (let i = 1; i < values.length; i += 1) {
    if (values[i] !== values[i - 1]! + 1) bad.push([values[i - 1]!, values[i]!]);
  }
  return bad;
}
