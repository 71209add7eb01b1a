import { LANGUAGES } from '../../plugin/i18n';
import { SESSION_COOKIE } from '../../plugin/web/session';
import { englishLeft } from '../support/english';
import { expectBalancesConsistent, invoicePaid, invoiceRefunded, startTestApp, type TestApp } from '../support/harness';

/** Each language's customer gets the whole tab in their language: no English left but names. */

const CLIENTS: Record<string, { locale: string; currency: string; name: string; amount: string }> = {
  en: { locale: 'en', currency: 'USD', name: 'Ann Lee', amount: '620.00' },
  ru: { locale: 'ru', currency: 'RUB', name: 'Иван Петров', amount: '60000.00' },
  tr: { locale: 'tr', currency: 'TRY', name: 'Ayşe Yılmaz', amount: '80000.00' },
  vi: { locale: 'vi', currency: 'VND', name: 'Nguyễn Văn Minh', amount: '250000' },
  zh: { locale: 'zh-CN', currency: 'CNY', name: '李华', amount: '4200.00' },
};

describe('the Rewards tab in each language', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      config: { panelOrigin: 'https://billing.example.com' },
      program: {
        refund_window_days: 0,
        earn_rates: { USD: '1', EUR: '1', RUB: '0.01', TRY: '0.03', CNY: '0.15' },
        tier_qualifying_rates: { RUB: '0.011', TRY: '0.029', CNY: '0.14' },
      },
    });
    for (const [language, c] of Object.entries(CLIENTS)) {
      const client = { id: `loc-${language}`, name: c.name, locale: c.locale, currency: c.currency };
      const digits = c.currency === 'VND' ? '0' : '0.00';
      await app.send(invoicePaid({ client, invoice: { id: `L-${language}-1`, currency: c.currency, total: c.amount, paid_from_credit: digits, items: [] } })).expect(200);
      await app.send(invoicePaid({ client, invoice: { id: `L-${language}-2`, currency: c.currency, total: c.amount, paid_from_credit: digits, items: [] } })).expect(200);
      await app.send(invoiceRefunded(`L-${language}-2`, c.amount, { client, invoice: { currency: c.currency, total: c.amount, paid_from_credit: digits } })).expect(200);
    }
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  async function page(language: string): Promise<string> {
    const token = await app.plugin.services.auth.mintSsoToken(`loc-${language}`);
    const sso = await app.http.get(`/sso?token=${encodeURIComponent(token)}`).expect(303);
    const cookie = (sso.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith(SESSION_COOKIE))?.split(';')[0] ?? '';
    return (await app.http.get('/client/rewards').set('Cookie', cookie).expect(200)).text;
  }

  it('knows English when it sees it', async () => {
    const en = await page('en');
    expect(englishLeft(en)).toEqual(expect.arrayContaining(['Your', 'rewards', 'Points', 'history']));
  });

  it.each(LANGUAGES.filter((l) => l !== 'en'))('%s: no English left, every section filled', async (language) => {
    const html = await page(language);
    expect(html).toMatch(new RegExp(`<html lang="${language === 'zh' ? 'zh-Hans' : language}" dir="ltr">`));
    // VND earns nothing in this program, so the Vietnamese history is the empty state that says why.
    for (const id of ['balance', 'how-to-earn', 'tier-ladder', language === 'vi' ? 'history-empty' : 'history', 'back-to-panel', 'history-filter']) expect(html).toContain(`data-testid="${id}"`);
    expect(englishLeft(html)).toEqual([]);
  });
});
