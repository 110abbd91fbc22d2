import type { ChildProcess } from 'node:child_process';
import { cpuSeconds, forkWorker, stopChild } from './proc.js';

type Typed = { type: string };

/** A forked worker process with typed request → reply messaging over IPC. */
export class WorkerHandle<In, Out extends Typed> {
  readonly child: ChildProcess;
  private waiters: { type: string; resolve: (m: Out) => void; reject: (e: Error) => void }[] = [];
  private listeners: { type: string; fn: (m: Out) => void }[] = [];

  constructor(script: string) {
    this.child = forkWorker(script);
    this.child.on('message', (m: Out) => {
      for (const l of this.listeners) if (l.type === m.type) l.fn(m);
      const i = this.waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
    });
    this.child.on('exit', (code) => {
      for (const w of this.waiters.splice(0))
        w.reject(new Error(`worker ${script} exited (${code}) before replying ${w.type}`));
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  cpuSeconds(): number {
    return cpuSeconds(this.pid);
  }

  post(msg: In): void {
    this.child.send(msg as object);
  }

  on<T extends Out['type']>(type: T, fn: (m: Extract<Out, { type: T }>) => void): void {
    this.listeners.push({ type, fn: fn as (m: Out) => void });
  }

  /** Posts `msg` and resolves with the next message of type `reply`. */
  request<T extends Out['type']>(
    msg: In,
    reply: T,
    timeoutMs = 600_000,
  ): Promise<Extract<Out, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker did not reply ${reply} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        type: reply,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<Out, { type: T }>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.post(msg);
    });
  }

  async close(msg?: In, reply?: Out['type']): Promise<void> {
    if (msg && reply && this.child.connected) {
      await this.request(msg, reply, 10_000).catch(() => {});
    }
    await stopChild(this.child, 3000);
  }
}

/** Splits `items` into `n` lists, round-robin, or by a key so equal keys share a list. */
export function partition<T>(items: T[], n: number, key?: (item: T) => string): T[][] {
  const parts: T[][] = Array.from({ length: n }, () => []);
  const slot = new Map<string, number>();
  items.forEach((item, i) => {
    if (!key) return parts[i % n]!.push(item);
    const k = key(item);
    if (!slot.has(k)) slot.set(k, slot.size % n);
    parts[slot.get(k)!]!.push(item);
  });
  return parts;
}
