import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/harness';
import { DESKTOP, PHONE, expectNoHorizontalOverflow, expectWithinViewport, launchBrowser, newPage, screenshot, waitUntilOnScreen } from './browser';

/** The demo-1 row's balance cell in the clients table (4th column). */
async function tableBalance(page: Page, clientId: string): Promise<string> {
  const row = page.getByTestId('demo-clients').locator('tbody tr').filter({ has: page.locator(`a[data-client="${clientId}"]`) });
  return (await row.locator('td.num').innerText()).trim();
}

describe('Demo panel loop (Chromium)', () => {
  let app: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startTestApp({ panel: 'demo', realTime: true }), launchBrowser()]);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it.each([
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const)('opens the Rewards tab, fires invoice.paid 10.00 for demo-1 and sees the balance rise by 10 (%s)', async (name, viewport) => {
    const { context, page } = await newPage(browser, { viewport });
    try {
      const home = await page.goto(`${app.baseUrl}/`);
      expect(home?.status()).toBe(200);
      await expect(page.locator('h1').innerText()).resolves.toBe('hosting-rewards demo panel');
      await expect(page.getByTestId('demo-clients').locator('tbody tr').count()).resolves.toBe(5);
      const before = Number((await tableBalance(page, 'demo-1')).replace(/,/g, ''));
      expect(Number.isInteger(before)).toBe(true);
      await screenshot(page, `demo-home-${name}-${viewport.width}`);
      await expectNoHorizontalOverflow(page);
      await expectWithinViewport(page, page.locator('a[data-client="demo-1"]'));
      await expectWithinViewport(page, page.getByTestId('fire-form').locator('button[type="submit"]'));

      // "Open Rewards tab" for demo-1: SSO link → /client/rewards, showing the same balance.
      await Promise.all([page.waitForURL((u) => u.pathname === '/client/rewards'), page.locator('a[data-client="demo-1"]').click()]);
      await expect(page.locator('h1').innerText()).resolves.toBe('Your rewards');
      await expect(page.getByText('Hello, Ann Lee').isVisible()).resolves.toBe(true);
      await expect(page.getByTestId('balance').innerText()).resolves.toBe(before.toLocaleString('en-US'));
      // The seeded invoice is the oldest entry (earlier tests in this file may have added newer ones).
      await expect(page.getByTestId('history').locator('td.reason').last().innerText()).resolves.toBe(
        'Invoice #seed-1 paid ($59.40)',
      );

      // Back to the panel (a fresh load: see the Back-button test below) and fire an event.
      await page.goto(`${app.baseUrl}/`);
      const form = page.getByTestId('fire-form');
      await form.locator('select[name="client"]').selectOption('demo-1');
      await form.locator('select[name="type"]').selectOption('invoice.paid');
      await form.locator('input[name="amount"]').fill('10.00');
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${app.baseUrl}/demo/events` && r.request().method() === 'POST'),
        form.locator('button[type="submit"]').click(),
      ]);
      expect(response.status()).toBe(200);
      await page.waitForLoadState();

      // The answer is scrolled into view (on a phone it sits ~2 500 px below the top of the page).
      expect(new URL(page.url()).hash).toBe('#result');
      await waitUntilOnScreen(page, '[data-testid="result-status"]');
      const result = page.getByTestId('result');
      await expect(result.isVisible()).resolves.toBe(true);
      await expect(page.getByTestId('result-status').innerText()).resolves.toBe('200');
      const body = await page.getByTestId('result-body').innerText();
      expect(body).toContain('"outcome": "applied"');
      expect(JSON.parse(body)).toMatchObject({ outcome: 'applied', points: 10 });
      await screenshot(page, `demo-result-${name}-${viewport.width}`);
      await screenshot(page, `demo-result-${name}-${viewport.width}-viewport`, { fullPage: false });
      await expectNoHorizontalOverflow(page);
      await expectWithinViewport(page, page.getByTestId('result-body'));

      // The table on the result page, a fresh load of the panel and the Rewards tab all show +10.
      const after = (before + 10).toLocaleString('en-US');
      await expect(tableBalance(page, 'demo-1')).resolves.toBe(after);
      await page.goto(`${app.baseUrl}/`);
      await expect(tableBalance(page, 'demo-1')).resolves.toBe(after);
      await Promise.all([page.waitForURL((u) => u.pathname === '/client/rewards'), page.locator('a[data-client="demo-1"]').click()]);
      await expect(page.getByTestId('balance').innerText()).resolves.toBe(after);
      await expect(page.getByTestId('history').locator('td.reason').first().innerText()).resolves.toMatch(
        /^Invoice #demo-[0-9a-f]{8} paid \(\$10\.00\)$/,
      );
      await expect(page.getByTestId('history').locator('td.delta').first().innerText()).resolves.toBe('+10');
    } finally {
      await context.close();
    }
  });

  /**
   * The demo form's CSRF token is bound to the anonymous browser id only. It once followed
   * "the session if any", so after a Rewards tab set hr_session the page restored on Back
   * (from the browser cache, without asking the server) posted a stale token and got a 403.
   */
  it('lets the fire-event form be sent after Back from the Rewards tab', async () => {
    const { context, page } = await newPage(browser, { viewport: DESKTOP });
    try {
      await page.goto(`${app.baseUrl}/`);
      await Promise.all([page.waitForURL((u) => u.pathname === '/client/rewards'), page.locator('a[data-client="demo-1"]').click()]);
      await page.goBack();
      expect(new URL(page.url()).pathname).toBe('/');
      const form = page.getByTestId('fire-form');
      await form.locator('input[name="amount"]').fill('10.00');
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${app.baseUrl}/demo/events` && r.request().method() === 'POST'),
        form.locator('button[type="submit"]').click(),
      ]);
      expect(response.status()).toBe(200);
    } finally {
      await context.close();
    }
  });
});
