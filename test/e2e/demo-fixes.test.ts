import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/harness';
import { DESKTOP, PHONE, expectNoHorizontalOverflow, expectWithinViewport, launchBrowser, newPage, screenshot, waitUntilOnScreen } from './browser';

/** The demo panel defects a new user hit (issue 11), in a real browser. */
describe('Demo panel fixes (Chromium)', () => {
  let app: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startTestApp({ panel: 'demo', realTime: true }), launchBrowser()]);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function send(page: Page, fields: { client: string; type: string; amount?: string; invoice?: string }): Promise<number> {
    const form = page.getByTestId('fire-form');
    await form.locator('select[name="client"]').selectOption(fields.client);
    await form.locator('select[name="type"]').selectOption(fields.type);
    if (fields.amount !== undefined) await form.locator('input[name="amount"]').fill(fields.amount);
    if (fields.invoice !== undefined) await form.locator('input[name="invoice"]').fill(fields.invoice);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${app.baseUrl}/demo/events` && r.request().method() === 'POST'),
      form.locator('button[type="submit"]').click(),
    ]);
    await page.waitForLoadState();
    return response.status();
  }

  it('keeps the form after a send, so sending again repeats it: the second is a duplicate', async () => {
    const { context, page } = await newPage(browser, { viewport: DESKTOP });
    try {
      await page.goto(`${app.baseUrl}/`);
      expect(await send(page, { client: 'demo-5', type: 'invoice.paid', amount: '100', invoice: 'b-1' })).toBe(200);
      const form = page.getByTestId('fire-form');
      await expect(form.locator('select[name="client"]').inputValue()).resolves.toBe('demo-5');
      await expect(form.locator('select[name="type"]').inputValue()).resolves.toBe('invoice.paid');
      await expect(form.locator('input[name="amount"]').inputValue()).resolves.toBe('100');
      await expect(form.locator('input[name="invoice"]').inputValue()).resolves.toBe('b-1');
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${app.baseUrl}/demo/events` && r.request().method() === 'POST'),
        form.locator('button[type="submit"]').click(),
      ]);
      expect(response.status()).toBe(200);
      await page.waitForLoadState();
      expect(JSON.parse(await page.getByTestId('result-body').innerText())).toMatchObject({ outcome: 'duplicate' });
    } finally {
      await context.close();
    }
  });

  it.each([
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const)('shows a bad field and a stale form token beside the form, not as an error page (%s)', async (name, viewport) => {
    const { context, page } = await newPage(browser, { viewport });
    try {
      await page.goto(`${app.baseUrl}/`);
      expect(await send(page, { client: 'demo-1', type: 'invoice.paid', invoice: 'not valid!' })).toBe(422);
      await expect(page.locator('h1').innerText()).resolves.toBe('hosting-rewards demo panel');
      const error = page.getByTestId('form-error');
      await expectWithinViewport(page, error);
      // Scrolled to, like an answer: on a phone the form sits far below the top.
      await waitUntilOnScreen(page, '[data-testid="form-error"]');
      await expect(error.innerText()).resolves.toContain('invoice: must be 1–32');
      await expect(page.getByTestId('fire-form').locator('input[name="invoice"]').inputValue()).resolves.toBe('not valid!');
      await screenshot(page, `demo-form-error-${name}-${viewport.width}`, { fullPage: false });

      // A stale token (the page kept open while its cookie changed): the form answers beside itself.
      await page.getByTestId('fire-form').locator('input[name="_csrf"]').evaluate((el) => el.setAttribute('value', 'stale'));
      expect(await send(page, { client: 'demo-1', type: 'invoice.paid', amount: '1.00', invoice: '' })).toBe(403);
      await expect(page.getByTestId('form-error').innerText()).resolves.toMatch(/form|reload/i);
      await expectWithinViewport(page, page.getByTestId('form-error'));
      await expectNoHorizontalOverflow(page);
      // The page's fresh token works at once.
      expect(await send(page, { client: 'demo-1', type: 'invoice.paid', amount: '1.00' })).toBe(200);
    } finally {
      await context.close();
    }
  });

  it('at 360 px the actions table keeps every cell’s text inside the card', async () => {
    const { context, page } = await newPage(browser, { viewport: PHONE });
    try {
      await page.goto(`${app.baseUrl}/`);
      // demo-3 is Gold after the seed: a renewal invoice gets a tier discount line from the panel.
      expect(await send(page, { client: 'demo-3', type: 'invoice.created', amount: '900.00', invoice: `narrow-${Date.now()}` })).toBe(200);
      const cells = page.getByTestId('panel-actions').locator('tbody td');
      expect(await cells.count()).toBeGreaterThan(0);
      await screenshot(page, 'demo-actions-phone-360');
      await expectNoHorizontalOverflow(page);
      const clipped = await cells.evaluateAll((tds) =>
        tds
          .map((td) => td as unknown as { scrollWidth: number; clientWidth: number; textContent: string | null })
          .filter((td) => td.scrollWidth > td.clientWidth + 1)
          .map((td) => td.textContent),
      );
      expect(clipped).toEqual([]);
      for (const code of await page.getByTestId('panel-actions').locator('tbody code').all()) await expectWithinViewport(page, code);
    } finally {
      await context.close();
    }
  });
});
