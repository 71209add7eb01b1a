import { SESSION_COOKIE } from '../../plugin/web/session';
import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';

async function session(app: TestApp, clientId: string, locale?: string): Promise<string> {
  const token = await app.plugin.services.auth.mintSsoToken(clientId, { locale });
  const res = await app.http.get(`/sso?token=${encodeURIComponent(token)}`).expect(303);
  const raw = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith(SESSION_COOKIE))!;
  return raw.split(';')[0]!;
}

const text = (html: string, testId: string) => new RegExp(`data-testid="${testId}">([^<]*)<`).exec(html)?.[1];
/** The page without the span that keeps an invoice number on one line: the text as read. */
const visible = (html: string) => html.replace(/<span class="ref">([^<]*)<\/span>/g, '$1');
const rowIds = (html: string) => [...html.matchAll(/data-entry="(\d+)"/g)].map((m) => Number(m[1]));

describe('GET /client/rewards', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  it('shows balance, lifetime, expiring points and the history with reasons', async () => {
    // Earned 11.5 months ago: expires within the next 30 days under the default 12 months.
    const old = new Date(app.clock.now().getTime() - 350 * 86_400_000).toISOString();
    await app.send(invoicePaid({ client: { id: 'tab-1', name: 'Ann Lee' }, invoice: { id: 'A-1', total: '30.00', items: [] }, occurred_at: old })).expect(200);
    await app.send(invoicePaid({ client: { id: 'tab-1' }, invoice: { id: 'A-2', total: '1234.56', items: [] } })).expect(200);
    const page = await app.http.get('/client/rewards').set('Cookie', await session(app, 'tab-1')).expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(text(page.text, 'balance')).toBe('1,264');
    expect(text(page.text, 'lifetime')).toBe('1,264');
    expect(text(page.text, 'expiring')).toBe('30');
    const expiry = new Date(Date.parse(old) + 0);
    expiry.setUTCFullYear(expiry.getUTCFullYear() + 1);
    expect(text(page.text, 'expiring-date')).toBe(
      `Last day to use the first of them: ${new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' }).format(expiry)}`,
    );
    expect(visible(page.text)).toContain('Invoice #A-2 paid ($1,234.56)');
    expect(visible(page.text)).toContain('Invoice #A-1 paid ($30.00)');
    expect(page.text.indexOf('A-2')).toBeLessThan(page.text.indexOf('A-1'));
    expect(page.text).toContain('+1,234');
    expect(page.text).toMatch(/1 point for every \$1\.00 you pay/);
  });

  it('paginates the history newest first, 20 a page', async () => {
    // In EUR, which doesn't count towards tiers, so each invoice is one history row.
    for (let n = 1; n <= 45; n++) {
      await app
        .send(invoicePaid({ client: { id: 'tab-pages', currency: 'EUR' }, invoice: { id: `P-${n}`, currency: 'EUR', total: `${n}.00`, items: [] } }))
        .expect(200);
    }
    const cookie = await session(app, 'tab-pages');
    const first = await app.http.get('/client/rewards').set('Cookie', cookie).expect(200);
    const ids1 = rowIds(first.text);
    expect(ids1).toHaveLength(20);
    expect([...ids1].sort((a, b) => b - a)).toEqual(ids1);
    expect(visible(first.text)).toContain('Invoice #P-45 paid');
    // Handlebars escapes `=` in attributes as &#x3D;, which the browser decodes back.
    const older = /href="\/client\/rewards\?before(?:=|&#x3D;)(\d+)"/.exec(first.text)?.[1];
    expect(Number(older)).toBe(ids1[19]);
    const second = await app.http.get(`/client/rewards?before=${older}`).set('Cookie', cookie).expect(200);
    const ids2 = rowIds(second.text);
    expect(ids2).toHaveLength(20);
    expect(Math.max(...ids2)).toBeLessThan(Math.min(...ids1));
    const third = await app.http.get(`/client/rewards?before=${ids2[19]}`).set('Cookie', cookie).expect(200);
    expect(rowIds(third.text)).toHaveLength(5);
    expect(visible(third.text)).toContain('Invoice #P-1 paid');
    expect(third.text).not.toContain('data-testid="older"');
    expect(third.text).toContain('data-testid="newest"');
  });

  it('refuses a malformed page cursor', async () => {
    const cookie = await session(app, 'tab-pages');
    for (const bad of ['abc', '-1', '0', '1.5']) {
      expect((await app.http.get(`/client/rewards?before=${bad}`).set('Cookie', cookie)).status).toBe(400);
    }
  });

  it('speaks the member’s language, with Intl formats for their locale', async () => {
    await app.plugin.services.program.update({ earn_rates: { USD: '1', RUB: '0.01' } });
    await app
      .send(invoicePaid({ client: { id: 'tab-ru', name: 'Иван', locale: 'ru', currency: 'RUB' }, invoice: { id: 'R-1', currency: 'RUB', total: '123456.00', items: [] } }))
      .expect(200);
    const page = await app.http.get('/client/rewards').set('Cookie', await session(app, 'tab-ru')).expect(200);
    expect(page.text).toContain('<html lang="ru" dir="ltr">');
    expect(page.text).toContain('Ваши бонусы');
    expect(text(page.text, 'balance')).toBe(new Intl.NumberFormat('ru').format(1234));
    expect(visible(page.text)).toContain(`Оплачен счёт №R-1 (${new Intl.NumberFormat('ru', { style: 'currency', currency: 'RUB' }).format(123456)})`);
    expect(page.text).not.toMatch(/Available points|Points history/);
  });

  it('falls back to English for a language without a locale file', async () => {
    await app.send(invoicePaid({ client: { id: 'tab-xx', locale: 'sw' } })).expect(200);
    const page = await app.http.get('/client/rewards').set('Cookie', await session(app, 'tab-xx')).expect(200);
    expect(page.text).toContain('Your rewards');
  });

  it('shows an empty tab to a client the panel knows but who has no events yet', async () => {
    const page = await app.http.get('/client/rewards').set('Cookie', await session(app, 'tab-nobody', 'ru')).expect(200);
    expect(text(page.text, 'balance')).toBe('0');
    expect(page.text).toContain('data-testid="not-enrolled"');
    expect(page.text).toContain('Ваши бонусы');
  });

  it('shows the tier, its perks, progress to the next tier and tier changes', async () => {
    await app.send(invoicePaid({ client: { id: 'tab-tier' }, invoice: { id: 'TT-1', total: '620.00', items: [] } })).expect(200);
    const page = await app.http.get('/client/rewards').set('Cookie', await session(app, 'tab-tier')).expect(200);
    expect(text(page.text, 'tier-name')).toBe('Silver');
    expect(page.text).toMatch(/<progress value="62000" max="200000"/);
    // The November 2026 spend leaves the rolling window on 1 Nov 2027: 31 Oct is the last day it counts.
    expect(text(page.text, 'tier-next')).toBe('Spend $1,380.00 more to reach Gold (last day: Oct 31, 2027)');
    expect(page.text).toContain('2% off renewals');
    // Straight to Silver from no tier: the first placement reads as joining, not moving up.
    expect(page.text).toMatch(/Joined at Silver/);
    await app.send(invoicePaid({ client: { id: 'tab-tier' }, invoice: { id: 'TT-2', total: '1400.00', items: [] } })).expect(200);
    const after = await app.http.get('/client/rewards').set('Cookie', await session(app, 'tab-tier')).expect(200);
    expect(text(after.text, 'tier-name')).toBe('Gold');
    expect(after.text).toMatch(/Moved up to Gold/);
  });

  it('shows pending points with their release dates', async () => {
    await app.plugin.services.program.update({ refund_window_days: 14 });
    try {
      await app.send(invoicePaid({ client: { id: 'tab-pending' }, invoice: { id: 'PP-1', total: '40.00', items: [] }, occurred_at: app.clock.now().toISOString() })).expect(200);
      const page = await app.http.get('/client/rewards').set('Cookie', await session(app, 'tab-pending')).expect(200);
      expect(text(page.text, 'balance')).toBe('0');
      expect(text(page.text, 'pending')).toBe('40');
      const release = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(app.clock.now().getTime() + 14 * 86_400_000));
      expect(page.text).toContain(`<li>40 on ${release}</li>`);
    } finally {
      await app.plugin.services.program.update({ refund_window_days: 0 });
    }
  });

  it('escapes panel-supplied text', async () => {
    await app.send(invoicePaid({ client: { id: 'tab-xss', name: '<script>alert(1)</script>' } })).expect(200);
    const page = await app.http.get('/client/rewards').set('Cookie', await session(app, 'tab-xss')).expect(200);
    expect(page.text).not.toContain('<script>alert(1)</script>');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('sends security headers that let only the panel frame it', async () => {
    const page = await app.http.get('/client/rewards').set('Cookie', await session(app, 'tab-1'));
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'self'");
    expect(page.headers['x-frame-options']).toBeUndefined();
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });

  it('reads the tab’s data as plain data, with no words or links in it (for a JSON API too)', async () => {
    const data = await app.plugin.services.rewards.forClient('tab-pages');
    expect(data.member).toMatchObject({ panelClientId: 'tab-pages' });
    expect(data.balances).toEqual({ available: data.member!.pointsAvailable, pending: 0, lifetime: data.member!.pointsLifetime });
    expect(data.history.entries).toHaveLength(20);
    expect(data.history.before).toBeNull();
    expect(data.history.olderCursor).toBe(data.history.entries[19]!.id);
    // An earlier test left EUR without an earn rate: the rules in force say so, as a key.
    expect(data.rules.lines[0]).toEqual({ key: 'rules.base_rate_none', params: {} });
    const json = JSON.stringify(data);
    expect(json).not.toMatch(/href|\/client\/rewards|Invoice #/);
    const older = await app.plugin.services.rewards.forClient('tab-pages', { before: data.history.olderCursor! });
    expect(older.history.before).toBe(data.history.olderCursor);
    expect(Math.max(...older.history.entries.map((e) => e.id))).toBeLessThan(data.history.olderCursor!);
  });
});
