import { LANGUAGES } from '../../plugin/i18n';
import { SESSION_COOKIE } from '../../plugin/web/session';
import { adminAgent } from '../support/admin';
import { englishLeft, readable } from '../support/english';
import { actionEvent, expectBalancesConsistent, invoicePaid, invoiceRefunded, startTestApp, type TestApp } from '../support/harness';

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

/**
 * Issue 12: a number inside a translated sentence is written as the member's language writes
 * it, as the tier ladder's are ("×1,5", not "×1.5"); a count picks its plural form; a zh tier
 * name is Chinese text, with no spaces around it, and a label takes the full-width colon.
 */
describe('numbers, counts and names inside the Rewards tab sentences', () => {
  let app: TestApp;
  const LOCALES: Record<string, string> = { en: 'en', ru: 'ru', tr: 'tr', vi: 'vi', zh: 'zh-CN' };
  beforeAll(async () => {
    app = await startTestApp({ config: { panelOrigin: 'https://billing.example.com' }, program: { refund_window_days: 0, earn_rates: { USD: '1' } } });
    await app.plugin.services.program.addRule({ type: 'product_multiplier', active: true, params: { multiplier: '1.5', product_groups: ['vps'] } });
    await app.plugin.services.program.addRule({ type: 'renewal_streak', active: true, params: { months: 1, points: 50, repeat: true } });
    for (const [language, locale] of Object.entries(LOCALES)) {
      const client = { id: `num-${language}`, name: 'Sam', locale, currency: 'USD' };
      // The first invoice reaches Silver (×1.1); the second earns at Silver's multiplier.
      for (const n of [1, 2]) {
        const id = `N-${language}-${n}`;
        const items = [{ id: `${id}-1`, type: 'new', product_group: 'vps', amount: '620.00' }];
        await app.send(invoicePaid({ client, invoice: { id, currency: 'USD', total: '620.00', paid_from_credit: '0.00', items } })).expect(200);
      }
    }
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  async function page(language: string): Promise<string> {
    const token = await app.plugin.services.auth.mintSsoToken(`num-${language}`);
    const sso = await app.http.get(`/sso?token=${encodeURIComponent(token)}`).expect(303);
    const cookie = (sso.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith(SESSION_COOKIE))?.split(';')[0] ?? '';
    return (await app.http.get('/client/rewards').set('Cookie', cookie).expect(200)).text;
  }
  const section = (html: string, testid: string, end: string) => new RegExp(`data-testid="${testid}"[^>]*>([\\s\\S]*?)${end}`).exec(html)?.[1] ?? '';

  it.each([
    ['ru', '×1,5', '×1,1'],
    ['tr', '×1,5', '×1,1'],
    ['vi', '×1,5', '×1,1'],
    ['en', '×1.5', '×1.1'],
    ['zh', '×1.5', '×1.1'],
  ])('%s: a ×1.5 product multiplier reads %s in "How you earn" and in the history, the tier’s %s too', async (language, product, tier) => {
    const html = await page(language);
    const earn = section(html, 'how-to-earn', '</ul>');
    const history = section(html, 'history', '</table>');
    expect(earn).toContain(product);
    expect(history).toContain(product);
    expect(history).toContain(tier);
    // The ladder already wrote the tier's multiplier so; the sentences now agree with it.
    expect(section(html, 'tier-ladder', '</table>')).toContain(tier);
    if (product.includes(',')) expect(`${earn}${history}`).not.toMatch(/×1\.[15]/);
  });

  it('en: a one-month streak rule says "month", not "1 months"', async () => {
    const earn = section(await page('en'), 'how-to-earn', '</ul>');
    expect(earn).toContain('50 points extra for every month of on-time renewals');
    expect(earn).not.toContain('1 months');
  });

  it('zh: the tier name has no spaces around it, and the heading’s colon is full-width', async () => {
    const html = await page('zh');
    expect(html).toContain('会员等级：<strong data-testid="tier-name">白银</strong>');
    expect(section(html, 'tier-history', '</ul>')).toContain('以白银等级加入');
    expect(section(html, 'history', '</table>')).toContain('白银等级：积分 ×1.1');
    expect(html).toMatch(/data-testid="tier-progress">已消费 [^<]+，升级为黄金需 /);
    for (const [id, end] of [['tier-history', '</ul>'], ['history', '</table>'], ['tier-progress', '</progress>'], ['tier-next', '</p>']] as const) {
      expect([id, section(html, id, end)]).not.toEqual([id, expect.stringMatching(/ (白银|黄金)|(白银|黄金) /)]);
    }
    expect(html).not.toMatch(/会员等级: /);
  });

  it('the admin’s member page says a reason as the tab does: multipliers and tier names in the admin’s language', async () => {
    const admin = await adminAgent(app, 'viewer');
    const member = await app.plugin.db.repos.members.findByPanelClientId('num-en');
    const html = (await admin.get(`/admin/members/${member!.id}`).set('Accept-Language', 'ru').expect(200)).text;
    expect(html).toContain('×1,5 баллов за vps');
    expect(html).toContain('Уровень Серебряный: ×1,1 баллов');
    expect(html).not.toMatch(/×1\.[15]/);
  });
});

/**
 * Issue 12: an action rule's description is program data, named per language with a fallback.
 * The seeded review rule (named in five languages by migration 20261217100000) switched on, a
 * review earned by a customer of each language: "how you earn" and the history name the action
 * in their language, never by its kind, `review`.
 */
describe('action rules named in the member’s language', () => {
  let app: TestApp;
  const LOCALES: Record<string, string> = { en: 'en', ru: 'ru', tr: 'tr', vi: 'vi', zh: 'zh-CN' };
  beforeAll(async () => {
    app = await startTestApp({ config: { panelOrigin: 'https://billing.example.com' }, program: { refund_window_days: 0, earn_rates: { USD: '1' } } });
    for (const r of await app.plugin.db.repos.rules.all()) if (r.type === 'action') await app.plugin.services.program.setRuleActive(r.id, true);
    for (const [language, locale] of Object.entries(LOCALES)) {
      const client = { id: `act-${language}`, name: 'Sam', locale, currency: 'USD' };
      await app.send(invoicePaid({ client, invoice: { id: `ACT-${language}`, currency: 'USD', total: '10.00', paid_from_credit: '0.00', items: [] } })).expect(200);
      await app.send(actionEvent(`act-${language}`, 'review', `trustpilot:${language}`)).expect(200);
    }
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  async function page(clientId: string): Promise<string> {
    const token = await app.plugin.services.auth.mintSsoToken(clientId);
    const sso = await app.http.get(`/sso?token=${encodeURIComponent(token)}`).expect(303);
    const cookie = (sso.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith(SESSION_COOKIE))?.split(';')[0] ?? '';
    return (await app.http.get('/client/rewards').set('Cookie', cookie).expect(200)).text;
  }
  const section = (html: string, testid: string, end: string) => readable(new RegExp(`data-testid="${testid}"[^>]*>([\\s\\S]*?)${end}`).exec(html)?.[1] ?? '');

  it.each([
    ['en', '25 points for writing a review', 'Bonus for writing a review: 25 points'],
    ['ru', '25 баллов за действие «написание отзыва»', 'Бонус за действие «написание отзыва»: 25 баллов'],
    ['tr', 'yorum yazma için 25 puan', 'yorum yazma bonusu: 25 puan'],
    ['vi', '25 điểm cho việc viết đánh giá', 'Thưởng cho việc viết đánh giá: 25 điểm'],
    ['zh', '撰写评价可获得 25 积分', '撰写评价奖励：25 积分'],
  ])('%s: "%s", and the history says "%s"', async (language, earn, reason) => {
    const html = await page(`act-${language}`);
    expect(section(html, 'how-to-earn', '</ul>')).toContain(earn);
    expect(section(html, 'history', '</table>')).toContain(reason);
    // The kind, `review`, is nowhere but inside the English name.
    expect(readable(html).replaceAll('writing a review', '')).not.toMatch(/review/);
    if (language !== 'en') expect(englishLeft(html)).toEqual([]);
  });

  it('falls back to the program’s language, then the rule’s label, then its kind', async () => {
    await app.plugin.services.program.addRule({ type: 'action', active: true, params: { kind: 'survey', points: 5, label: 'answering a survey', labels: { ru: 'ответ на опрос' } } });
    await app.plugin.services.program.addRule({ type: 'action', active: true, params: { kind: 'social_follow', points: 3 } });
    await app.send(actionEvent('act-tr', 'survey', 'nps:1')).expect(200);
    await app.send(actionEvent('act-ru', 'survey', 'nps:1')).expect(200);
    // tr: no Turkish label, the program's language (en) has none either: the label.
    expect(section(await page('act-tr'), 'history', '</table>')).toContain('answering a survey bonusu: 5 puan');
    expect(section(await page('act-ru'), 'history', '</table>')).toContain('Бонус за действие «ответ на опрос»: 5 баллов');
    await app.plugin.services.program.update({ default_language: 'ru' });
    try {
      // The program's own language before the label.
      expect(section(await page('act-tr'), 'how-to-earn', '</ul>')).toContain('ответ на опрос için 5 puan');
    } finally {
      await app.plugin.services.program.update({ default_language: 'en' });
    }
    // A rule with no text at all: its kind is all there is.
    expect(section(await page('act-en'), 'how-to-earn', '</ul>')).toContain('3 points for social_follow');
  });

  it('names an entry by its rule as the rule reads now, even one earned before it was named', async () => {
    const [rule] = (await app.plugin.db.repos.rules.all()).filter((r) => r.type === 'action' && JSON.parse(r.params).kind === 'review');
    const params = JSON.parse(rule!.params) as Record<string, unknown>;
    await app.plugin.db.knex('loyalty_rules').where({ id: rule!.id }).update({ params: JSON.stringify({ ...params, labels: { ...(params.labels as object), vi: 'viết nhận xét' } }) });
    await app.plugin.services.program.update({});
    const entries = await app.plugin.db.knex('loyalty_ledger').where({ reason_code: 'action_completed' }).select('reason_params');
    // The entries were written with the kind-or-label of then; the page names them afresh.
    expect(entries.map((e) => JSON.parse(String(e.reason_params)).action)).toContain('review');
    expect(section(await page('act-vi'), 'history', '</table>')).toContain('Thưởng cho viết nhận xét: 25 điểm');
  });

  it('the admin’s member page names the action in the admin’s language', async () => {
    const admin = await adminAgent(app, 'viewer');
    const member = await app.plugin.db.repos.members.findByPanelClientId('act-en');
    const html = (await admin.get(`/admin/members/${member!.id}`).set('Accept-Language', 'zh-CN').expect(200)).text;
    expect(html).toContain('撰写评价奖励');
    expect(html).not.toContain('review奖励');
  });
});
