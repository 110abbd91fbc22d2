import { sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../../src/db/client.js';
import { sleep } from '../helpers/sockets.js';

/** Waits until the job queue is empty: every push sent, given up or not needed. */
export async function jobsDrained(db: Executor, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from jobs`);
    if (Number(row!.n) === 0) return;
    if (Date.now() > deadline) throw new Error(`${row!.n} jobs still queued`);
    await sleep(20);
  }
}
