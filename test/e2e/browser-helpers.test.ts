import type { Browser } from 'playwright-core';
import { PHONE, expectNoHorizontalOverflow, launchBrowser, newPage } from './browser';

/** The layout checks themselves: a check that cannot fail proves nothing. */
describe('browser test helpers (Chromium)', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  const phonePage = (body: string, head = '<meta name="viewport" content="width=device-width, initial-scale=1">'): string =>
    `<!doctype html><html><head>${head}</head><body style="margin:0">${body}</body></html>`;

  it.each([
    // An unbreakable 64-character service id, as the rewards tab once showed it.
    ['an unbreakable word', `<p style="font:16px monospace">svc-${'x'.repeat(60)}</p>`],
    ['a fixed-width box', '<div style="width:675px;height:10px"></div>'],
  ])('expectNoHorizontalOverflow fails on a phone page wider than the screen (%s)', async (_name, body) => {
    const { context, page } = await newPage(browser, { viewport: PHONE });
    try {
      await page.setContent(phonePage(body));
      await expect(expectNoHorizontalOverflow(page)).rejects.toThrow();
    } finally {
      await context.close();
    }
  });

  it('expectNoHorizontalOverflow fails on a phone page laid out without a device-width viewport', async () => {
    const { context, page } = await newPage(browser, { viewport: PHONE });
    try {
      await page.setContent(phonePage('<p>Short text.</p>', ''));
      await expect(expectNoHorizontalOverflow(page)).rejects.toThrow();
    } finally {
      await context.close();
    }
  });

  it('expectNoHorizontalOverflow passes on a phone page that fits, even with a wrapped long word', async () => {
    const { context, page } = await newPage(browser, { viewport: PHONE });
    try {
      await page.setContent(phonePage(`<p style="overflow-wrap:anywhere">svc-${'x'.repeat(60)}</p>`));
      await expectNoHorizontalOverflow(page);
    } finally {
      await context.close();
    }
  });
});
