import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import type { PushPayload } from '../../src/modules/push/push.service.js';
import { startTestApp, TEST_VAPID, type TestApp } from '../helpers/app.js';
import {
  createRoom,
  createUser,
  openDirect,
  sendMessage,
  type TestUser,
} from '../helpers/factories.js';
import { sleep, socketPool } from '../helpers/sockets.js';
import { jobsDrained } from './support.js';
import { startPushStandIn, type Browser, type PushStandIn } from './push-standin.js';

// SPEC "Web Push" against a push service stand-in that checks VAPID and decrypts the payload as a
// browser would: who gets a push (offline members whose level allows it and who did not block the
// sender), exactly once per message and subscription, retries, 404/410, 429 Retry-After.

let t: TestApp;
let ps: PushStandIn;
const sockets = socketPool();

beforeAll(async () => {
  ps = await startPushStandIn(() => TEST_VAPID.publicKey);
  t = await startTestApp({
    env: {
      PUSH_ALLOW_PRIVATE_ENDPOINTS: 'true',
      JOBS_WORKER: 'true',
      JOBS_POLL_MS: '25',
      JOBS_RETRY_BASE_MS: '40',
      PRESENCE_GRACE_MS: '0',
    },
  });
});
afterAll(async () => {
  sockets.closeAll();
  await t?.stop();
  await ps?.close();
});

async function subscribe(user: TestUser, browser: Browser): Promise<void> {
  const res = await t.http
    .post('/api/push/subscriptions')
    .set(user.auth)
    .send(browser.subscription);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

const drained = () => jobsDrained(t.ctx.db);

/** What the stand-in decrypted: the payload as the server declares it. */
type Payload = PushPayload;
const ids = (b: Browser) => (b.received as Payload[]).map((p) => p.messageId);

describe('subscriptions', () => {
  it('GET /api/push/vapid-public-key gives the key pushes are signed with', async () => {
    const u = await createUser(t);
    const res = await t.http.get('/api/push/vapid-public-key').set(u.auth);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ publicKey: TEST_VAPID.publicKey });
  });

  it('the same endpoint again replaces the subscription; DELETE removes only mine', async () => {
    const a = await createUser(t);
    const b = await createUser(t);
    const browser = ps.browser();
    await subscribe(a, browser);
    await subscribe(b, browser); // the browser now belongs to b
    const gone = await t.http
      .delete('/api/push/subscriptions')
      .set(a.auth)
      .send({ endpoint: browser.subscription.endpoint });
    expect(gone.status).toBe(404);
    const ok = await t.http
      .delete('/api/push/subscriptions')
      .set(b.auth)
      .send({ endpoint: browser.subscription.endpoint });
    expect(ok.status).toBe(200);
  });

  it('refuses bad keys with 400', async () => {
    const u = await createUser(t);
    const good = ps.browser().subscription;
    for (const body of [
      { ...good, keys: { ...good.keys, p256dh: 'short' } },
      { ...good, keys: { ...good.keys, auth: Buffer.alloc(10).toString('base64url') } },
      { ...good, endpoint: 'not a url' },
      { endpoint: good.endpoint },
    ]) {
      const res = await t.http.post('/api/push/subscriptions').set(u.auth).send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
  });
});

describe('who is pushed', () => {
  it('an offline member with level `all` gets exactly one push per message, decrypted and signed', async () => {
    const alice = await createUser(t);
    const bob = await createUser(t);
    const phone = ps.browser();
    await subscribe(bob, phone);
    const mine = ps.browser();
    await subscribe(alice, mine);
    const dm = await openDirect(t, alice, bob); // direct rooms default to `all`
    const sent: { id: string; seq: number }[] = [];
    for (let i = 0; i < 3; i += 1)
      sent.push(await sendMessage(t, alice, dm.id, `hello ${i} ${'x'.repeat(200)}`));
    await drained();
    expect(phone.rejected).toEqual([]);
    expect(ids(phone)).toEqual(expect.arrayContaining(sent.map((m) => m.id)));
    expect(ids(phone)).toHaveLength(3);
    const first = (phone.received as Payload[]).find((p) => p.messageId === sent[0]!.id)!;
    expect(first).toEqual({
      type: 'message',
      room: dm.id,
      roomName: expect.any(String),
      messageId: sent[0]!.id,
      seq: sent[0]!.seq,
      sender: { id: alice.id, username: alice.username },
      preview: expect.stringMatching(/^hello 0 x+…$/),
    });
    expect(first.preview.length).toBeLessThanOrEqual(120);
    // Never the sender.
    expect(mine.requests).toBe(0);
  });

  it('level `mentions` (default in rooms): only mentions of me and replies to me; `none`: nothing', async () => {
    const owner = await createUser(t);
    const quiet = await createUser(t);
    const muted = await createUser(t);
    const qb = ps.browser();
    const mb = ps.browser();
    await subscribe(quiet, qb);
    await subscribe(muted, mb);
    const room = await createRoom(t, owner, { members: [quiet, muted] });
    const level = await t.http
      .put(`/api/rooms/${room.id}/notifications`)
      .set(muted.auth)
      .send({ level: 'none' });
    expect(level.status).toBe(200);
    await sendMessage(t, owner, room.id, 'nothing for anyone');
    const mention = await sendMessage(t, owner, room.id, `@${quiet.username} @${muted.username}`);
    const theirs = await sendMessage(t, quiet, room.id, 'a question');
    const reply = await sendMessage(t, owner, room.id, 'an answer', { replyTo: theirs.id });
    await drained();
    expect(ids(qb).sort()).toEqual([mention.id, reply.id].sort());
    expect(mb.requests).toBe(0);
  });

  it('no push to a member with a connected socket, nor to one who blocked the sender', async () => {
    const sender = await createUser(t);
    const online = await createUser(t);
    const blocker = await createUser(t);
    const ob = ps.browser();
    const bb = ps.browser();
    await subscribe(online, ob);
    await subscribe(blocker, bb);
    const room = await createRoom(t, sender, { members: [online, blocker] });
    await t.http.put(`/api/rooms/${room.id}/notifications`).set(online.auth).send({ level: 'all' });
    await t.http
      .put(`/api/rooms/${room.id}/notifications`)
      .set(blocker.auth)
      .send({ level: 'all' });
    expect((await t.http.post(`/api/users/${sender.id}/block`).set(blocker.auth)).status).toBe(200);
    const s = await sockets.connect(t.url, online.accessToken);
    await s.waitFor('online-users');
    await sendMessage(t, sender, room.id, 'while you are here');
    await drained();
    expect(ob.requests).toBe(0);
    expect(bb.requests).toBe(0);
    // Gone offline: pushed again.
    s.close();
    await sleep(100);
    const later = await sendMessage(t, sender, room.id, 'now you are away');
    await drained();
    expect(ids(ob)).toEqual([later.id]);
    expect(bb.requests).toBe(0);
  });
});

describe('delivery', () => {
  async function pair() {
    const a = await createUser(t);
    const b = await createUser(t);
    const browser = ps.browser();
    await subscribe(b, browser);
    return { a, b, browser, dm: await openDirect(t, a, b) };
  }

  it('a push service answering 500 then 201 gets the push once, after the retry', async () => {
    const { a, browser, dm } = await pair();
    browser.answers.push({ status: 500 }, { status: 502 });
    const m = await sendMessage(t, a, dm.id, 'try again');
    await drained();
    expect(browser.requests).toBe(3);
    expect(ids(browser)).toEqual([m.id]);
  });

  it('404 or 410 deletes the subscription: nothing is sent to it again', async () => {
    for (const status of [404, 410]) {
      const { a, b, browser, dm } = await pair();
      browser.answers.push({ status });
      await sendMessage(t, a, dm.id, 'are you there');
      await drained();
      const rows = await queryRows<{ n: number }>(
        t.ctx.db,
        sql`select count(*)::int as n from push_subscriptions where user_id = ${b.id}`,
      );
      expect(Number(rows[0]!.n)).toBe(0);
      await sendMessage(t, a, dm.id, 'hello?');
      await drained();
      expect(browser.requests).toBe(1);
    }
  });

  it('429 waits for Retry-After before trying again', async () => {
    const { a, browser, dm } = await pair();
    browser.answers.push({ status: 429, headers: { 'Retry-After': '2' } });
    const m = await sendMessage(t, a, dm.id, 'slow down');
    // After the 429, the job waits about two seconds (not the backoff's 40 ms).
    let wait = 0;
    const deadline = Date.now() + 5000;
    while (wait < 1.2 && Date.now() < deadline) {
      const jobs = await queryRows<{ wait: number }>(
        t.ctx.db,
        sql`select extract(epoch from run_at - now())::float as wait from jobs
            where kind = 'push.send' and payload->>'messageId' = ${m.id}`,
      );
      wait = Math.max(0, ...jobs.map((j) => Number(j.wait)));
      if (wait < 1.2) await sleep(10);
    }
    expect(browser.requests).toBe(1);
    expect(wait).toBeGreaterThan(1.2);
    await drained();
    expect(ids(browser)).toEqual([m.id]);
    expect(browser.requests).toBe(2);
  });
});
