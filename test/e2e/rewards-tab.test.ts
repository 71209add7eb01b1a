import type { Browser } from 'playwright-core';
import { invoicePaid, startTestApp, type TestApp } from '../support/harness';
import {
  DESKTOP,
  computedStyle,
  PHONE,
  expectNoHorizontalOverflow,
  expectWithinViewport,
  launchBrowser,
  newPage,
  screenshot,
  ssoUrl,
} from './browser';

/** Three paid invoices for one client, oldest first: 120 + 59 + 1 500 = 1 679 points at the default 1 point per USD. */
const CLIENT = 'e2e-ann';
const INVOICES = [
  { id: 'INV-1001', total: '120.00', items: [{ id: 'l1', type: 'renewal', amount: '120.00' }], points: 120 },
  { id: 'INV-1002', total: '59.40', items: [{ id: 'l2', type: 'new', amount: '59.40' }], points: 59 },
  // A long customer-visible reason, to see that it wraps on a phone rather than widening the page.
  {
    id: 'INV-2026-11-DEDICATED-XL-0003',
    total: '1500.00',
    items: [{ id: 'l3', type: 'renewal', amount: '1500.00' }],
    points: 1500,
  },
];
const TOTAL = INVOICES.reduce((s, i) => s + i.points, 0);

describe('Rewards tab via SSO (Chromium)', () => {
  let app: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startTestApp(), launchBrowser()]);
    for (const inv of INVOICES) {
      const res = await app
        .send(invoicePaid({ client: { id: CLIENT, name: 'Ann Lee' }, invoice: { id: inv.id, total: inv.total, items: inv.items } }))
        .expect(200);
      expect(res.body).toMatchObject({ outcome: 'applied', points: inv.points });
    }
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it.each([
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ] as const)('lands on /client/rewards with the awarded balance and history (%s)', async (name, viewport) => {
    const { context, page } = await newPage(browser, { viewport });
    try {
      const response = await page.goto(await ssoUrl(app, CLIENT, 'en'));
      expect(response?.status()).toBe(200);
      expect(new URL(page.url()).pathname).toBe('/client/rewards');
      await expect(page.locator('h1').innerText()).resolves.toBe('Your rewards');
      await expect(page.getByText('Hello, Ann Lee').isVisible()).resolves.toBe(true);

      // The numbers the webhooks earned, formatted for English.
      expect(TOTAL).toBe(1679);
      await expect(page.getByTestId('balance').innerText()).resolves.toBe('1,679');
      await expect(page.getByTestId('lifetime').innerText()).resolves.toBe('1,679');
      await expect(page.getByTestId('expiring').innerText()).resolves.toBe('0');
      expect(await app.plugin.db.repos.members.findByPanelClientId(CLIENT)).toMatchObject({
        pointsAvailable: TOTAL,
        pointsLifetime: TOTAL,
      });

      // Newest first: one row per invoice, with its reason, delta and running balance.
      const rows = page.getByTestId('history').locator('tbody tr');
      await expect(rows.count()).resolves.toBe(INVOICES.length);
      const reasons = await rows.locator('td.reason').allInnerTexts();
      expect(reasons).toEqual([
        'Invoice #INV-2026-11-DEDICATED-XL-0003 paid ($1,500.00)',
        'Invoice #INV-1002 paid ($59.40)',
        'Invoice #INV-1001 paid ($120.00)',
      ]);
      await expect(rows.locator('td.delta').allInnerTexts()).resolves.toEqual(['+1,500', '+59', '+120']);
      await expect(rows.locator('td:nth-child(4)').allInnerTexts()).resolves.toEqual(['1,679', '179', '120']);
      // Three entries fit on one page: no pager links.
      await expect(page.getByTestId('older').count()).resolves.toBe(0);
      await expect(page.getByTestId('newest').count()).resolves.toBe(0);
      const howToEarn = await page.getByTestId('how-to-earn').locator('li').allInnerTexts();
      expect(howToEarn[0]).toBe('1 point for every $1.00 you pay');

      await screenshot(page, `rewards-en-${name}-${viewport.width}`);

      // Layout: nothing scrolls sideways and the key parts sit inside the viewport.
      await expectNoHorizontalOverflow(page);
      for (const testId of ['balance', 'lifetime', 'expiring', 'history', 'how-to-earn']) {
        await expectWithinViewport(page, page.getByTestId(testId));
      }
      await expectWithinViewport(page, page.locator('h1'));
      for (const cell of await rows.locator('td').all()) await expectWithinViewport(page, cell);

      if (viewport === PHONE) {
        // Cards stack one per row; history rows become labelled cards (the header row is moved off-screen).
        const [b, l] = [await page.getByTestId('balance').boundingBox(), await page.getByTestId('lifetime').boundingBox()];
        expect(l!.y).toBeGreaterThan(b!.y);
        await expect(computedStyle(rows.first().locator('td.reason'), 'content', '::before')).resolves.toBe('"What for"');
        // The label keeps its width and stays on one line; the value wraps instead ("Wha/t for" was the bug).
        await expect(computedStyle(rows.first().locator('td.reason'), 'flex-shrink', '::before')).resolves.toBe('0');
        await expect(computedStyle(rows.first().locator('td.reason'), 'white-space', '::before')).resolves.toBe('nowrap');
        // Body text stays readable on a phone (no zoomed-out desktop layout).
        const fontSize = await computedStyle(page.locator('td.reason'), 'font-size');
        expect(parseFloat(fontSize)).toBeGreaterThanOrEqual(14);
      } else {
        // Desktop: the three cards share one row and the history is a real table with a header.
        const ys = await Promise.all(['balance', 'lifetime', 'expiring'].map(async (id) => (await page.getByTestId(id).boundingBox())!.y));
        expect(new Set(ys.map(Math.round)).size).toBe(1);
        await expect(page.getByTestId('history').locator('thead th').allInnerTexts()).resolves.toEqual([
          'Date',
          'What for',
          'Points',
          'Balance',
        ]);
        await expect(page.getByTestId('history').locator('thead').isVisible()).resolves.toBe(true);
      }
    } finally {
      await context.close();
    }
  });

  it('keeps the session cookie away from page scripts, and a used SSO link gives the 401 error page', async () => {
    const { context, page } = await newPage(browser, { viewport: DESKTOP });
    try {
      const url = await ssoUrl(app, CLIENT, 'en');
      const first = await page.goto(url);
      expect(first?.status()).toBe(200);
      expect(new URL(page.url()).pathname).toBe('/client/rewards');

      const cookies = await context.cookies(app.baseUrl);
      const session = cookies.find((c) => c.name === 'hr_session');
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
      expect(session!.value.length).toBeGreaterThan(20);
      const visibleToScripts = await page.evaluate<string>('document.cookie');
      expect(visibleToScripts).not.toContain('hr_session');
      expect(visibleToScripts).not.toContain(session!.value);

      // The same link again: the jti is spent, even though this browser is signed in.
      const second = await page.goto(url);
      expect(second?.status()).toBe(401);
      expect(new URL(page.url()).pathname).toBe('/sso');
      await expect(page.locator('.error').getAttribute('data-status')).resolves.toBe('401');
      // An ordinary way to arrive signed out: the page says what to do, not that something broke.
      await expect(page.locator('h1').innerText()).resolves.toBe('Please open Rewards again');
      await expect(page.getByTestId('error-message').innerText()).resolves.toBe('This sign-in link has already been used.');
      await expect(page.getByTestId('balance').count()).resolves.toBe(0);
      await screenshot(page, 'sso-reused-401-desktop');

      // A fresh browser with the spent link gets no session at all.
      const { context: other, page: otherPage } = await newPage(browser, { viewport: PHONE });
      try {
        const again = await otherPage.goto(url);
        expect(again?.status()).toBe(401);
        expect((await other.cookies(app.baseUrl)).find((c) => c.name === 'hr_session')).toBeUndefined();
        await expectNoHorizontalOverflow(otherPage);
        await screenshot(otherPage, 'sso-reused-401-phone');
        const tab = await otherPage.goto(`${app.baseUrl}/client/rewards`);
        expect(tab?.status()).toBe(401);
        await expect(otherPage.getByTestId('error-message').innerText()).resolves.toBe(
          'Please open Rewards from your client area to sign in.',
        );
      } finally {
        await other.close();
      }
    } finally {
      await context.close();
    }
  });
});
