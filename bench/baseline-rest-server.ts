/**
 * The REST baseline: the least a Node server must do to serve this API's two hottest requests, written
 * by hand on node:http and `pg`, with none of the project's layers (no Express, no ORM, no zod, no
 * logging, no metrics, no rate limit, no session check). `npm run bench -- rest` runs it and the project
 * side by side on the same database and core, so the ratio says what the layers cost.
 *
 * - GET  /api/messages?room=<id>&limit=50[&before=<seq>]: HS256 access token checked with node:crypto,
 *   one membership check, the page of live messages newest first with their senders and reply quotes,
 *   reactions grouped by emoji, in the project's JSON shape (`{ success, data, page }`).
 * - POST /api/messages `{ room, content, clientId }`: the same idempotent send (a known clientId answers
 *   200 with the first message), seq and rev taken from the room's row in the insert's transaction, the
 *   sender's read mark moved, 201 with the message.
 *
 * Environment: PORT, DATABASE_URL, JWT_SECRET, DATABASE_POOL_MAX.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';

const port = Number(process.env.PORT ?? 5100);
const secret = Buffer.from(process.env.JWT_SECRET ?? '');
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_MAX ?? 20),
});

interface Claims {
  sub: string;
  sid: string;
  exp: number;
}

/** HS256 only; the signature, `typ`, expiry, issuer and audience as the project checks them. */
function verify(header: string | undefined): Claims | undefined {
  const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
  const parts = token?.split('.');
  if (!parts || parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  const head = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string };
  if (head.alg !== 'HS256') return undefined;
  const expected = createHmac('sha256', secret).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Claims & {
    typ?: string;
    iss?: string;
    aud?: string;
  };
  if (claims.typ !== 'access' || claims.iss !== 'chat-backend' || claims.aud !== 'chat-api')
    return undefined;
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) return undefined;
  return claims;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}

const fail = (res: ServerResponse, status: number, code: string, message: string) =>
  send(res, status, { success: false, error: { code, message } });

interface Row {
  id: string;
  room_id: string;
  seq: number;
  rev: number;
  type: string;
  content: string;
  reply_to_id: string | null;
  created_at: Date;
  edited_at: Date | null;
  s_id: string | null;
  s_username: string | null;
  s_display_name: string | null;
  s_avatar_url: string | null;
  r_id: string | null;
  r_seq: number | null;
  r_content: string | null;
  r_deleted: boolean | null;
  rs_id: string | null;
  rs_username: string | null;
  rs_display_name: string | null;
  rs_avatar_url: string | null;
}

const sender = (
  id: string | null,
  username: string | null,
  dn: string | null,
  av: string | null,
) => (id ? { id, username, displayName: dn, avatarUrl: av } : null);

function view(r: Row, reactions: unknown[] = []) {
  return {
    id: r.id,
    room: r.room_id,
    seq: r.seq,
    rev: r.rev,
    sender: sender(r.s_id, r.s_username, r.s_display_name, r.s_avatar_url),
    content: r.content,
    type: r.type,
    replyTo: r.reply_to_id,
    replyPreview: r.r_id
      ? {
          id: r.r_id,
          seq: r.r_seq,
          sender: sender(r.rs_id, r.rs_username, r.rs_display_name, r.rs_avatar_url),
          content: r.r_deleted ? '' : (r.r_content ?? '').slice(0, 200),
          deleted: r.r_deleted,
        }
      : null,
    reactions,
    createdAt: r.created_at.toISOString(),
    editedAt: r.edited_at ? r.edited_at.toISOString() : null,
  };
}

const COLUMNS = `m.id, m.room_id, m.seq, m.rev, m.type, m.content, m.reply_to_id, m.created_at, m.edited_at,
  s.id as s_id, s.username as s_username, s.display_name as s_display_name, s.avatar_url as s_avatar_url,
  r.id as r_id, r.seq as r_seq, r.content as r_content, r.deleted_at is not null as r_deleted,
  rs.id as rs_id, rs.username as rs_username, rs.display_name as rs_display_name,
  rs.avatar_url as rs_avatar_url`;
const JOINS = `left join users s on s.id = m.sender_id
  left join messages r on r.id = m.reply_to_id
  left join users rs on rs.id = r.sender_id`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function history(res: ServerResponse, claims: Claims, url: URL): Promise<void> {
  const room = url.searchParams.get('room') ?? '';
  const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? 50) || 50));
  const before = url.searchParams.get('before');
  if (!UUID.test(room)) return fail(res, 400, 'VALIDATION_ERROR', 'Invalid query');
  const member = await pool.query({
    name: 'member',
    text: 'select 1 from room_members where room_id = $1 and user_id = $2',
    values: [room, claims.sub],
  });
  if (member.rowCount === 0) return fail(res, 404, 'NOT_FOUND', 'Room not found');
  const page = await pool.query<Row>({
    name: before ? 'page-before' : 'page',
    text: `select ${COLUMNS} from messages m ${JOINS}
           where m.room_id = $1 and m.deleted_at is null ${before ? 'and m.seq < $3' : ''}
           order by m.seq desc limit $2`,
    values: before ? [room, limit + 1, Number(before)] : [room, limit + 1],
  });
  const rows = page.rows.slice(0, limit);
  const reactions = new Map<string, { emoji: string; count: number; userIds: string[] }[]>();
  if (rows.length > 0) {
    const found = await pool.query<{ message_id: string; emoji: string; user_id: string }>({
      name: 'reactions',
      text: `select message_id, emoji, user_id from message_reactions where message_id = any($1)
             order by created_at, user_id`,
      values: [rows.map((r) => r.id)],
    });
    for (const r of found.rows) {
      const groups = reactions.get(r.message_id) ?? [];
      let group = groups.find((g) => g.emoji === r.emoji);
      if (!group) groups.push((group = { emoji: r.emoji, count: 0, userIds: [] }));
      group.count += 1;
      group.userIds.push(r.user_id);
      reactions.set(r.message_id, groups);
    }
  }
  const hasMore = page.rows.length > limit;
  send(res, 200, {
    success: true,
    data: rows.map((r) => view(r, reactions.get(r.id))),
    page: { nextCursor: hasMore ? String(rows.at(-1)!.seq) : null, limit },
  });
}

async function sendMessage(res: ServerResponse, claims: Claims, body: string): Promise<void> {
  let input: { room?: unknown; content?: unknown; clientId?: unknown };
  try {
    input = JSON.parse(body) as typeof input;
  } catch {
    return fail(res, 400, 'VALIDATION_ERROR', 'Invalid JSON');
  }
  const content = typeof input.content === 'string' ? input.content.trim() : '';
  const clientId = typeof input.clientId === 'string' ? input.clientId : null;
  if (typeof input.room !== 'string' || !UUID.test(input.room) || !content || content.length > 4000)
    return fail(res, 400, 'VALIDATION_ERROR', 'Invalid message');
  if (clientId) {
    const known = await pool.query<Row>({
      name: 'by-client-id',
      text: `select ${COLUMNS} from messages m ${JOINS} where m.sender_id = $1 and m.client_id = $2`,
      values: [claims.sub, clientId],
    });
    if (known.rows[0]) return send(res, 200, { success: true, data: view(known.rows[0]) });
  }
  const client = await pool.connect();
  try {
    await client.query('begin');
    // Membership under the room's row lock, seq and rev from that row, the read mark moved.
    const inserted = await client.query<Row>({
      name: 'send',
      text: `with room as (
               update rooms set last_seq = last_seq + 1, rev = rev + 1, last_message_at = now()
               where id = $1 and exists (select 1 from room_members where room_id = $1 and user_id = $2)
               returning id, last_seq, rev
             ), m as (
               insert into messages (room_id, seq, rev, sender_id, type, content, client_id)
               select id, last_seq, rev, $2, 'text', $3, $4 from room
               returning *
             ), mark as (
               update room_members set last_read_seq = greatest(last_read_seq, m.seq), last_read_at = now()
               from m where room_members.room_id = $1 and room_members.user_id = $2
             )
             select m.id, m.room_id, m.seq, m.rev, m.type, m.content, m.reply_to_id, m.created_at,
                    m.edited_at, s.id as s_id, s.username as s_username,
                    s.display_name as s_display_name, s.avatar_url as s_avatar_url
             from m left join users s on s.id = m.sender_id`,
      values: [input.room, claims.sub, content, clientId],
    });
    await client.query('commit');
    const row = inserted.rows[0];
    if (!row) return fail(res, 404, 'NOT_FOUND', 'Room not found');
    send(res, 201, { success: true, data: view(row) });
  } catch (err) {
    await client.query('rollback').catch(() => {});
    if ((err as { code?: string }).code === '23505')
      return fail(res, 409, 'CONFLICT', 'Sent concurrently; retry');
    throw err;
  } finally {
    client.release();
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 100_000) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
    req.on('error', reject);
  });
}

const server = createServer((req, res) => {
  void (async () => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/health') return send(res, 200, { success: true });
    if (url.pathname !== '/api/messages' && url.pathname !== '/api/v1/messages')
      return fail(res, 404, 'NOT_FOUND', 'Route not found');
    const claims = verify(req.headers.authorization);
    if (!claims) return fail(res, 401, 'UNAUTHORIZED', 'Invalid token');
    if (req.method === 'GET') return history(res, claims, url);
    if (req.method === 'POST') return sendMessage(res, claims, await readBody(req));
    fail(res, 404, 'NOT_FOUND', 'Route not found');
  })().catch(() => {
    if (!res.headersSent) fail(res, 500, 'INTERNAL_ERROR', 'Internal server error');
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => console.log(`baseline listening on ${port}`));
process.on('SIGTERM', () => {
  server.close();
  void pool.end();
});
