import type { Browser } from 'playwright-core';
import { invoicePaid, startTestApp, type TestApp } from '../support/harness';
import { DESKTOP, PHONE, computedStyle, expectNoHorizontalOverflow, expectWithinViewport, launchBrowser, newPage, screenshot, ssoUrl } from './browser';

/** One paid invoice of `amount` in `currency`, a single purchase line. */
function paid(clientId: string, invoiceId: string, amount: string, client: Record<string, unknown> = {}, currency = 'USD') {
  return invoicePaid({
    client: { id: clientId, ...client },
    invoice: { id: invoiceId, currency, total: amount, items: [{ id: `${invoiceId}-1`, type: 'renewal', amount }] },
  });
}

describe('Rewards tab: Russian and history pages (Chromium)', () => {
  let app: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startTestApp(), launchBrowser()]);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('shows a ru client Russian text and ru-formatted numbers', async () => {
    await app.plugin.services.program.update({ earn_rates: { USD: '1', RUB: '0.01' } });
    // 450 000.00 RUB at 0.01 point per rouble = 4 500 points.
    const res = await app
      .send(paid('e2e-ivan', 'R-7', '450000.00', { name: 'Иван Петров', locale: 'ru', currency: 'RUB' }, 'RUB'))
      .expect(200);
    expect(res.body).toMatchObject({ outcome: 'applied', points: 4500 });

    // What Intl (and so the server) uses to group thousands in Russian: a no-break space, so a
    // number never splits across lines. (ICU gives U+00A0 for ru; U+202F is French's.)
    const group = new Intl.NumberFormat('ru').formatToParts(4500).find((p) => p.type === 'group')?.value;
    expect(group).toMatch(/^[\u00a0\u202f]$/);
    const n = (s: string) => s.replace(/ /g, group!);

    for (const viewport of [PHONE, DESKTOP]) {
      const { context, page } = await newPage(browser, { viewport, locale: 'en-US' });
      try {
        // The browser asks for English; the member's panel locale wins.
        await page.goto(await ssoUrl(app, 'e2e-ivan', 'ru'));
        expect(new URL(page.url()).pathname).toBe('/client/rewards');
        await expect(page.locator('html').getAttribute('lang')).resolves.toBe('ru');
        await expect(page.title()).resolves.toBe('Бонусы');
        await expect(page.locator('h1').innerText()).resolves.toBe('Ваши бонусы');
        await expect(page.getByText('Здравствуйте, Иван Петров').isVisible()).resolves.toBe(true);
        await expect(page.getByRole('heading', { name: 'Доступно баллов' }).isVisible()).resolves.toBe(true);
        await expect(page.getByRole('heading', { name: 'История баллов' }).isVisible()).resolves.toBe(true);

        // textContent, not innerText: the exact characters the server sent.
        await expect(page.getByTestId('balance').textContent()).resolves.toBe(n('4 500'));
        await expect(page.getByTestId('lifetime').textContent()).resolves.toBe(n('4 500'));
        const row = page.getByTestId('history').locator('tbody tr');
        await expect(row.count()).resolves.toBe(1);
        await expect(row.locator('td.delta').textContent()).resolves.toBe(n('+4 500'));
        const rub = new Intl.NumberFormat('ru', { style: 'currency', currency: 'RUB' }).format(450000);
        expect(rub.replace(/[\u00a0\u202f]/g, ' ')).toBe('450 000,00 ₽');
        await expect(row.locator('td.reason').textContent()).resolves.toBe(`Оплачен счёт №R-7 (${rub})`);
        // The date is Russian too ("23 нояб. 2026 г.").
        await expect(row.locator('td').first().textContent()).resolves.toMatch(/нояб/);
        const earn = await page.getByTestId('how-to-earn').locator('li').allTextContents();
        // The wording of the rate line is still being tuned ("1 балл за каждые 100,00 ₽ оплаты"); pin only its shape.
        expect(earn[0]).toMatch(/^[\d,\u00a0\u202f]+ балл\S* за каждые [\d\u00a0\u202f]+,\d\d\u00a0₽ оплаты$/);
        expect(earn[1]).toBe('Баллы по каждому счёту округляются вниз.');
        expect(earn[3]).toBe('Баллы сгорают через 12 месяцев после начисления.');

        await screenshot(page, `rewards-ru-${viewport.width}`);
        await expectNoHorizontalOverflow(page);
        for (const id of ['balance', 'lifetime', 'history']) await expectWithinViewport(page, page.getByTestId(id));
        if (viewport === PHONE) {
          // The narrow layout's row labels are translated as well.
          await expect(computedStyle(row.locator('td.reason'), 'content', '::before')).resolves.toBe('"За что"');
        }
      } finally {
        await context.close();
      }
    }
  });

  it('pages the history 20 rows at a time: Older shows the rest, Newest goes back', async () => {
    // 25 invoices; invoice P-k earns k points, so each row's points name its invoice.
    for (let k = 1; k <= 25; k++) {
      const res = await app.send(paid('e2e-pager', `P-${String(k).padStart(2, '0')}`, `${k}.00`)).expect(200);
      expect(res.body).toMatchObject({ outcome: 'applied', points: k });
    }
    const total = (25 * 26) / 2; // 325
    const member = await app.plugin.db.repos.members.findByPanelClientId('e2e-pager');
    expect(await app.plugin.db.repos.ledger.countForMember(member!.id)).toBe(25);

    const { context, page } = await newPage(browser, { viewport: PHONE });
    try {
      await page.goto(await ssoUrl(app, 'e2e-pager', 'en'));
      // Both history tables: the 10 shown and the rest of the page behind "Show more".
      const rows = page.locator('tr[data-entry]');
      const invoices = async () =>
        (await rows.locator('td.reason').allTextContents()).map((r) => /^Invoice #(P-\d\d) paid/.exec(r)?.[1]);
      const ids = async () => (await rows.evaluateAll((trs) => trs.map((tr) => Number((tr as unknown as { dataset: { entry: string } }).dataset.entry))));
      const range = (from: number, to: number) =>
        Array.from({ length: from - to + 1 }, (_, i) => `P-${String(from - i).padStart(2, '0')}`);

      // Page 1: the 20 newest, newest first; only "Older" is offered.
      await expect(rows.count()).resolves.toBe(20);
      expect(await invoices()).toEqual(range(25, 6));
      await expect(rows.first().locator('td:nth-child(4)').innerText()).resolves.toBe(String(total));
      await expect(page.getByTestId('newest').count()).resolves.toBe(0);
      const older = page.getByTestId('older');
      await expectWithinViewport(page, older);
      // A tappable target on a phone (WCAG 2.2 target size minimum: 24 × 24 CSS px).
      const olderBox = (await older.boundingBox())!;
      expect(olderBox.height).toBeGreaterThanOrEqual(24);
      expect(olderBox.width).toBeGreaterThanOrEqual(24);
      const firstPageIds = await ids();
      await expect(older.getAttribute('href')).resolves.toBe(`/client/rewards?before=${firstPageIds[19]}`);
      await screenshot(page, 'history-page1-360');

      // Page 2: the remaining 5; no further "Older", and "Newest" leads back.
      await Promise.all([page.waitForURL(/before=\d+$/), older.click()]);
      await expect(rows.count()).resolves.toBe(5);
      expect(await invoices()).toEqual(range(5, 1));
      const secondPageIds = await ids();
      expect(Math.max(...secondPageIds)).toBeLessThan(Math.min(...firstPageIds));
      await expect(rows.locator('td.delta').allInnerTexts()).resolves.toEqual(['+5', '+4', '+3', '+2', '+1']);
      await expect(rows.locator('td:nth-child(4)').allInnerTexts()).resolves.toEqual(['15', '10', '6', '3', '1']);
      await expect(page.getByTestId('older').count()).resolves.toBe(0);
      // The cards still show the whole balance, not the page's.
      await expect(page.getByTestId('balance').innerText()).resolves.toBe(String(total));
      const newest = page.getByTestId('newest');
      await expectWithinViewport(page, newest);
      await expectNoHorizontalOverflow(page);
      await screenshot(page, 'history-page2-360');

      await Promise.all([page.waitForURL((u) => u.pathname === '/client/rewards' && u.search === ''), newest.click()]);
      await expect(rows.count()).resolves.toBe(20);
      expect(await ids()).toEqual(firstPageIds);
      await expect(page.getByTestId('newest').count()).resolves.toBe(0);
      await expect(page.getByTestId('older').count()).resolves.toBe(1);
    } finally {
      await context.close();
    }
  });
});
