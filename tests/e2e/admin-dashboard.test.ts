import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createUser, login, sendMessage, type TestUser } from '../helpers/factories.js';
import { pdf, uploadOk } from '../files/support.js';
import { ARTIFACTS, browserSkip, buildClientForBrowser, launchChromium } from './browser.js';

/**
 * The admin dashboard at /admin in Debian's chromium (playwright-core, as the demo client's e2e
 * test): an admin signs in, sees the activity charts, deactivates a user, resolves a report and
 * finds both in the audit log; the phone width has no horizontal scroll; a plain user is refused.
 * Screenshots go to test-artifacts/e2e/admin-*.png. `pg` project only, like the other browser run.
 */

const WAIT = { timeout: 10_000 };
const DAY_MS = 86_400_000;
const today = () => new Date().toISOString().slice(0, 10);

const skip = browserSkip;

describe.skipIf(skip.skip)(skip.title('admin dashboard in a browser (e2e)'), () => {
  let app: TestApp;
  let browser: Browser;
  let boss: TestUser;
  let mallory: TestUser;
  let plain: TestUser;
  let reportId: string;
  let reportedMessage: string;
  const problems: string[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    buildClientForBrowser();
    app = await startTestApp();
    boss = await createUser(app, { username: 'boss' });
    await queryRows(app.ctx.db, sql`update users set role = 'admin' where id = ${boss.id}`);
    mallory = await createUser(app, { username: 'mallory' });
    plain = await createUser(app, { username: 'plain_pat' });
    const others = [
      await createUser(app, { username: 'ada' }),
      await createUser(app, { username: 'grace' }),
      await createUser(app, { username: 'linus' }),
    ];
    const general = (await app.http.get('/api/rooms/general').set(boss.auth)).body.data.id;

    // A few weeks of history for the charts: messages in three rooms, sign-ups and uploads spread
    // over past days; and earlier admin actions in the audit log.
    const rooms = [general];
    for (const name of ['Design', 'Random']) {
      const room = await app.http
        .post('/api/rooms')
        .set(others[0]!.auth)
        .send({ name, type: 'public' });
      rooms.push(room.body.data.id);
      for (const u of others.slice(1))
        await app.http.post(`/api/rooms/${room.body.data.id}/join`).set(u.auth);
    }
    const history: string[] = [];
    for (let i = 0; i < 48; i += 1) {
      const sender = others[i % others.length]!;
      const room = rooms[i % 5 < 2 ? 0 : i % 5 < 4 ? 1 : 2]!;
      history.push((await sendMessage(app, sender, room, `history ${i}`)).id);
    }
    for (let i = 0; i < 3; i += 1) {
      const file = await uploadOk(app, others[i]!, pdf(), `notes-${i}.pdf`, { room: general });
      history.push(file.message.id);
    }
    const spread = (column: string) =>
      sql.raw(`now() - make_interval(days => (abs(hashtext(${column}::text)) % 20) + 1)`);
    await queryRows(
      app.ctx.db,
      sql`update messages set created_at = ${spread('id')} where id in (${sql.join(
        history.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`,
    );
    await queryRows(app.ctx.db, sql`update files set created_at = ${spread('message_id')}`);
    await queryRows(
      app.ctx.db,
      sql`update users set created_at = ${spread('id')} where username in ('ada', 'grace', 'linus', 'boss')`,
    );
    const linus = others[2]!;
    await app.http
      .post(`/api/admin/users/${linus.id}/deactivate`)
      .set(boss.auth)
      .send({ reason: 'cooling off' });
    await app.http.post(`/api/admin/users/${linus.id}/reactivate`).set(boss.auth);

    // A question from Linus, reported by Grace (left open), and Mallory's spam, reported by Pat.
    const linusAgain = await login(app, linus);
    const question = await sendMessage(app, linusAgain, rooms[1]!, 'Is anyone else seeing this?');
    await app.http
      .post(`/api/messages/${question.id}/report`)
      .set(others[1]!.auth)
      .send({ reason: 'off topic' });
    reportedMessage = (
      await sendMessage(app, mallory, general, 'Buy cheap watches at spam.example')
    ).id;
    const report = await app.http
      .post(`/api/messages/${reportedMessage}/report`)
      .set(plain.auth)
      .send({ reason: 'spam' });
    expect(report.status).toBe(201);
    reportId = report.body.data.id;

    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await app?.stop();
  });

  async function newPage(name: string, width: number, height = 900): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`${name}: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text()))
        problems.push(`${name}: ${msg.text()}`);
    });
    return page;
  }

  async function signIn(page: Page, user: TestUser): Promise<void> {
    const response = await page.goto(`${app.url}/admin`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('#auth-form').waitFor(WAIT);
    await page.fill('#auth-username', user.username);
    await page.fill('#auth-password', user.password);
    await page.click('#auth-submit');
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `admin-${name}.png`), fullPage: true });

  const adminGet = async (path: string) => {
    const res = await app.http.get(path).set(boss.auth);
    expect(res.status).toBe(200);
    return res.body.data;
  };

  it('an admin sees the charts, deactivates a user, resolves a report and finds both in the audit log', async () => {
    const page = await newPage('boss', 1280);
    await signIn(page, boss);
    await page.locator('#dashboard').waitFor(WAIT);

    // The charts: one bar per day of the last 30, drawn from /api/admin/stats.
    const stats = await adminGet(
      `/api/admin/stats?from=${new Date(Date.now() - 29 * DAY_MS).toISOString().slice(0, 10)}&to=${today()}`,
    );
    const bars = page.locator('#charts figure[data-chart="messages"] rect.bar');
    await expect.poll(() => bars.count(), WAIT).toBe(30);
    const drawn = await bars.evaluateAll((rects) =>
      rects.map((r) => ({
        day: r.getAttribute('data-day'),
        value: Number(r.getAttribute('data-value')),
        height: Number(r.getAttribute('height')),
      })),
    );
    expect(drawn.map(({ day, value }) => ({ day, value }))).toEqual(
      stats.days.map((d: { day: string; messages: number }) => ({ day: d.day, value: d.messages })),
    );
    expect(drawn.filter((b) => b.value > 0).length).toBeGreaterThan(5);
    for (const b of drawn) expect(b.height > 0).toBe(b.value > 0);
    for (const chart of ['senders', 'users', 'uploads'])
      expect(await page.locator(`#charts figure[data-chart="${chart}"] rect.bar`).count()).toBe(30);
    await expect
      .poll(() => page.locator('#totals').textContent(), WAIT)
      .toContain(`Messages${stats.totals.messages}`);
    await page.locator('#report-list li[data-report]').first().waitFor(WAIT);
    await shot(page, 'desktop');

    // Deactivate Mallory, with a reason.
    await page.fill('#user-search', 'mall');
    const row = page.locator('#user-list li[data-user="mallory"]');
    await expect.poll(() => page.locator('#user-list li[data-user]').count(), WAIT).toBe(1);
    await row.getByRole('button', { name: 'Deactivate' }).click();
    await row.getByPlaceholder('Reason (optional)').fill('spam from the dashboard');
    await row.getByRole('button', { name: 'Confirm' }).click();
    await page
      .locator('#user-list li[data-user="mallory"] .tag.off', { hasText: 'deactivated' })
      .waitFor(WAIT);
    const [listed] = await adminGet('/api/admin/users?q=mallory');
    expect(listed).toMatchObject({
      username: 'mallory',
      deactivatedAt: expect.any(String),
      deactivationReason: 'spam from the dashboard',
    });
    expect(
      (
        await app.http
          .post('/api/auth/login')
          .send({ username: 'mallory', password: mallory.password })
      ).status,
    ).toBe(403);

    // Resolve the report by deleting the message.
    const report = page.locator(`#report-list li[data-report="${reportId}"]`);
    await report.getByText('Buy cheap watches').waitFor(WAIT);
    await report.getByRole('button', { name: 'Delete message' }).click();
    await report.waitFor({ state: 'detached', ...WAIT });
    await expect.poll(() => page.locator('#report-list li[data-report]').count(), WAIT).toBe(1);
    const resolved = await adminGet('/api/admin/reports?status=resolved');
    expect(resolved).toEqual([
      expect.objectContaining({
        id: reportId,
        status: 'resolved',
        resolution: expect.objectContaining({ action: 'delete-message', by: boss.id }),
        message: expect.objectContaining({ id: reportedMessage, deleted: true }),
      }),
    ]);

    // The audit log shows both, newest first.
    const audit = page.locator('#audit-list li[data-action]');
    await page.locator('#audit-list li[data-action="report.resolve"]').waitFor(WAIT);
    const actions = await audit.evaluateAll((items) =>
      items.map((i) => i.getAttribute('data-action')),
    );
    expect(actions.slice(0, 3)).toEqual(['report.resolve', 'message.delete', 'user.deactivate']);
    expect(await audit.first().textContent()).toContain('boss');
    await shot(page, 'desktop-after-actions');
    expect(problems).toEqual([]);
  }, 60_000);

  it("fits a phone's width, reusing the chat's stored session", async () => {
    const page = await newPage('phone', 375, 812);
    // Signed in through the chat: the dashboard takes the tokens the demo client stored.
    const session = await login(app, boss);
    await page.addInitScript(
      (tokens) => {
        localStorage.setItem('chat.tokens', JSON.stringify(tokens));
      },
      { accessToken: session.accessToken, refreshToken: session.refreshToken },
    );
    await page.goto(`${app.url}/admin`);
    await page.locator('#dashboard').waitFor(WAIT);
    await expect.poll(() => page.locator('#charts figure rect.bar').count(), WAIT).toBe(4 * 30);
    await page.locator('#audit-list li[data-action]').first().waitFor(WAIT);
    // No horizontal scroll: the page is no wider than the screen.
    const width = await page.locator('html').evaluate((root) => ({
      scroll: root.scrollWidth,
      client: root.clientWidth,
    }));
    expect(width.scroll).toBeLessThanOrEqual(width.client);
    expect(width.client).toBe(375);
    await shot(page, 'phone');
    expect(problems).toEqual([]);
  }, 60_000);

  it('a plain user sees the refusal, and no admin data', async () => {
    const page = await newPage('pat', 375, 700);
    await signIn(page, plain);
    const refusal = page.locator('#refusal');
    await refusal.waitFor(WAIT);
    expect(await refusal.textContent()).toContain('Admins only');
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
    expect(await page.locator('#charts figure').count()).toBe(0);
    await shot(page, 'refused');
    expect(problems).toEqual([]);
  }, 60_000);
});
