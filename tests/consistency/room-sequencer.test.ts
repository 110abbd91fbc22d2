import { once } from 'node:events';
import { createServer, connect, type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RoomSequencer } from '../../src/realtime/room-sequencer.js';

// Unit tests of the per-room reordering buffer behind SPEC.md "Consistency", Order: every node delivers a
// room's message events in rev order, waits a bounded time for a missing one (then drops it if it still
// comes: clients see the gap and sync), and never stalls on a payload that could not be built.

const GAP_MS = 500;
const FIRST_MS = 100;
let sequencer: RoomSequencer;
let delivered: string[];

/** A deliver function that records `label`. */
const record = (label: string) => () => {
  delivered.push(label);
};

/** A payload still being built: resolve it with a deliver function, undefined, or reject it. */
function later() {
  let resolve!: (d: (() => void) | undefined) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<(() => void) | undefined>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets promise callbacks run (fake timers do not touch microtasks). */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);
/**
 * The sequencer decides to skip a gap in a `setImmediate` after its timer (so that I/O that arrived
 * meanwhile goes first); the fake clock runs that immediate on its next millisecond.
 */
const decided = () => vi.advanceTimersByTimeAsync(1);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });
  delivered = [];
  sequencer = new RoomSequencer({ gapWaitMs: GAP_MS, firstWaitMs: FIRST_MS });
});
afterEach(() => {
  sequencer.close();
  vi.useRealTimers();
});

describe('RoomSequencer', () => {
  it('delivers revisions pushed in order at once, in order', () => {
    sequencer.push('room', 1, record('1'));
    sequencer.push('room', 2, record('2'));
    sequencer.push('room', 3, record('3'));
    expect(delivered).toEqual(['1', '2', '3']);
    expect(sequencer.waiting()).toBe(0);
  });

  it('on first sight of a room past rev 1, waits firstWaitMs for the revision before it, which fills in ahead', async () => {
    sequencer.push('room', 42, record('42'));
    expect(delivered).toEqual([]);
    await advance(FIRST_MS / 2);
    sequencer.push('room', 41, record('41'));
    expect(delivered).toEqual(['41', '42']);
  });

  it('on first sight of a room past rev 1, starts at its first event when nothing earlier comes within firstWaitMs', async () => {
    sequencer.push('room', 42, record('42'));
    sequencer.push('room', 43, record('43'));
    await advance(FIRST_MS - 1);
    expect(delivered).toEqual([]);
    await advance(1);
    expect(delivered).toEqual([]);
    await decided();
    expect(delivered).toEqual(['42', '43']);
  });

  it('holds a later revision until an earlier one whose payload resolves later is ready', async () => {
    const first = later();
    sequencer.push('room', 1, first.promise);
    sequencer.push('room', 2, record('2'));
    sequencer.push('room', 3, record('3'));
    await flush();
    expect(delivered).toEqual([]);
    expect(sequencer.waiting()).toBe(3);
    first.resolve(record('1'));
    await flush();
    expect(delivered).toEqual(['1', '2', '3']);
    expect(sequencer.waiting()).toBe(0);
  });

  it('waits for a registered payload however long it takes: no gap timer while the next revision is known', async () => {
    sequencer.push('room', 1, record('1'));
    const slow = later();
    sequencer.push('room', 2, slow.promise);
    sequencer.push('room', 3, record('3'));
    await advance(GAP_MS * 10);
    expect(delivered).toEqual(['1']);
    slow.resolve(record('2'));
    await flush();
    expect(delivered).toEqual(['1', '2', '3']);
  });

  it('skips a missing revision after gapWaitMs and delivers what waited behind it', async () => {
    sequencer.push('room', 1, record('1'));
    sequencer.push('room', 3, record('3'));
    sequencer.push('room', 4, record('4'));
    expect(delivered).toEqual(['1']);
    await advance(GAP_MS - 1);
    expect(delivered).toEqual(['1']);
    await advance(1);
    await decided();
    expect(delivered).toEqual(['1', '3', '4']);
    expect(sequencer.waiting()).toBe(0);
  });

  it('a missing revision that arrives within gapWaitMs fills the gap: nothing is skipped', async () => {
    sequencer.push('room', 1, record('1'));
    sequencer.push('room', 3, record('3'));
    await advance(GAP_MS / 2);
    sequencer.push('room', 2, record('2'));
    expect(delivered).toEqual(['1', '2', '3']);
    await advance(GAP_MS * 2);
    expect(delivered).toEqual(['1', '2', '3']);
  });

  it('drops a revision that arrives after its turn was given up, never delivering it out of order', async () => {
    sequencer.push('room', 1, record('1'));
    sequencer.push('room', 3, record('3'));
    await advance(GAP_MS);
    await decided();
    expect(delivered).toEqual(['1', '3']);
    sequencer.push('room', 2, record('2 late'));
    const lateSlow = later();
    sequencer.push('room', 2, lateSlow.promise);
    lateSlow.resolve(record('2 late again'));
    await flush();
    expect(delivered).toEqual(['1', '3']);
    expect(sequencer.dropped).toBe(2);
    // Delivery goes on from where it was.
    sequencer.push('room', 4, record('4'));
    expect(delivered).toEqual(['1', '3', '4']);
  });

  it('a payload that resolves to nothing delivers nothing and lets the later revisions go', async () => {
    const empty = later();
    sequencer.push('room', 1, empty.promise);
    sequencer.push('room', 2, record('2'));
    empty.resolve(undefined);
    await flush();
    expect(delivered).toEqual(['2']);
  });

  it('a payload that fails to build delivers nothing and lets the later revisions go', async () => {
    sequencer.push('room', 1, record('1'));
    const failing = later();
    sequencer.push('room', 2, failing.promise);
    sequencer.push('room', 3, record('3'));
    failing.reject(new Error('view query failed'));
    await flush();
    expect(delivered).toEqual(['1', '3']);
    expect(sequencer.waiting()).toBe(0);
  });

  it("keeps rooms apart: a gap in one room does not hold another room's events", async () => {
    sequencer.push('a', 1, record('a1'));
    sequencer.push('b', 1, record('b1'));
    sequencer.push('a', 3, record('a3'));
    sequencer.push('b', 2, record('b2'));
    expect(delivered).toEqual(['a1', 'b1', 'b2']);
    await advance(GAP_MS);
    await decided();
    expect(delivered).toEqual(['a1', 'b1', 'b2', 'a3']);
  });

  it('a missing revision that arrived while the loop was blocked past the gap wait fills the gap (I/O before giving up)', async () => {
    vi.useRealTimers();
    const real = new RoomSequencer({ gapWaitMs: 20, firstWaitMs: 20 });
    // Rev 2 comes over a loopback socket, as another node's event comes from Redis.
    const server = createServer((s) => s.on('data', () => real.push('room', 2, record('2'))));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await once(client, 'connect');
    try {
      real.push('room', 1, record('1'));
      real.push('room', 3, record('3'));
      client.write('rev 2');
      // Block the loop past the gap wait: the gap timer and the socket's data become due together.
      const until = Date.now() + 100;
      while (Date.now() < until);
      await new Promise((r) => setTimeout(r, 50));
      expect(delivered).toEqual(['1', '2', '3']);
      expect(real.dropped).toBe(0);
    } finally {
      real.close();
      client.destroy();
      server.close();
    }
  });
});
