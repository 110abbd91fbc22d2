import type { AuthResult, Page } from './types';

/** REST access to /api with the tokens kept in localStorage; a 401 refreshes the pair once and retries. */

const STORAGE_KEY = 'chat.tokens';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { path?: string; message: string }[] = [],
  ) {
    super(message);
  }
}

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

let tokens: Tokens | null = load();
const tokenListeners: ((token: string | null) => void)[] = [];
let refreshing: Promise<boolean> | null = null;

function load(): Tokens | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Tokens) : null;
  } catch {
    return null;
  }
}

export function setTokens(next: Tokens | null): void {
  tokens = next ? { accessToken: next.accessToken, refreshToken: next.refreshToken } : null;
  if (tokens) localStorage.setItem(STORAGE_KEY, JSON.stringify(tokens));
  else localStorage.removeItem(STORAGE_KEY);
  for (const listener of tokenListeners) listener(tokens?.accessToken ?? null);
}

export const accessToken = (): string | null => tokens?.accessToken ?? null;
export const refreshToken = (): string | null => tokens?.refreshToken ?? null;

/** Called with the new access token after a refresh (null when signed out). */
export function onTokenChange(listener: (token: string | null) => void): void {
  tokenListeners.push(listener);
}

/** Rotates the token pair; concurrent callers share one request. False when the session is gone. */
export function refreshTokens(): Promise<boolean> {
  const current = tokens?.refreshToken;
  if (!current) return Promise.resolve(false);
  refreshing ??= (async () => {
    try {
      const res = await fetch('/api/auth/refresh', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refreshToken: current }),
      });
      if (!res.ok) {
        // Another tab may have rotated it already: take its pair if there is a newer one.
        const stored = load();
        if (stored && stored.refreshToken !== current) {
          setTokens(stored);
          return true;
        }
        setTokens(null);
        return false;
      }
      setTokens(((await res.json()) as { data: AuthResult }).data);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export interface Result<T> {
  data: T;
  page?: Page;
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (tokens) headers.Authorization = `Bearer ${tokens.accessToken}`;
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  return fetch(`/api${path}`, { method, headers, body: payload });
}

/** Calls the API and unwraps `{ success, data, page }`; errors become ApiError with the API's code. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<Result<T>> {
  let res = await send(method, path, body);
  const signIn = /^\/auth\/(login|register|refresh)$/.test(path);
  if (res.status === 401 && tokens && !signIn && (await refreshTokens())) {
    res = await send(method, path, body);
  }
  const json = (await res.json().catch(() => null)) as {
    data?: T;
    page?: Page;
    error?: { code: string; message: string; details?: { path?: string; message: string }[] };
  } | null;
  if (!res.ok || !json) {
    const error = json?.error;
    throw new ApiError(
      res.status,
      error?.code ?? 'INTERNAL_ERROR',
      error?.message ?? res.statusText,
      error?.details,
    );
  }
  return { data: json.data as T, page: json.page };
}

export const get = <T>(path: string) => api<T>('GET', path).then((r) => r.data);
export const post = <T>(path: string, body?: unknown) =>
  api<T>('POST', path, body ?? {}).then((r) => r.data);

/** Query strings without undefined values. */
export const put = <T>(path: string, body?: unknown) =>
  api<T>('PUT', path, body).then((r) => r.data);

export function qs(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v));
  return search.toString();
}

/** The message of an API error, with its first field detail when there is one. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const detail = err.details[0];
    return detail ? `${err.message}: ${detail.path ?? ''} ${detail.message}`.trim() : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
