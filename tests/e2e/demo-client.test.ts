import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_VAPID, type TestApp } from '../helpers/app.js';
import { startPushStandIn, type PushStandIn } from '../push/push-standin.js';
import { ARTIFACTS, browserSkip, buildClientForBrowser, launchChromium } from './browser.js';

/**
 * The demo client end to end: two users in two browser contexts of Debian's chromium (never a
 * downloaded browser), driven with playwright-core. `.ci/run` installs chromium with apt-get.
 * Screenshots go to test-artifacts/e2e/. Runs in the `pg` project only: the client does not care
 * which database is behind the API, and a browser run costs seconds.
 */

const WAIT = { timeout: 10_000 };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

// Without chromium: `apt-get install chromium` (or CHROMIUM_PATH).
const skip = browserSkip;

describe.skipIf(skip.skip)(skip.title('demo client in a browser (e2e)'), () => {
  let app: TestApp;
  let browser: Browser;
  let baseUrl: string;
  let pushService: PushStandIn | undefined;
  const problems: string[] = [];

  beforeAll(async () => {
    buildClientForBrowser();
    // File URLs are absolute, made from PUBLIC_URL: move the app from the helper's random port to
    // the one PUBLIC_URL names, so the pictures load from the page's own origin.
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    pushService = await startPushStandIn(() => TEST_VAPID.publicKey);
    app = await startTestApp({
      env: {
        PRESENCE_GRACE_MS: '200',
        PUBLIC_URL: baseUrl,
        // Pushes go to the local stand-in push service (below), and jobs run here.
        PUSH_ALLOW_PRIVATE_ENDPOINTS: 'true',
        JOBS_WORKER: 'true',
        JOBS_POLL_MS: '50',
      },
    });
    await new Promise<void>((resolve) => app.server.close(() => resolve()));
    await new Promise<void>((resolve) => app.server.listen(port, '127.0.0.1', resolve));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await pushService?.close();
  });

  async function openAs(name: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`${name}: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text()))
        problems.push(`${name}: ${msg.text()}`);
    });
    const response = await page.goto(baseUrl);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("connect-src 'self' ws: wss:");

    await page.click('#auth-switch');
    await page.fill('#auth-username', name);
    await page.fill('#auth-email', `${name}@example.com`);
    await page.fill('#auth-password', 'correct horse battery');
    await page.click('#auth-submit');
    await page.locator('#room-title', { hasText: '# general' }).waitFor(WAIT);
    // Connected: the socket's status dot turns green.
    await page.locator('#conn.online').waitFor(WAIT);
    return page;
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

  it('shows a message, typing, a reaction and a picture live to the other user', async () => {
    const alice = await openAs('alice');
    const bob = await openAs('bob');

    // A message from Alice appears for Bob without a reload.
    await alice.fill('#text', 'Hello Bob, this is Alice');
    await alice.press('#text', 'Enter');
    const bobsCopy = bob.locator('#messages .msg', { hasText: 'Hello Bob, this is Alice' });
    await bobsCopy.waitFor(WAIT);
    await shot(bob, '01-bob-sees-message');

    // Alice types: Bob sees the indicator.
    await alice.locator('#text').pressSequentially('I am typing', { delay: 20 });
    await bob.locator('#typing', { hasText: 'alice is typing' }).waitFor(WAIT);
    await shot(bob, '02-bob-sees-typing');
    await alice.fill('#text', '');

    // Bob reacts: Alice sees the reaction.
    await bobsCopy.hover();
    await bobsCopy.locator('.actions button[title="React with 👍"]').click();
    const alicesCopy = alice.locator('#messages .msg', { hasText: 'Hello Bob, this is Alice' });
    await alicesCopy.locator('.reaction', { hasText: '👍 1' }).waitFor(WAIT);
    await shot(alice, '03-alice-sees-reaction');

    // Alice uploads a picture: Bob sees its preview, loaded.
    const picture = await sharp({
      create: { width: 64, height: 48, channels: 3, background: { r: 59, g: 110, b: 245 } },
    })
      .png()
      .toBuffer();
    await alice.setInputFiles('#file', {
      name: 'blue.png',
      mimeType: 'image/png',
      buffer: picture,
    });
    const preview = bob.locator('#messages .file.image img');
    await preview.waitFor(WAIT);
    // Loaded, not just in the page: the signed URL answered with a picture.
    await expect
      .poll(
        () =>
          preview.evaluate((el) => {
            const img = el as unknown as { complete: boolean; naturalWidth: number };
            return img.complete && img.naturalWidth > 0;
          }),
        WAIT,
      )
      .toBe(true);
    expect(await bob.locator('#messages .file.image figcaption').textContent()).toContain(
      'blue.png',
    );
    await shot(bob, '04-bob-sees-picture');
    await shot(alice, '05-alice-final');

    // Presence: each sees the other online.
    await bob
      .locator('#messages .msg', { hasText: 'Hello Bob' })
      .locator('.dot.online')
      .waitFor(WAIT);

    expect(problems).toEqual([]);
  }, 60_000);

  it('catches up on edits and deletions made while the page was offline', async () => {
    const carol = await openAs('carol');
    const dave = await openAs('dave');
    const said = (page: Page, text: string) => page.locator('#messages .msg', { hasText: text });
    for (const text of ['Edit me while Carol is away', 'Delete me while Carol is away']) {
      await dave.fill('#text', text);
      await dave.press('#text', 'Enter');
      await said(carol, text).waitFor(WAIT);
    }

    // Carol's network goes: her socket closes and cannot come back until she is online again.
    await carol.context().setOffline(true);
    for (const socket of app.io.sockets.sockets.values())
      if (socket.data.actor.username === 'carol') socket.conn.close();
    await carol.locator('#conn:not(.online)').waitFor(WAIT);

    // Meanwhile Dave edits one message and deletes the other.
    const edited = said(dave, 'Edit me while Carol is away');
    await edited.hover();
    await edited.locator('.actions button[title="Edit"]').click();
    await dave.fill('#text', 'Edited while Carol was away');
    await dave.press('#text', 'Enter');
    await said(dave, 'Edited while Carol was away').locator('.edited').waitFor(WAIT);
    dave.once('dialog', (dialog) => void dialog.accept());
    const deleted = said(dave, 'Delete me while Carol is away');
    await deleted.hover();
    await deleted.locator('.actions button[title="Delete"]').click();
    await deleted.waitFor({ state: 'detached', ...WAIT });

    // Back online: the socket reconnects and `sync` by rev brings both changes.
    await carol.context().setOffline(false);
    await carol.locator('#conn.online').waitFor(WAIT);
    await said(carol, 'Edited while Carol was away').locator('.edited').waitFor(WAIT);
    await said(carol, 'Delete me while Carol is away').waitFor({ state: 'detached', ...WAIT });
    expect(await said(carol, 'Edit me while Carol is away').count()).toBe(0);
    await shot(carol, '06-carol-caught-up-after-reconnect');

    expect(problems).toEqual([]);
  }, 60_000);

  it("subscribes to push with the user's permission, gets a push when away, and shows a mention badge", async () => {
    const standIn = pushService!.browser();
    const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    await context.grantPermissions(['notifications'], { origin: baseUrl });
    // A real browser's PushManager asks its vendor's push service (not reachable here) for an
    // endpoint: it answers with one on the local stand-in push service instead, whose keys the test
    // holds. Everything after that is real: the client registers it with the API, and the server
    // encrypts and signs the push that the stand-in decrypts and checks.
    await context.exposeFunction('standInSubscription', () => standIn.subscription);
    await context.addInitScript(() => {
      const w = globalThis as unknown as {
        standInSubscription: () => Promise<{ endpoint: string; keys: Record<string, string> }>;
        PushManager?: { prototype: Record<string, unknown> };
      };
      if (!w.PushManager) return;
      // Like a browser, it remembers the subscription across visits.
      const subscription = async () => {
        const s = await w.standInSubscription();
        return { endpoint: s.endpoint, toJSON: () => s };
      };
      w.PushManager.prototype.getSubscription = async () =>
        localStorage.getItem('stand-in-subscribed') ? subscription() : null;
      w.PushManager.prototype.subscribe = async () => {
        localStorage.setItem('stand-in-subscribed', '1');
        return subscription();
      };
    });
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`erin: ${err.message}`));
    await page.goto(baseUrl);
    await page.click('#auth-switch');
    await page.fill('#auth-username', 'erin');
    await page.fill('#auth-email', 'erin@example.com');
    await page.fill('#auth-password', 'correct horse battery');
    await page.click('#auth-submit');
    await page.locator('#conn.online').waitFor(WAIT);
    await page.click('#push-enable');
    await page.locator('#push-enable[data-subscribed="true"]').waitFor(WAIT);
    // The notification-level menu of the open room shows the default of a room: mentions.
    expect(await page.locator('#notify-level').inputValue()).toBe('mentions');
    await shot(page, '07-erin-notifications-on');

    // Erin goes away (her only tab closes); Frank mentions her in general.
    await page.close();
    const frank = await app.http
      .post('/api/auth/register')
      .send({ username: 'frank', email: 'frank@example.com', password: 'correct horse battery' });
    expect(frank.status).toBe(201);
    // Away once presence says so (the grace period after her last socket closed).
    const auth = { Authorization: `Bearer ${frank.body.data.accessToken}` };
    const away = Date.now() + 10_000;
    for (;;) {
      const online = await app.http.get('/api/users/online').set(auth);
      if (!(online.body.data as { username: string }[]).some((u) => u.username === 'erin')) break;
      if (Date.now() > away) throw new Error('erin still online');
      await new Promise((r) => setTimeout(r, 50));
    }
    // In a room of their own (not the one her page opens), so the badge stays unread.
    const erin = await app.http.get('/api/users/search?q=erin').set(auth);
    const launch = await app.http
      .post('/api/rooms')
      .set(auth)
      .send({ name: 'Launch', type: 'private' });
    expect(launch.status).toBe(201);
    const added = await app.http
      .post(`/api/rooms/${launch.body.data.id}/members`)
      .set(auth)
      .send({ userId: erin.body.data[0].id });
    expect(added.status).toBe(201);
    const sent = await app.http
      .post('/api/messages')
      .set(auth)
      .send({ room: launch.body.data.id, content: '@erin are you around?' });
    expect(sent.status).toBe(201);
    const deadline = Date.now() + 10_000;
    while (standIn.received.length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(standIn.rejected).toEqual([]);
    expect(standIn.received).toEqual([
      expect.objectContaining({
        type: 'message',
        messageId: sent.body.data.id,
        sender: { id: frank.body.data.user.id, username: 'frank' },
        preview: '@erin are you around?',
      }),
    ]);

    // Back: the sidebar shows the unread mention, and that notifications are on.
    const again = await context.newPage();
    await again.goto(baseUrl);
    const room = again.locator('#rooms li.room', { hasText: 'Launch' });
    await room.locator('.badge.mention', { hasText: '@1' }).waitFor(WAIT);
    await again.locator('#push-enable[data-subscribed="true"]').waitFor(WAIT);
    await shot(again, '08-erin-mention-badge');
    await context.close();
    expect(problems).toEqual([]);
  }, 60_000);
});
