import type { Browser } from 'playwright-core';
import { invoicePaid, startTestApp, type TestApp } from '../support/harness';
import { computedStyle, DESKTOP, launchBrowser, newPage, ssoUrl } from './browser';

const MOUNT = '/loyalty';

/** A host app mounts the plugin at /loyalty; a real browser follows every link and cookie from there. */
describe('Rewards tab and demo panel mounted at /loyalty (Chromium)', () => {
  let app: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startTestApp({ panel: 'demo', realTime: true, mountAt: MOUNT }), launchBrowser()]);
    for (let k = 1; k <= 22; k++) {
      await app.send(invoicePaid({ client: { id: 'e2e-mount', name: 'Mo Unt' }, invoice: { id: `ML-${k}`, total: `${k}.00`, items: [] } })).expect(200);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('signs in, styles the page, pages the history and keeps the cookie under the mount', async () => {
    const { context, page } = await newPage(browser, { viewport: DESKTOP });
    try {
      const stylesheets: Array<{ url: string; status: number }> = [];
      page.on('response', (r) => {
        if (r.url().endsWith('.css')) stylesheets.push({ url: r.url(), status: r.status() });
      });
      const res = await page.goto(await ssoUrl(app, 'e2e-mount', 'en'));
      expect(res?.status()).toBe(200);
      expect(new URL(page.url()).pathname).toBe(`${MOUNT}/client/rewards`);
      await expect(page.getByText('Hello, Mo Unt').isVisible()).resolves.toBe(true);
      expect(stylesheets).toEqual([{ url: `${app.origin}${MOUNT}/assets/rewards.css`, status: 200 }]);
      // The stylesheet applied: the page background is the sheet's, not the browser's white.
      await expect(computedStyle(page.locator('body'), 'background-color')).resolves.toBe('rgb(246, 248, 251)');

      const session = (await context.cookies(`${app.baseUrl}/client/rewards`)).find((c) => c.name === 'hr_session');
      expect(session).toMatchObject({ path: MOUNT, httpOnly: true, sameSite: 'Lax' });
      // The browser sends it under the mount only, not to the host's other pages.
      for (const outside of [`${app.origin}/`, `${app.origin}/client/rewards`]) {
        expect((await context.cookies(outside)).find((c) => c.name === 'hr_session')).toBeUndefined();
      }

      await Promise.all([page.waitForURL(/before=\d+$/), page.getByTestId('older').click()]);
      expect(new URL(page.url()).pathname).toBe(`${MOUNT}/client/rewards`);
      await expect(page.getByTestId('history').locator('tbody tr').count()).resolves.toBe(2);
      await Promise.all([page.waitForURL((u) => u.pathname === `${MOUNT}/client/rewards` && u.search === ''), page.getByTestId('newest').click()]);
      // Both history tables: the 10 shown and the rest of the page behind "Show more".
      await expect(page.locator('tr[data-entry]').count()).resolves.toBe(20);
    } finally {
      await context.close();
    }
  });

  it('the demo panel opens a tab and fires events under the mount', async () => {
    const { context, page } = await newPage(browser, { viewport: DESKTOP });
    try {
      await page.goto(`${app.baseUrl}/`);
      await Promise.all([page.waitForURL((u) => u.pathname === `${MOUNT}/client/rewards`), page.locator('a[data-client="demo-1"]').click()]);
      await expect(page.locator('h1').innerText()).resolves.toBe('Your rewards');

      await page.goto(`${app.baseUrl}/`);
      const form = page.getByTestId('fire-form');
      await form.locator('select[name="client"]').selectOption('demo-1');
      await form.locator('input[name="amount"]').fill('10.00');
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${app.baseUrl}/demo/events` && r.request().method() === 'POST'),
        form.locator('button[type="submit"]').click(),
      ]);
      expect(response.status()).toBe(200);
      await expect(page.getByTestId('result-status').innerText()).resolves.toBe('200');
    } finally {
      await context.close();
    }
  });

  it('a bad link gets the error page, styled from the mount', async () => {
    const { context, page } = await newPage(browser, { viewport: DESKTOP });
    try {
      const res = await page.goto(`${app.baseUrl}/sso?token=not-a-token`);
      expect(res?.status()).toBe(401);
      await expect(page.getByTestId('error-message').innerText()).resolves.toBe('This sign-in link is not valid.');
      await expect(computedStyle(page.locator('body'), 'background-color')).resolves.toBe('rgb(246, 248, 251)');
    } finally {
      await context.close();
    }
  });
});
