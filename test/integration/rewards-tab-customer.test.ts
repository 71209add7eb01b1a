import { DemoPanelApi } from '../../plugin/panels/demo/demo-panel-api';
import { SESSION_COOKIE } from '../../plugin/web/session';
import { adminAgent } from '../support/admin';
import { expectBalancesConsistent, invoicePaid, invoiceRefunded, startTestApp, type TestApp } from '../support/harness';

/** The Rewards tab as a customer reads it (issue 12): every section agrees, nothing raw, nothing dead. */

const PANEL = 'https://billing.example.com';

async function session(app: TestApp, clientId: string, options: { locale?: string; returnUrl?: string } = {}): Promise<string> {
  const token = await app.plugin.services.auth.mintSsoToken(clientId, options);
  const res = await app.http.get(`/sso?token=${encodeURIComponent(token)}`).expect(303);
  const raw = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith(SESSION_COOKIE));
  if (!raw) throw new Error('no session cookie');
  return raw.split(';')[0] ?? '';
}

/** What a person reads: tags dropped, entities decoded, spaces collapsed. */
function readable(html: string): string {
  return html
    .replace(/<head>[\s\S]*?<\/head>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/&#x3D;/g, '=')
    .replace(/[ \t\r\n]+/g, ' ')
    .trim();
}
const byTestId = (html: string, id: string) => new RegExp(`data-testid="${id}"[^>]*>([\\s\\S]*?)</`).exec(html)?.[1];
const count = (html: string, re: RegExp) => [...html.matchAll(re)].length;
const usd = (minor: number) => new Intl.NumberFormat('en', { style: 'currency', currency: 'USD' }).format(minor / 100);
const day = (d: Date) => new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' }).format(d);

describe('the Rewards tab, as a customer reads it', () => {
  let app: TestApp;
  let panel: DemoPanelApi;
  beforeAll(async () => {
    panel = new DemoPanelApi();
    app = await startTestApp({ config: { panelOrigin: PANEL }, panelApi: panel, program: { refund_window_days: 0, earn_rates: { USD: '1', EUR: '1', TRY: '0.03' } } });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const tab = async (clientId: string, options: { locale?: string; returnUrl?: string; query?: string; acceptLanguage?: string } = {}, status = 200) => {
    const req = app.http.get(`/client/rewards${options.query ?? ''}`).set('Cookie', await session(app, clientId, options));
    if (options.acceptLanguage) req.set('Accept-Language', options.acceptLanguage);
    return req.expect(status);
  };

  it('a currency that does not earn: every section says so, and none asks to spend in it', async () => {
    await app.send(invoicePaid({ client: { id: 'c-vnd', name: 'Minh', locale: 'en', currency: 'VND' }, invoice: { id: 'V-1', currency: 'VND', total: '250000', paid_from_credit: '0', items: [{ id: 'v', type: 'new', amount: '250000' }] } })).expect(200);
    const page = (await tab('c-vnd')).text;
    const text = readable(page);
    expect(text).toContain("Payments in VND don't earn points yet. Points are earned on payments in EUR, TRY, and USD.");
    expect(text).toContain("Payments in VND don't count towards tiers yet.");
    expect(byTestId(page, 'history-empty')).toBe("No points yet: payments in VND don&#x27;t earn points.");
    expect(text).not.toContain('when an invoice is paid');
    expect(byTestId(page, 'perks-note')).toBe('Point perks apply to payments in EUR, TRY, and USD.');
    expect(page).not.toContain('data-testid="tier-progress"');
    expect(page).not.toContain('data-testid="tier-next"');
    expect(text).not.toMatch(/Spend .* more/);
    expect(text).toContain("Payments in your currency don't earn points yet.");
    expect(text).not.toContain('Points are rounded down per invoice.');
  });

  it('the tier ladder: thresholds, multipliers, discounts, perks and the member’s place, with an accessible progress bar', async () => {
    await app.send(invoicePaid({ client: { id: 'c-silver', name: 'Sam' }, invoice: { id: 'S-1', total: '620.00', items: [{ id: 's', type: 'new', amount: '620.00' }] } })).expect(200);
    const page = (await tab('c-silver')).text;
    const ladder = byTestId(page, 'tier-ladder') ?? '';
    expect(ladder).toBeDefined();
    const rows = [...page.matchAll(/<tr( class="current" aria-current="true")?>\s*<th scope="row"[^>]*><span>([^<]*)/g)].map((m) => [m[2]?.trim(), Boolean(m[1])]);
    expect(rows).toEqual([
      ['Bronze', false],
      ['Silver', true],
      ['Gold', false],
      ['Platinum', false],
    ]);
    const text = readable(page);
    expect(text).toContain('Bronze You'.replace(' You', '')); // the ladder starts at Bronze
    expect(text).toMatch(/Bronze From your first invoice ×1 None Points on every paid invoice/);
    expect(text).toMatch(/Silver You \$500\.00 ×1\.1 2% 10% more points 2% off renewals/);
    expect(text).toMatch(/Platinum \$10,000\.00 ×1\.5 10% 50% more points 10% off renewals Priority support/);
    expect(page).toContain(`aria-label="${usd(62000)} of ${usd(200000)} to Gold"`);
    // Table headers are never empty.
    expect(page).not.toMatch(/<th[^>]*>\s*<\/th>/);
    // The referral code does nothing yet, so it isn't shown.
    expect(page).not.toContain('referral');
  });

  it('below the tier’s threshold: what keeps the tier, and by when (the grace date)', async () => {
    await app.send(invoicePaid({ client: { id: 'c-grace' }, invoice: { id: 'G-1', total: '600.00', items: [{ id: 'g', type: 'new', amount: '600.00' }] } })).expect(200);
    await app.send(invoiceRefunded('G-1', '200.00', { client: { id: 'c-grace' }, invoice: { total: '600.00' } })).expect(200);
    const member = await app.plugin.db.repos.members.findByPanelClientId('c-grace');
    expect(member?.tierBelowSince).not.toBeNull();
    const page = (await tab('c-grace')).text;
    const until = new Date((member?.tierBelowSince?.getTime() ?? 0) + 30 * 86_400_000);
    expect(byTestId(page, 'tier-keep')).toBe(`Spend ${usd(10000)} more to keep Silver (last day: ${day(until)})`);
  });

  it('tells what the tier discount saved this year, from the discounts the panel applied', async () => {
    const client = { id: 'c-saver', name: 'Sue' };
    await app.send(invoicePaid({ client, invoice: { id: 'SV-0', total: '2500.00', items: [{ id: 'a', type: 'new', amount: '2500.00' }] } })).expect(200);
    // A renewal invoice: Gold's 5% goes onto it as a discount line, then it is paid.
    const renewal = { id: 'SV-1', total: '200.00', items: [{ id: 'r', type: 'renewal', amount: '200.00' }] };
    await app.send({ ...invoicePaid({ client, invoice: renewal }), id: 'test:invoice:SV-1:created', type: 'invoice.created' }).expect(200);
    let page = (await tab('c-saver')).text;
    expect(page).not.toContain('data-testid="tier-saved"'); // not applied in the panel yet
    await app.plugin.jobs.dispatchOutbox();
    await app.send(invoicePaid({ client, invoice: renewal })).expect(200);
    page = (await tab('c-saver')).text;
    expect(byTestId(page, 'tier-saved')).toBe(`You saved ${usd(1000)} with your tier discount this year.`);
  });

  it('shows the next expiry dates with their points, and earn rates as people say them, rounding explained once', async () => {
    const now = app.clock.now().getTime();
    const at = (daysAgo: number) => new Date(now - daysAgo * 86_400_000).toISOString();
    await app.send(invoicePaid({ client: { id: 'c-exp', currency: 'TRY' }, occurred_at: at(300), invoice: { id: 'E-1', currency: 'TRY', total: '1000.00', items: [] } })).expect(200);
    await app.send(invoicePaid({ client: { id: 'c-exp', currency: 'TRY' }, occurred_at: at(200), invoice: { id: 'E-2', currency: 'TRY', total: '2000.00', items: [] } })).expect(200);
    const page = (await tab('c-exp')).text;
    const dates = [...(/data-testid="expiring-upcoming">([\s\S]*?)<\/ul>/.exec(page)?.[1] ?? '').matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);
    const expiry = (daysAgo: number) => {
      const d = new Date(now - daysAgo * 86_400_000);
      d.setUTCFullYear(d.getUTCFullYear() + 1);
      return day(d);
    };
    expect(dates).toEqual([`30 points, last day ${expiry(300)}`, `60 points, last day ${expiry(200)}`]);
    const text = readable(page);
    expect(text).toContain(`3 points for every ${new Intl.NumberFormat('en', { style: 'currency', currency: 'TRY' }).format(100)} you pay`);
    expect(count(text, /rounded down per invoice/g)).toBe(1);
  });

  it('names invoices by the number the panel sent, and keeps it on one line', async () => {
    await app.send(invoicePaid({ client: { id: 'c-num' }, invoice: { id: '98765', number: 'INV-2026-0042', total: '10.00', items: [] } })).expect(200);
    const page = (await tab('c-num')).text;
    expect(page).toContain('Invoice #<span class="ref">INV-2026-0042</span> paid');
    expect(page).not.toContain('98765');
  });

  describe('an invoice the panel numbered only on payment keeps its number in every later entry', () => {
    const reasons = (html: string) => [...html.matchAll(/class="reason">([\s\S]*?)<\/td>/g)].map((m) => (m[1] ?? '').replace(/<[^>]+>/g, ''));
    const adminLedger = (html: string) => [...html.matchAll(/data-testid="ledger-row"[^>]*>[\s\S]*?<\/tr>/g)].map((m) => readable(m[0]));
    /** The audit's repro: paid with a number, then refunded and charged back without one (event ids free of the invoice ids). */
    const repro = async (client: { id: string }, extra: { refundNumber?: string } = {}) => {
      const pay = (id: string, number: string, total: string) => ({ ...invoicePaid({ client, invoice: { id, number, total, items: [] } }), id: `repro:${client.id}:pay:${id}` });
      await app.send(pay('99317', 'INV-2026-0001', '600.00')).expect(200);
      await app.send(pay('99318', 'INV-2026-0002', '100.00')).expect(200);
      const refund = invoiceRefunded('99317', '10.00', { id: `repro:${client.id}:refund`, client, invoice: { total: '600.00', ...(extra.refundNumber && { number: extra.refundNumber }) } });
      await app.send(refund).expect(200);
      await app.send({ id: `repro:${client.id}:chargeback`, type: 'invoice.chargeback', occurred_at: '2026-11-22T10:15:00Z', client, invoice: { id: '99318', currency: 'USD', total: '100.00' } }).expect(200);
    };
    beforeAll(() => app.plugin.services.program.update({ chargeback_penalty_points: 5 }));
    afterAll(() => app.plugin.services.program.update({ chargeback_penalty_points: 0 }));

    it('the Rewards tab: refund, chargeback and penalty are named by the number the payment sent, never the internal id', async () => {
      await repro({ id: 'c-renum' });
      const page = (await tab('c-renum', { locale: 'en' })).text;
      expect(page).toContain('<html lang="en"');
      expect(reasons(page)).toEqual([
        'Chargeback penalty for invoice #INV-2026-0002',
        'Invoice #INV-2026-0002 charged back',
        'Invoice #INV-2026-0001 refunded',
        'Silver tier: ×1.1 points, invoice #INV-2026-0002',
        'Invoice #INV-2026-0002 paid ($100.00)',
        'Invoice #INV-2026-0001 paid ($600.00)',
      ]);
      expect(page).not.toMatch(/9931[78]/);
    });

    it('the admin member page names them the same way', async () => {
      await repro({ id: 'c-renum-admin' });
      const member = await app.plugin.db.repos.members.findByPanelClientId('c-renum-admin');
      const page = (await (await adminAgent(app, 'viewer')).get(`/admin/members/${member?.id ?? 0}`).expect(200)).text;
      const rows = adminLedger(page);
      expect(rows).toHaveLength(6);
      for (const [n, reason] of [
        [0, 'Chargeback penalty for invoice #INV-2026-0002'],
        [1, 'Invoice #INV-2026-0002 charged back'],
        [2, 'Invoice #INV-2026-0001 refunded'],
      ] as const) {
        expect(rows[n]).toContain(reason);
      }
      expect(rows.join('\n')).not.toMatch(/9931[78]/);
    });

    it('a refund that sends its own number is named by it, and that number names what follows', async () => {
      // The panel renumbered the invoice after its payment.
      await repro({ id: 'c-renum-own' }, { refundNumber: 'INV-2026-0101' });
      await app.send(invoiceRefunded('99317', '20.00', { id: 'repro:c-renum-own:refund:2', client: { id: 'c-renum-own' }, invoice: { total: '600.00' } })).expect(200);
      const page = (await tab('c-renum-own', { locale: 'en' })).text;
      const refunds = reasons(page).filter((r) => r.endsWith(' refunded'));
      // The latest number an event sent wins: the panel's current name for the invoice.
      expect(refunds).toEqual(['Invoice #INV-2026-0101 refunded', 'Invoice #INV-2026-0101 refunded']);
      expect(reasons(page)).toContain('Invoice #INV-2026-0001 paid ($600.00)');
      expect(page).not.toMatch(/9931[78]/);
    });
  });

  it('collapses the history to the last 10, the rest behind "Show more", without script', async () => {
    for (let n = 1; n <= 15; n++) await app.send(invoicePaid({ client: { id: 'c-many', currency: 'EUR' }, invoice: { id: `M-${n}`, currency: 'EUR', total: `${n}.00`, items: [] } })).expect(200);
    const page = (await tab('c-many')).text;
    const main = /data-testid="history">[\s\S]*?<\/table>/.exec(page)?.[0] ?? '';
    const rest = /data-testid="history-rest">[\s\S]*?<\/table>/.exec(page)?.[0] ?? '';
    expect(count(main, /data-entry=/g)).toBe(10);
    expect(count(rest, /data-entry=/g)).toBe(5);
    expect(page).toMatch(/<details class="more" data-testid="history-more">\s*<summary>Show more<\/summary>/);
    expect(page).not.toContain('<script');
    // "How you earn" and the balance cards come before the long history.
    expect(page.indexOf('data-testid="how-to-earn"')).toBeLessThan(page.indexOf('data-testid="history"'));
    expect(page.indexOf('data-testid="balance"')).toBeLessThan(page.indexOf('data-testid="history"'));
  });

  it('filters the history by kind and dates; a bad filter is a 400 naming the field', async () => {
    const client = { id: 'c-filter' };
    await app.send(invoicePaid({ client, occurred_at: '2026-10-05T10:00:00Z', invoice: { id: 'F-1', total: '50.00', items: [] } })).expect(200);
    await app.send(invoicePaid({ client, occurred_at: '2026-11-05T10:00:00Z', invoice: { id: 'F-2', total: '70.00', items: [] } })).expect(200);
    await app.send(invoiceRefunded('F-2', '70.00', { client, invoice: { total: '70.00' } })).expect(200);
    const reasons = (html: string) => [...html.matchAll(/class="reason">([\s\S]*?)<\/td>/g)].map((m) => (m[1] ?? '').replace(/<[^>]+>/g, ''));
    const all = await app.plugin.db.repos.ledger.pageForMember((await app.plugin.db.repos.members.findByPanelClientId('c-filter'))?.id ?? 0, { limit: 10 });
    expect(all.entries).toHaveLength(3);

    expect(reasons((await tab('c-filter', { query: '?kind=adjusted' })).text)).toEqual(['Invoice #F-2 refunded']);
    expect(reasons((await tab('c-filter', { query: '?kind=earned' })).text)).toEqual(['Invoice #F-2 paid ($70.00)', 'Invoice #F-1 paid ($50.00)']);
    const created = all.entries.map((e) => e.createdAt.toISOString().slice(0, 10));
    const first = created[created.length - 1] ?? '';
    const filtered = (await tab('c-filter', { query: `?kind=earned&from=${first}&to=${first}` })).text;
    expect(reasons(filtered).length).toBeGreaterThanOrEqual(1);
    expect(filtered).toContain('data-testid="filter-clear"');
    expect(filtered).toMatch(/<option value="earned" selected>Earned<\/option>/);
    const empty = (await tab('c-filter', { query: '?kind=expired' })).text;
    expect(byTestId(empty, 'history-empty')).toBe('Nothing in your history matches these filters.');

    for (const [query, field] of [
      ['?kind=bonus', 'kind'],
      ['?from=2026-02-30', 'from'],
      ['?to=yesterday', 'to'],
      ['?from=2026-11-10&to=2026-11-01', 'to'],
      ['?before=0', 'before'],
    ] as const) {
      const res = await tab('c-filter', { query }, 400);
      expect(byTestId(res.text, 'error-message')).toBe('This history filter is not valid. Clear the filters and try again.');
      expect(byTestId(res.text, 'error-detail')).toContain(field);
    }
  });

  it('leads back to the panel: its origin, or the return_url the SSO token names on it', async () => {
    await app.send(invoicePaid({ client: { id: 'c-back' } })).expect(200);
    expect(byTestId((await tab('c-back')).text, 'back-to-panel')).toBeDefined();
    expect((await tab('c-back')).text).toContain(`href="${PANEL}"`);
    const back = `${PANEL}/clientarea.php?action=services`;
    expect((await tab('c-back', { returnUrl: back })).text).toContain(`href="${back.replace(/=/g, '&#x3D;')}"`);
    // A return URL anywhere else is refused, so the tab can't link to a stranger's site.
    const tokens = async () => Number((await app.plugin.db.knex('loyalty_sso_tokens').count({ n: '*' }).first())?.n);
    const before = await tokens();
    const token = await app.plugin.services.auth.mintSsoToken('c-back', { returnUrl: 'https://evil.example.net/' });
    const refused = await app.http.get(`/sso?token=${encodeURIComponent(token)}`).expect(401);
    expect(byTestId(refused.text, 'error-detail')).toContain('return_url must be an absolute URL on PANEL_ORIGIN');
    // Refused, the token is not spent: nothing is written.
    expect(await tokens()).toBe(before);
  });

  it('an expired link says to open Rewards again from the client area, with the way back, in the browser’s language', async () => {
    const token = await app.plugin.services.auth.mintSsoToken('c-back', { ttlSeconds: 60 });
    app.clock.advance(10 * 60_000);
    const res = await app.http.get(`/sso?token=${encodeURIComponent(token)}`).set('Accept-Language', 'vi-VN,vi;q=0.9,en;q=0.5').expect(401);
    expect(res.text).toContain('<html lang="vi" dir="ltr">');
    expect(readable(res.text)).toMatch(/^Điểm thưởng Bỏ qua|Vui lòng mở lại Điểm thưởng/);
    expect(/<h1>([^<]*)<\/h1>/.exec(res.text)?.[1]).toBe('Vui lòng mở lại Điểm thưởng');
    expect(res.text).toContain(`href="${PANEL}"`);
    // The provider's technical sentence is folded away, in the page's language too.
    expect(res.text).toMatch(/<details class="detail">\s*<summary>[^<]+<\/summary>\s*<p class="muted" data-testid="error-detail">/);
    expect(byTestId(res.text, 'error-detail')).toMatch(/^Mã SSO đã hết hạn 540 giây trước; độ lệch đồng hồ cho phép là 60 giây/);
    const en = await app.http.get('/client/rewards').expect(401);
    expect(/<h1>([^<]*)<\/h1>/.exec(en.text)?.[1]).toBe('Please open Rewards again');
    expect(en.text).not.toContain('Something went wrong');
  });

  it('an error page has no paragraph left in English: the provider’s details are translated too', async () => {
    const paragraphs = (html: string) => [...html.matchAll(/<p\b[^>]*>([\s\S]*?)<\/p>/g)].map((m) => readable(m[1] ?? ''));
    const notFound = await app.http.get('/no-such-page').set('Accept', 'text/html').set('Accept-Language', 'ru').expect(404);
    expect(notFound.text).toContain('<html lang="ru" dir="ltr">');
    expect(notFound.text).not.toContain('lang="en"');
    const ru = paragraphs(notFound.text);
    expect(ru).toContain('По адресу GET /no-such-page ничего нет.');
    // Every paragraph is Russian (beyond names such as the path and the reference).
    expect(ru.filter((p) => !/[а-яё]/i.test(p))).toEqual([]);
    // The other languages say it in theirs, never the English sentence.
    const english = byTestId((await app.http.get('/no-such-page').set('Accept', 'text/html').expect(404)).text, 'error-detail');
    expect(english).toBe('There is nothing at GET /no-such-page.');
    for (const language of ['tr', 'vi', 'zh']) {
      const page = await app.http.get('/no-such-page').set('Accept', 'text/html').set('Accept-Language', language).expect(404);
      expect([language, byTestId(page.text, 'error-detail')]).toEqual([language, expect.stringContaining('/no-such-page')]);
      expect([language, byTestId(page.text, 'error-detail')]).not.toEqual([language, english]);
    }
    // A refused sign-in names what was wrong in the reader's language, with its numbers.
    const token = await app.plugin.services.auth.mintSsoToken('c-back', { ttlSeconds: 60 });
    app.clock.advance(10 * 60_000);
    const expired = await app.http.get(`/sso?token=${encodeURIComponent(token)}`).set('Accept-Language', 'ru').expect(401);
    expect(byTestId(expired.text, 'error-detail')).toBe(
      'Срок действия SSO-токена истёк 540 с назад; допустимое расхождение часов — 60 с (SSO_CLOCK_SKEW_SECONDS). Если ссылка была свежей, часы панели отстают от этого сервера примерно на 540 с.',
    );
    expect(paragraphs(expired.text).filter((p) => !/[а-яё]/i.test(p))).toEqual([]);
  });

  it('negotiates the language: the panel’s client locale, then Accept-Language, then the program default', async () => {
    await app.send(invoicePaid({ client: { id: 'c-pt', locale: 'pt-BR' } })).expect(200);
    const lang = (html: string) => /<html lang="([^"]+)" dir="(ltr|rtl)">/.exec(html)?.slice(1);
    expect(lang((await tab('c-pt', { acceptLanguage: 'de-DE, tr;q=0.8, en;q=0.5' })).text)).toEqual(['tr', 'ltr']);
    expect(lang((await tab('c-pt')).text)).toEqual(['en', 'ltr']);
    await app.plugin.services.program.update({ default_language: 'ru' });
    try {
      expect(lang((await tab('c-pt')).text)).toEqual(['ru', 'ltr']);
      expect(lang((await tab('c-pt', { acceptLanguage: 'zh-CN' })).text)).toEqual(['zh-Hans', 'ltr']);
      // The member's own panel locale wins over the browser.
      await app.send(invoicePaid({ client: { id: 'c-zh', locale: 'zh-CN' } })).expect(200);
      const zh = (await tab('c-zh', { acceptLanguage: 'en' })).text;
      expect(lang(zh)).toEqual(['zh-Hans', 'ltr']);
      expect(zh).toContain('黄金'); // tier names are program data per language
    } finally {
      await app.plugin.services.program.update({ default_language: 'en' });
    }
  });
});
