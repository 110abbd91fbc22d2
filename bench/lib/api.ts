/** REST calls the scenarios need for their setup: register, create and join rooms, log in. */
export const PASSWORD = 'bench-password-1';

export interface BenchUser {
  id: string;
  username: string;
  token: string;
}

const tag = Date.now().toString(36).slice(-5);

async function call<T>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as { data?: T; error?: { message?: string } };
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${json.error?.message ?? ''}`);
  return json.data as T;
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return out;
}

/** Registers `count` users named `<kind><tag>_<i>` (argon2 hashing makes this ~100/s on one core). */
export async function registerUsers(base: string, kind: string, count: number) {
  return mapLimit(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i): Promise<BenchUser> => {
      const username = `${kind}${tag}_${i}`;
      const data = await call<{ user: { id: string }; accessToken: string }>(
        base,
        'POST',
        '/api/auth/register',
        { username, email: `${username}@bench.test`, password: PASSWORD },
      );
      return { id: data.user.id, username, token: data.accessToken };
    },
  );
}

export async function createRoom(base: string, token: string, name: string): Promise<string> {
  const room = await call<{ id: string }>(
    base,
    'POST',
    '/api/rooms',
    { name, type: 'public' },
    token,
  );
  return room.id;
}

export async function joinRoom(base: string, token: string, roomId: string): Promise<void> {
  await call(base, 'POST', `/api/rooms/${roomId}/join`, {}, token);
}

export const runTag = tag;
