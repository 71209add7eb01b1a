import type { Browser } from 'playwright-core';
import type { PanelCapabilities } from '../../plugin/domain/panel-actions';
import type { PanelActionCall, PanelApi, PanelResult } from '../../plugin/panels/panel-api';
import { invoicePaid, startTestApp, type TestApp } from '../support/harness';
import { DESKTOP, PHONE, expectNoHorizontalOverflow, launchBrowser, newPage, screenshot, ssoUrl } from './browser';

class CreditPanel implements PanelApi {
  readonly name = 'credit';
  readonly capabilities: PanelCapabilities = { invoiceDiscount: true, clientTier: true, credit: true, email: false, promoCode: true };
  async perform(_call: PanelActionCall): Promise<PanelResult> {
    return { reference: 'CR-77' };
  }
}

/** A client redeems points for account credit and sees it applied, on a phone and a desktop. */
describe('redeeming in the Rewards tab (Chromium)', () => {
  let app: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startTestApp({ panelApi: new CreditPanel() }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it.each([
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ])('redeems 5.00 of credit and sees it applied (%s)', async (label, viewport) => {
    const clientId = `e2e-redeem-${label}`;
    await app.send(invoicePaid({ client: { id: clientId, name: 'Ann Lee' }, invoice: { id: `R-${label}`, total: '800.00', items: [{ type: 'renewal', amount: '800.00' }] } })).expect(200);
    const { context, page } = await newPage(browser, { viewport });
    try {
      await page.goto(await ssoUrl(app, clientId));
      await page.getByTestId('redeem-link').click();
      await expectNoHorizontalOverflow(page);
      await page.getByRole('link', { name: /Choose.*5\.00 account credit/ }).click();
      await expectNoHorizontalOverflow(page);
      await page.getByTestId('confirm').click();
      await page.waitForURL(/\/client\/redemptions\/\d+$/);
      await expectNoHorizontalOverflow(page);
      expect(await page.getByTestId('redemption').getAttribute('data-state')).toBe('pending');
      await app.plugin.jobs.dispatchOutbox();
      await page.reload();
      expect(await page.getByTestId('redemption-state').textContent()).toBe('Added to your account');
      expect(await page.getByTestId('redemption-reference').textContent()).toContain('CR-77');
      await screenshot(page, `redeem-applied-${label}`);
      expect((await app.plugin.db.repos.members.findByPanelClientId(clientId))?.pointsAvailable).toBe(300);
    } finally {
      await context.close();
    }
  });

  it('redeems a promo code and sees the code once the panel made it (phone)', async () => {
    const promo = (await app.plugin.db.repos.rewards.list()).find((r) => r.kind === 'promo_code');
    if (!promo) throw new Error('no seeded promo reward');
    await app.plugin.db.repos.rewards.update(promo.id, { active: true }, app.clock.now());
    await app.send(invoicePaid({ client: { id: 'e2e-promo' }, invoice: { id: 'R-promo', total: '1100.00', items: [{ type: 'renewal', amount: '1100.00' }] } })).expect(200);
    const { context, page } = await newPage(browser, { viewport: PHONE });
    try {
      await page.goto(await ssoUrl(app, 'e2e-promo'));
      await page.getByTestId('redeem-link').click();
      await page.getByRole('link', { name: /Choose.*10% off an order/ }).click();
      await page.getByTestId('confirm').click();
      await page.waitForURL(/\/client\/redemptions\/\d+$/);
      await app.plugin.jobs.dispatchOutbox();
      await page.reload();
      expect(await page.getByTestId('redemption-code').textContent()).toMatch(/^Your code: RW-[A-Z2-9]{10}$/);
      expect(await page.getByTestId('redemption-state').textContent()).toBe('Ready to use');
      // The seeded code: 10% off for 90 days from the redemption (2026-11-23 12:00 UTC), on the program's clock.
      expect(await page.getByTestId('redemption-code-terms').textContent()).toBe('This code gives 10% off, valid until Feb 21, 2027, 12:00 PM UTC.');
      await expectNoHorizontalOverflow(page);
      await screenshot(page, 'redeem-promo-phone');
      const code = (await page.getByTestId('redemption-code').textContent()) ?? '';

      // From the tab, the list of all their redemptions has the code and leads back to its page.
      await page.getByRole('link', { name: 'Back to your rewards' }).click();
      await page.getByTestId('redemptions-link').click();
      await page.waitForURL(/\/client\/redemptions$/);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your redeemed rewards');
      expect(await page.getByTestId('redemption-code').textContent()).toBe(code);
      await expectNoHorizontalOverflow(page);
      await screenshot(page, 'redemption-list-phone');
      await page.getByTestId('redemption-link').click();
      await page.waitForURL(/\/client\/redemptions\/\d+$/);
      expect(await page.getByTestId('redemption-code').textContent()).toBe(code);
    } finally {
      await context.close();
    }
  });
});
