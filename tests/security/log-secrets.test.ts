import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeError } from '../../src/logger.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createRoom, createUser, type TestRoom, type TestUser } from '../helpers/factories.js';
import { findLogLeaks, memoryLogDestination } from '../helpers/log-capture.js';
import { connectSocket, emitAck } from '../helpers/sockets.js';
import { pathOf, png, uploadOk } from '../files/support.js';

/**
 * Logs never hold what a request carried (issue 16, item 5): this file provokes each way data used
 * to reach the log — a 5xx whose drizzle error held the query's parameters (an email, an Argon2
 * hash, a message body), a 503 during a database outage, a socket event that failed the same way,
 * request lines with the file-URL signature and the search terms in their query string — and then
 * searches every line its app logged. (The logs of every other test file are searched for the same
 * kinds of leak when the run ends: tests/helpers/log-scan.global.ts.)
 */
const tag = randomBytes(4).toString('hex');
const MARKER = `log-leak-${tag}`;
const PASSWORD = `Pw-${tag}-never-logged`;
const EMAIL = `${MARKER}@example.com`;
const BODY = `a private message body ${MARKER}`;
const SEARCH_TERM = `needle${tag}`;

const logs = memoryLogDestination();
let t: TestApp;
let alice: TestUser;
let room: TestRoom;
let signature = '';

/** Every value that must not appear in any log line. */
const needles = () =>
  [
    [PASSWORD, 'the password'],
    [EMAIL, 'the email'],
    [BODY, 'the message body'],
    [MARKER, 'a value of the failed queries'],
    [SEARCH_TERM, 'the search term'],
    [signature, 'the file-URL signature'],
  ].map(([value, what]) => [new RegExp(escape(value!)), what!] as [RegExp, string]);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const logged = () => logs.lines.join('');

beforeAll(async () => {
  t = await startTestApp({ env: { LOG_LEVEL: 'info' }, logDestination: logs });
  alice = await createUser(t);
  room = await createRoom(t, alice);
  // Inserts that carry the marker fail inside PostgreSQL (an error the server does not translate:
  // a 500), so that the failed statement's parameters are at hand for the error log.
  await t.ctx.db.execute(
    sql.raw(`create function fail_marked_rows() returns trigger language plpgsql as $$
      begin
        if row_to_json(new)::text like '%${MARKER}%' then
          raise exception 'marked row refused' using errcode = 'P0001';
        end if;
        return new;
      end $$`),
  );
  for (const table of ['users', 'messages'])
    await t.ctx.db.execute(
      sql.raw(`create trigger fail_marked_${table} before insert on ${table}
        for each row execute function fail_marked_rows()`),
    );
});
afterAll(async () => {
  await t?.stop();
});

describe('what the server logs', () => {
  it('a register that fails in the database answers 500 and logs no email, password or hash', async () => {
    const res = await t.http
      .post('/api/v1/auth/register')
      .send({ username: `u_${tag}`, email: EMAIL, password: PASSWORD });
    expect(res.status).toBe(500);
    // The error is logged, with PostgreSQL's code and message: only the data is missing.
    expect(logged()).toContain('"code":"P0001"');
    expect(logged()).toContain('marked row refused');
  });

  it('a message insert that fails answers 500 and logs no message body', async () => {
    const res = await t.http
      .post('/api/v1/messages')
      .set(alice.auth)
      .send({ room: room.id, content: BODY });
    expect(res.status).toBe(500);
  });

  it('a socket send that fails acks INTERNAL_ERROR and logs no message body', async () => {
    const socket = await connectSocket(t.url, alice.accessToken);
    try {
      const ack = await emitAck(socket, 'send-message', { room: room.id, content: BODY });
      expect(ack.error?.code).toBe('INTERNAL_ERROR');
    } finally {
      socket.close();
    }
    expect(logged()).toContain('socket event failed');
  });

  it('request lines carry the path of a file download and of a search, without the query', async () => {
    const { file } = await uploadOk(t, alice, await png(), 'photo.png', { room: room.id });
    signature = new URL(file.url).searchParams.get('sig') ?? '';
    expect(signature).not.toBe('');
    expect((await t.http.get(pathOf(file.url))).status).toBe(200);
    const forged = new URL(file.url);
    forged.searchParams.set('name', `${MARKER}.png`);
    expect((await t.http.get(pathOf(forged.toString()))).status).toBe(403);
    const searches = [
      `/api/v1/messages/search?q=${SEARCH_TERM}&room=${room.id}`,
      `/api/v1/users/search?q=${SEARCH_TERM}`,
    ];
    for (const path of searches) expect((await t.http.get(path).set(alice.auth)).status).toBe(200);
    expect(logged()).toContain(`"url":"${new URL(file.url).pathname}"`);
    expect(logged()).toContain('"url":"/api/v1/messages/search"');
  });

  it('a login during a database outage answers 503 and logs no email or password', async () => {
    await t.testDb.database.close();
    const res = await t.http.post('/api/v1/auth/login').send({ email: EMAIL, password: PASSWORD });
    expect(res.status).toBe(503);
    expect(logged()).toMatch(/"level":50.*"code":"SERVICE_UNAVAILABLE"/);
  });

  it('none of the lines logged above holds a password, hash, email, body, term or signature', () => {
    expect(logs.lines.length).toBeGreaterThan(10);
    expect(findLogLeaks(logs.lines, needles())).toEqual([]);
  });
});

describe('safeError', () => {
  const failedQuery = () => {
    const pgError = Object.assign(new Error('duplicate key value violates unique constraint'), {
      code: '23505',
      severity: 'ERROR',
      table: 'users',
      constraint: 'users_email_key',
      detail: `Key (email)=(${EMAIL}) already exists.`,
      where: 'SQL statement',
    });
    // The shape drizzle throws: the SQL and its parameters in the message and as fields.
    return Object.assign(
      new Error(
        `Failed query: insert into "users" values ($1, $2)\nparams: ${EMAIL},$argon2id$v=19`,
      ),
      { name: 'DrizzleQueryError', query: 'insert into "users"', params: [EMAIL], cause: pgError },
    );
  };

  it("keeps PostgreSQL's code, severity, table and constraint, drops the query, parameters and detail", () => {
    const safe = safeError(failedQuery());
    expect(safe).toMatchObject({
      type: 'DrizzleQueryError',
      message: 'Failed query',
      cause: { code: '23505', severity: 'ERROR', table: 'users', constraint: 'users_email_key' },
    });
    const text = JSON.stringify(safe);
    expect(text).not.toContain(EMAIL);
    expect(text).not.toContain('$argon2');
    expect(text).not.toContain('insert into');
    expect(text).not.toContain('Key (');
  });

  it('gives the same result when applied twice (the logger applies it again)', () => {
    const once = safeError(failedQuery());
    expect(safeError(once)).toEqual(once);
  });
});
