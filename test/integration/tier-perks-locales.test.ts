import { down, up } from '../../migrations/20261125003000_seed_tier_perks_locales';
import { SESSION_COOKIE } from '../../plugin/web/session';
import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';

/** Migration 20261125003000: tr, vi and zh perks for the seeded tiers, never over a provider's text. */
describe('seeded tier perks in every language', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const perks = async () => {
    const rows = await app.plugin.db.knex('loyalty_tiers').orderBy('rank').select('name', 'perks');
    return Object.fromEntries(rows.map((r): [string, Record<string, string[]>] => [String(r.name), JSON.parse(String(r.perks))]));
  };
  const setPerks = (name: string, value: Record<string, string[]>) =>
    app.plugin.db.knex('loyalty_tiers').where({ name }).update({ perks: JSON.stringify(value) });
  const SILVER = { en: ['10% more points', '2% off renewals'], ru: ['На 10% больше баллов', 'Скидка 2% на продление'] };

  it('gives each of the four seeded tiers Turkish, Vietnamese and Chinese perks next to English and Russian', async () => {
    const all = await perks();
    expect(Object.keys(all)).toEqual(['Bronze', 'Silver', 'Gold', 'Platinum']);
    for (const tier of Object.values(all)) {
      expect(Object.keys(tier).sort()).toEqual(['en', 'ru', 'tr', 'vi', 'zh']);
      for (const list of Object.values(tier)) expect(list).toHaveLength(tier.en?.length ?? -1);
    }
    expect(all.Silver).toEqual({ ...SILVER, tr: ['%10 daha fazla puan', 'Yenilemelerde %2 indirim'], vi: ['Thêm 10% điểm', 'Giảm 2% khi gia hạn'], zh: ['积分多得 10%', '续费立减 2%'] });
    expect(all.Platinum?.zh).toEqual(['积分多得 50%', '续费立减 10%', '优先技术支持']);
  });

  it('shows a Chinese member their tier perks in Chinese', async () => {
    await app.send(invoicePaid({ client: { id: 'perks-zh', locale: 'zh-CN' }, invoice: { id: 'PZ-1', total: '620.00', items: [] } })).expect(200);
    const token = await app.plugin.services.auth.mintSsoToken('perks-zh', { locale: 'zh-CN' });
    const sso = await app.http.get(`/sso?token=${encodeURIComponent(token)}`).expect(303);
    const cookie = (sso.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith(SESSION_COOKIE))?.split(';')[0] ?? '';
    const page = await app.http.get('/client/rewards').set('Cookie', cookie).expect(200);
    expect(page.text).toContain('<li>积分多得 10%</li>');
    expect(page.text).toContain('<li>续费立减 2%</li>');
    expect(page.text).not.toContain('2% off renewals');
  });

  it('fills only the languages a tier lacks, leaves perks the provider rewrote alone, and runs again as a no-op', async () => {
    await setPerks('Bronze', { en: ['Points on every paid invoice'], ru: ['Баллы за каждый оплаченный счёт'] });
    await setPerks('Silver', { ...SILVER, tr: ['Sağlayıcının kendi metni'] });
    const gold = { en: ['Free SSL certificate'], ru: ['Бесплатный SSL-сертификат'] };
    await setPerks('Gold', gold);

    await up(app.plugin.db.knex);
    const once = await perks();
    await up(app.plugin.db.knex);
    expect(await perks()).toEqual(once);

    expect(once.Bronze?.zh).toEqual(['每笔已支付账单均可获得积分']);
    expect(once.Silver).toEqual({ ...SILVER, tr: ['Sağlayıcının kendi metni'], vi: ['Thêm 10% điểm', 'Giảm 2% khi gia hạn'], zh: ['积分多得 10%', '续费立减 2%'] });
    // Translating our old English would contradict what the provider now offers.
    expect(once.Gold).toEqual(gold);
    const tiers = await app.plugin.db.repos.tiers.list();
    expect(tiers.find((t) => t.name === 'Silver')?.perks.tr).toEqual(['Sağlayıcının kendi metni']);
  });

  it('rolled back, removes only its own text', async () => {
    await setPerks('Silver', { ...SILVER, tr: ['Sağlayıcının kendi metni'] });
    await up(app.plugin.db.knex);
    await down(app.plugin.db.knex);
    const after = await perks();
    expect(after.Silver).toEqual({ ...SILVER, tr: ['Sağlayıcının kendi metni'] });
    expect(Object.keys(after.Platinum ?? {}).sort()).toEqual(['en', 'ru']);
    await up(app.plugin.db.knex);
  });
});
