import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../harness/service-process.ts';
import { actors } from '../support/actors.ts';
import { startE2eEnv, type E2eEnv } from '../support/e2e-env.ts';
import { waitUntilSettled } from '../support/settle.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');
const A = '+14165554000';
const B = '+14165554100';

const available = existsSync(CHROMIUM);
if (!available) {
  const reason = `[browser] dashboard browser test skipped: ${CHROMIUM} is not installed (apt-get install chromium)`;
  if (process.env.LEADLINE_REQUIRE_BROWSER) throw new Error(reason);
  console.log(reason);
}

/**
 * The owner's dashboard in a real browser (issue 6): Debian's Chromium driven by
 * playwright-core. Log in with a key, watch a missed call arrive without reloading, and
 * check another tenant's key sees none of it. Screenshots go to `test-artifacts/`.
 */
describe.skipIf(!available)('dashboard in Chromium', () => {
  let e: E2eEnv;
  let browser: Browser;
  let keyA = '';
  let keyB = '';
  const { missedCall, sms, createKey } = actors(() => e);
  const customer = '+16475559001';

  beforeAll(async () => {
    e = await startE2eEnv({ LOG_BACKEND: 'postgres' });
    await e.addTenant({
      name: 'Browser Plumbing',
      number: A,
      owner: '+14165554099',
      extra: ['--alert-debounce', '0'],
    });
    await e.addTenant({ name: 'Other Browser Drains', number: B, owner: '+14165554199' });
    keyA = await createKey('--role', 'tenant', '--tenant', A);
    keyB = await createKey('--role', 'tenant', '--tenant', B);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await e?.close();
  });

  /** What the browser refused under a page's Content-Security-Policy, on any page opened. */
  const cspViolations: string[] = [];
  async function newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    return page;
  }

  async function signIn(key: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
    const page = await newPage(viewport);
    await page.goto(`${e.service.baseUrl}/dashboard`);
    await page.fill('#key', key);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-counter="missed"]');
    await page.waitForSelector('#live:has-text("live")');
    expect(page.url()).not.toContain(key);
    return page;
  }
  const counter = (page: Page, name: string) =>
    page.locator(`[data-counter="${name}"] b`).innerText();

  it('signs in, and a missed call shows up without reloading: counter, lead and its text', async () => {
    const page = await signIn(keyA);
    expect(await counter(page, 'missed')).toBe('0');
    expect(await page.locator('#business').innerText()).toBe('Browser Plumbing');
    let reloads = 0;
    page.on('load', () => reloads++);

    await missedCall(customer, A);
    await expect.poll(() => counter(page, 'missed'), { timeout: 15_000 }).toBe('1');
    await page.click(`tr[data-lead="${customer}"] button`);
    await page.waitForSelector('#timeline li[data-kind="text-out"]:has-text("missed-call-text")', {
      timeout: 15_000,
    });
    expect(await page.locator('#lead-title').innerText()).toContain('(647) 555-9001');

    // The customer answers the text: it appears in the open timeline, still without reloading.
    await sms(customer, A, 'Yes please, the basement drain is backing up');
    await page.waitForSelector('#timeline li[data-kind="text-in"]:has-text("basement drain")', {
      timeout: 15_000,
    });
    expect(reloads).toBe(0);
    await waitUntilSettled(e.databaseUrl);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-desktop.png'), fullPage: true });
    console.log(`[browser] screenshot: ${path.join(ARTIFACTS, 'dashboard-desktop.png')}`);
    await page.close();
  });

  it('a reply typed in the conversation reaches the lead once and shows with its delivery status', async () => {
    const page = await signIn(keyA);
    await page.click(`tr[data-lead="${customer}"] button`);
    await page.waitForSelector('#reply-form:not([hidden])');
    const before = e.twilio.to(customer).length;
    await page.fill('#reply', 'Hi, this is the owner. I can come at 4 pm.');
    // A double click sends once: one idempotency key per draft.
    await page.dblclick('#reply-form button[type=submit]');
    const reply = page.locator('#timeline li[data-kind="text-out"]:has-text("I can come at 4 pm")');
    await reply.waitFor({ timeout: 15_000 });
    // Shown as the sender recorded it: Twilio's status of the message (queued, sent, delivered).
    expect(await reply.innerText()).toMatch(/staff-reply \[(queued|sent|delivered)\]/);
    await waitUntilSettled(e.databaseUrl);
    const replies = e.twilio.to(customer).slice(before);
    expect(replies.map((m) => [m.from, m.body])).toEqual([
      [A, 'Hi, this is the owner. I can come at 4 pm.'],
    ]);
    expect(await page.locator('#reply').inputValue()).toBe('');
    await page.close();
  });

  it("works at phone width, and another tenant's key sees none of these leads", async () => {
    const phone = await signIn(keyA, { width: 390, height: 844 });
    await phone.waitForSelector(`tr[data-lead="${customer}"]`);
    await phone.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
    console.log(`[browser] screenshot: ${path.join(ARTIFACTS, 'dashboard-phone.png')}`);
    await phone.close();

    const other = await signIn(keyB);
    await other.waitForSelector('#leads td');
    expect(await other.locator('#leads').innerText()).toContain('No leads yet');
    expect(await other.content()).not.toContain('555-9001');
    expect(await counter(other, 'missed')).toBe('0');
    await other.close();
  });

  it('shows what the assistant learned of each lead, and filters to those outside the service area', async () => {
    const update = await runCli(['tenants', 'update', A, '--service-area', 'M4C'], e.env);
    expect(update.code, update.stderr).toBe(0);
    const [inside, outside] = ['+16475559011', '+16475559012'];
    await sms(inside, A, 'leaking tap at 12 Oak St M4C 1A1, no rush. This is Dana');
    await sms(outside, A, 'leaking tap at 9 Pine Cres Ottawa K1S 3B4');
    await waitUntilSettled(e.databaseUrl);
    const page = await signIn(keyA);
    await page.waitForSelector(`tr[data-lead="${outside}"] [data-summary]`);
    expect(await page.locator(`tr[data-lead="${inside}"] [data-summary]`).innerText()).toBe(
      'Leaking tap · 12 Oak St M4C · FLEXIBLE · Dana',
    );
    await page.check('#outside-area');
    await expect
      .poll(() =>
        page
          .locator('#leads tr[data-lead]')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-lead'))),
      )
      .toEqual([outside]);
    expect(await page.locator(`tr[data-lead="${outside}"]`).innerText()).toContain('OUTSIDE AREA');
    await page.close();
  });

  it('a wrong key is refused and sends the user back to sign in', async () => {
    const page = await newPage();
    await page.goto(`${e.service.baseUrl}/dashboard`);
    await page.fill('#key', 'll_0123456789ab_notavalidkeynotavalidkeynotavalid');
    await page.click('button[type=submit]');
    await page.waitForSelector('#login-error:has-text("not valid")');
    expect(await page.locator('#app').isHidden()).toBe(true);
    await page.close();
  });

  it('every page runs under its Content-Security-Policy: docs and unsubscribe page render, nothing is refused', async () => {
    const docs = await newPage();
    await docs.goto(`${e.service.baseUrl}/api/v1/docs/`);
    await docs.waitForSelector('.swagger-ui .info .title:has-text("Leadline API")');
    await docs.close();
    const unsubscribe = await newPage();
    await unsubscribe.goto(`${e.service.baseUrl}/u/AAAAAAAAAAAAAAAAAAAAAA`);
    expect(await unsubscribe.locator('h1').innerText()).toBe('Link not recognised');
    // Its own style applies (by hash): the page is a narrow column, not the browser's default.
    expect(await unsubscribe.evaluate('getComputedStyle(document.body).maxWidth')).not.toBe('none');
    await unsubscribe.close();
    expect(cspViolations).toEqual([]);
  });
});
