import type { Browser } from 'playwright-core';
import { invoicePaid, startTestApp, type TestApp } from '../support/harness';
import { DESKTOP, PHONE, expectNoHorizontalOverflow, expectTextInside, launchBrowser, newPage, screenshot } from './browser';

const PASSWORD = 'owner password for e2e';

/** The admin area in Chromium, on the demo panel: sign-in, a member's page, adjustments, credit, the audit log. */
describe('the admin area (Chromium)', () => {
  let app: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startTestApp({ panel: 'demo', realTime: true, config: { adminPassword: PASSWORD } }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const member = () => app.plugin.db.repos.members.findByPanelClientId('demo-1');

  it('the owner signs in with the password, finds a member, adjusts points and sees the audit row', async () => {
    const { context, page } = await newPage(browser, { viewport: DESKTOP });
    try {
      await page.goto(`${app.baseUrl}/admin/members`);
      expect(await page.getByTestId('admin-back').isVisible()).toBe(true);
      await page.goto(`${app.baseUrl}/admin/login`);
      await page.locator('input[name="password"]').fill('not the password');
      await page.getByTestId('login').click();
      expect(await page.getByTestId('login-error').innerText()).toContain('Wrong password');
      await page.locator('input[name="password"]').fill(PASSWORD);
      // Signed in, the area opens on the dashboard; Members is in the bar.
      await Promise.all([page.waitForURL((u) => u.pathname === '/admin'), page.getByTestId('login').click()]);
      await Promise.all([page.waitForURL((u) => u.pathname === '/admin/members'), page.getByTestId('admin-bar').getByRole('link', { name: 'Members' }).click()]);
      expect(await page.getByTestId('admin-role').innerText()).toBe('owner');

      const before = (await member())?.pointsAvailable ?? 0;
      await page.getByTestId('member-query').fill('demo-1');
      await page.getByTestId('member-search-submit').click();
      await Promise.all([page.waitForURL(/\/admin\/members\/\d+$/), page.getByTestId('member-row').first().getByRole('link').click()]);
      expect(await page.getByTestId('available').innerText()).toBe(before.toLocaleString('en-US'));
      await page.getByTestId('adjust-points').fill('50');
      await page.getByTestId('adjust-reason').fill('Goodwill after the e2e outage');
      // A double click sends the same form (the same one-time key) twice: one adjustment.
      // The second submit aborts the first one's navigation, which a navigation wait would
      // report as an error: wait for the page it ends on instead (a locator waits across navigations).
      await page.getByTestId('adjust-submit').dblclick();
      await page.getByTestId('notice').waitFor();
      expect(page.url()).toMatch(/notice=adjusted/);
      expect(await page.getByTestId('available').innerText()).toBe((before + 50).toLocaleString('en-US'));
      expect(await page.getByTestId('ledger-row').first().getAttribute('data-kind')).toBe('adjust');
      expect((await member())?.pointsAvailable).toBe(before + 50);
      await expectNoHorizontalOverflow(page);
      await screenshot(page, 'admin-member-desktop');

      await page.getByRole('link', { name: 'Audit log' }).click();
      const row = page.getByTestId('audit-row').filter({ hasText: 'member.adjust' }).first();
      expect(await row.innerText()).toContain('Goodwill after the e2e outage');
      expect(await row.innerText()).toContain('owner');
      await screenshot(page, 'admin-audit-desktop');

      // Signing out is the bar's button (a form with its CSRF token): back to the sign-in page.
      await Promise.all([page.waitForURL((u) => u.pathname === '/admin/login'), page.getByTestId('sign-out').click()]);
      expect((await page.goto(`${app.baseUrl}/admin/members`))?.status()).toBe(401);
    } finally {
      await context.close();
    }
  });

  it('a billing admin from the demo panel applies credit and sees the demo panel deliver it', async () => {
    const { context, page } = await newPage(browser, { viewport: PHONE });
    try {
      await page.goto(`${app.baseUrl}/`);
      await Promise.all([page.waitForURL((u) => u.pathname === '/admin'), page.locator('a[data-admin-role="billing"]').click()]);
      await Promise.all([page.waitForURL((u) => u.pathname === '/admin/members'), page.getByTestId('admin-bar').getByRole('link', { name: 'Members' }).click()]);
      expect(await page.getByTestId('admin-role').innerText()).toBe('billing');
      await page.getByTestId('member-query').fill('demo-1');
      await page.getByTestId('member-search-submit').click();
      await Promise.all([page.waitForURL(/\/admin\/members\/\d+$/), page.getByTestId('member-row').first().getByRole('link').click()]);
      await page.getByTestId('credit-amount').fill('5.00');
      await page.getByTestId('credit-currency').fill('USD');
      await page.getByTestId('credit-reason').fill('Sorry for the e2e outage');
      await Promise.all([page.waitForURL(/notice=credited/), page.getByTestId('credit-submit').click()]);
      const action = page.getByTestId('panel-action').filter({ hasText: 'Sorry for the e2e outage' });
      expect(await action.getAttribute('data-state')).toBe('pending');
      await expectNoHorizontalOverflow(page);

      await app.plugin.jobs.dispatchOutbox();
      await page.reload();
      expect(await page.getByTestId('panel-action').filter({ hasText: 'Sorry for the e2e outage' }).getAttribute('data-state')).toBe('sent');
      await screenshot(page, 'admin-credit-phone');

      // The demo panel lists what it received.
      await page.goto(`${app.baseUrl}/`);
      const received = page.locator('tr[data-action-key^="admin-credit:"]');
      expect(await received.count()).toBe(1);
      expect(await received.innerText()).toContain('Sorry for the e2e outage');
    } finally {
      await context.close();
    }
  });

  it('a Russian admin on a 360 px phone: the members list and a member with a long name, email and id fit the screen', async () => {
    const client = {
      id: `client-${'7'.repeat(40)}`,
      name: 'Константин Константинопольский-Преображенский',
      email: 'konstantin.konstantinopolsky-preobrazhensky@very-long-hosting-domain-example.com',
      locale: 'ru',
    };
    await app.send(invoicePaid({ client, invoice: { id: 'e2e-long-ru-1', total: '120.00', items: [{ type: 'renewal', amount: '120.00' }] } })).expect(200);
    const { context, page } = await newPage(browser, { viewport: PHONE, locale: 'ru' });
    try {
      await page.goto(`${app.baseUrl}/demo/admin/billing`);
      await page.goto(`${app.baseUrl}/admin/members`);
      await expect(page.locator('h1').innerText()).resolves.toBe('Участники');
      await expectNoHorizontalOverflow(page);
      // Seven columns do not fit 360 px: each member is a labelled card.
      const row = page.getByTestId('member-row').filter({ hasText: client.email });
      await expect(row.locator('td').first().getAttribute('data-label')).resolves.toBe('Имя');
      for (const cell of await row.locator('td').all()) await expectTextInside(cell);
      await screenshot(page, 'admin-members-ru-phone');

      await Promise.all([page.waitForURL(/\/admin\/members\/\d+$/), row.getByRole('link').click()]);
      await expect(page.getByTestId('member-heading').innerText()).resolves.toContain('Константин');
      await expectNoHorizontalOverflow(page);
      await expectTextInside(page.locator('.page-head'));
      await screenshot(page, 'admin-member-ru-phone');
    } finally {
      await context.close();
    }
  });

  it('a billing admin cancels a pending redemption and the points come back', async () => {
    await app.send(invoicePaid({ client: { id: 'e2e-cancel', name: 'Cara Cancel' }, invoice: { id: 'e2e-cancel-1', total: '800.00', items: [{ type: 'renewal', amount: '800.00' }] } })).expect(200);
    const start = (await app.plugin.db.repos.members.findByPanelClientId('e2e-cancel'))?.pointsAvailable ?? 0;
    const reward = (await app.plugin.db.repos.rewards.list()).find((r) => r.costPoints === 500);
    const result = await app.plugin.services.redemptions.redeem('e2e-cancel', { rewardId: reward?.id ?? 0, idempotencyKey: 'e2e-cancel-key-0001' });
    expect(result.ok).toBe(true);
    const { context, page } = await newPage(browser, { viewport: DESKTOP });
    try {
      await page.goto(`${app.baseUrl}/demo/admin/billing`);
      await page.getByRole('link', { name: 'Redemptions' }).click();
      await page.locator('select[name="state"]').selectOption('pending');
      await page.locator('input[name="member"]').fill('e2e-cancel');
      await page.getByTestId('redemption-filter').getByRole('button').click();
      const row = page.getByTestId('redemption-row');
      expect(await row.count()).toBe(1);
      await Promise.all([page.waitForURL(/notice=cancelled/), row.getByTestId('cancel-redemption').click()]);
      expect(await page.getByTestId('notice').isVisible()).toBe(true);
      expect((await app.plugin.db.repos.members.findByPanelClientId('e2e-cancel'))?.pointsAvailable).toBe(start);
      await page.locator('select[name="state"]').selectOption('cancelled');
      await page.locator('input[name="member"]').fill('e2e-cancel');
      await page.getByTestId('redemption-filter').getByRole('button').click();
      expect(await page.getByTestId('redemption-row').getAttribute('data-state')).toBe('cancelled');
      await screenshot(page, 'admin-redemptions-desktop');
    } finally {
      await context.close();
    }
  });

  it('refuses a form whose CSRF token was tampered with, and changes nothing', async () => {
    const { context, page } = await newPage(browser, { viewport: DESKTOP });
    try {
      await page.goto(`${app.baseUrl}/demo/admin/owner`);
      const m = await member();
      await page.goto(`${app.baseUrl}/admin/members/${m?.id}`);
      const before = (await member())?.pointsAvailable;
      await page.getByTestId('adjust-points').fill('999');
      await page.getByTestId('adjust-reason').fill('should never land');
      await page.getByTestId('adjust-form').locator('input[name="_csrf"]').evaluate((input) => {
        (input as unknown as { value: string }).value = 'forged';
      });
      const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByTestId('adjust-submit').click()]);
      expect(response.status()).toBe(403);
      expect((await member())?.pointsAvailable).toBe(before);
      // A viewer sees no forms at all.
      await page.goto(`${app.baseUrl}/demo/admin/viewer`);
      await page.goto(`${app.baseUrl}/admin/members/${m?.id}`);
      expect(await page.getByTestId('adjust-form').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
