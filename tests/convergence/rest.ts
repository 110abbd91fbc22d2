import { Transient, type Recorder } from './recorder.js';

export interface RestResult<T> {
  status: number;
  data?: T;
  code?: string;
  /** A list's `page` (with `rev` for a catch-up by revision). */
  page?: { rev?: number; nextCursor?: string | null };
}

/**
 * One REST call as the convergence clients make it. A refused or dropped connection and 503 (which
 * the contract allows during faults) throw Transient; any other 5xx is recorded as a failure and then
 * throws Transient too, since its outcome is unknown and a client would try again.
 */
export async function restCall<T>(
  rec: Recorder,
  what: string,
  url: string,
  options: { method: string; token: string; body?: unknown },
): Promise<RestResult<T>> {
  const { method, token, body } = options;
  let status: number;
  let text: string;
  try {
    const res = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    status = res.status;
    text = await res.text();
  } catch (err) {
    rec.count('connection errors');
    throw new Transient(`${what}: ${(err as Error).message}`);
  }
  let json: { data?: T; error?: { code?: string }; page?: RestResult<T>['page'] } = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    // Not JSON: the status says enough.
  }
  if (status === 503) {
    rec.count('503');
    throw new Transient(`${what}: 503`);
  }
  if (status >= 500) {
    rec.fail(`${what} answered ${status} ${text.slice(0, 300)}`);
    throw new Transient(`${what}: ${status}`);
  }
  return { status, data: json.data, code: json.error?.code, page: json.page };
}
