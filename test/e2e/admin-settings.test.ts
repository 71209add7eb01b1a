import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/harness';
import { DESKTOP, launchBrowser, newPage, screenshot, ssoUrl } from './browser';

/** Fires invoice.paid of `amount` for demo-1 from the demo panel's form; returns the points it earned. */
async function fireInvoice(app: TestApp, page: Page, amount: string): Promise<number> {
  await page.goto(`${app.baseUrl}/`);
  const form = page.getByTestId('fire-form');
  await form.locator('select[name="client"]').selectOption('demo-1');
  await form.locator('select[name="type"]').selectOption('invoice.paid');
  await form.locator('input[name="amount"]').fill(amount);
  await Promise.all([page.waitForResponse((r) => r.url() === `${app.baseUrl}/demo/events` && r.request().method() === 'POST'), form.locator('button[type="submit"]').click()]);
  await page.waitForLoadState();
  const body = JSON.parse(await page.getByTestId('result-body').innerText()) as { outcome: string; points: number };
  expect(body.outcome).toBe('applied');
  return body.points;
}

describe('Admin program settings (Chromium)', () => {
  let app: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startTestApp({ panel: 'demo', realTime: true }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('an owner changes the earn rate in the settings form, and the next demo event earns by it', async () => {
    const { context, page } = await newPage(browser);
    try {
      expect(await fireInvoice(app, page, '10.00')).toBe(10);
      const member = await app.plugin.db.repos.members.findByPanelClientId('demo-1');
      const history = await app.plugin.db.repos.ledger.pageForMember(member?.id ?? 0, { limit: 100 });

      const token = await app.plugin.services.auth.mintAdminSsoToken({ id: '1', name: 'Olga Owner', role: 'owner' });
      await page.goto(`${app.baseUrl}/admin/sso?token=${encodeURIComponent(token)}`);
      await page.goto(`${app.baseUrl}/admin/settings`);
      const field = page.locator('#setting-earn_rates');
      const rates = JSON.parse(await field.inputValue()) as Record<string, string>;
      expect(rates.USD).toBe('1');
      await field.fill(JSON.stringify({ ...rates, USD: '3' }));
      await Promise.all([page.waitForURL(`${app.baseUrl}/admin/settings`), page.getByTestId('save-settings').click()]);
      const change = page.getByTestId('changes').locator('tr[data-target="setting:earn_rates"]');
      await expect(change.getByTestId('before').innerText()).resolves.toContain('"USD":"1"');
      await expect(change.getByTestId('after').innerText()).resolves.toContain('"USD":"3"');
      await screenshot(page, 'admin-settings-saved');

      // A bad value is refused beside its field, and nothing changes.
      await page.locator('#setting-refund_window_days').fill('999');
      await page.getByTestId('save-settings').click();
      await expect(page.getByTestId('error-refund_window_days').isVisible()).resolves.toBe(true);

      expect(await fireInvoice(app, page, '10.00')).toBe(30);
      // History is never rewritten: the earlier entries are as they were.
      const after = await app.plugin.db.repos.ledger.pageForMember(member?.id ?? 0, { limit: 100 });
      expect(after.entries.slice(1)).toEqual(history.entries);
      await page.goto(`${app.baseUrl}/admin/audit`);
      await expect(page.locator('body').innerText()).resolves.toContain('settings.update');
    } finally {
      await context.close();
    }
  });

  it('an owner adds a perk in the catalog editor, and the member sees it in their catalog', async () => {
    const { context, page } = await newPage(browser, { viewport: DESKTOP });
    try {
      const token = await app.plugin.services.auth.mintAdminSsoToken({ id: '1', name: 'Olga Owner', role: 'owner' });
      await page.goto(`${app.baseUrl}/admin/sso?token=${encodeURIComponent(token)}`);
      await page.goto(`${app.baseUrl}/admin/settings`);
      await Promise.all([page.waitForURL(`${app.baseUrl}/admin/settings/rewards/new`), page.getByTestId('new-reward').click()]);
      await page.locator('#reward-kind').selectOption('perk');
      await page.locator('#reward-name_en').fill('Extra backup retention');
      await page.locator('#reward-name_ru').fill('Дополнительное хранение бэкапов');
      await page.locator('#reward-cost_points').fill('250');
      await page.locator('#reward-value_USD').fill('3.00');
      await page.locator('#reward-active').selectOption('true');
      // A bad field first: refused beside it, the rest of what was typed kept.
      await page.locator('#reward-limit_per_month').fill('0');
      await page.getByTestId('save-reward').click();
      await expect(page.getByTestId('error-limit_per_month').isVisible()).resolves.toBe(true);
      await expect(page.locator('#reward-name_en').inputValue()).resolves.toBe('Extra backup retention');
      await page.locator('#reward-limit_per_month').fill('1');
      await page.getByTestId('save-reward').click();
      await expect(page.getByTestId('changes').isVisible()).resolves.toBe(true);
      await screenshot(page, 'admin-reward-created', { fullPage: true });
      const made = (await app.plugin.db.repos.rewards.list()).find((r) => r.names.en === 'Extra backup retention');
      expect(made).toMatchObject({ kind: 'perk', costPoints: 250, values: { USD: 300 }, limitPerMonth: 1, active: true, promo: null });

      await page.goto(await ssoUrl(app, 'demo-1'));
      await page.goto(`${app.baseUrl}/client/rewards/redeem`);
      await expect(page.locator('body').innerText()).resolves.toContain('Extra backup retention');
    } finally {
      await context.close();
    }
  });
});
