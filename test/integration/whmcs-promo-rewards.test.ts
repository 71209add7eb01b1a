import { randomBytes } from 'node:crypto';
import type { Reward } from '../../plugin/domain/rewards';
import { WhmcsApiClient } from '../../plugin/panels/whmcs/whmcs-api-client';
import { parseTierGroups, WhmcsPanelApi } from '../../plugin/panels/whmcs/whmcs-panel-api';
import { FakeWhmcs } from '../support/fake-whmcs';
import { expectBalancesConsistent, invoicePaid, startTestApp, tableCounts, type TestApp } from '../support/harness';
import { cookiesOf, paidClient } from '../support/client';

/**
 * WHMCS has no promo-code API: a code reward (kind promo_code, or a perk delivered as a code)
 * is decided when it is redeemed, by the program's `promo_code_fallback` — refused up front in
 * the member's language with nothing written, or delivered as account credit (one AddCredit).
 * Panels that create codes are unchanged.
 */

const key = () => randomBytes(18).toString('base64url');
async function activeCodeRewards(app: TestApp): Promise<{ percent: Reward; perk: Reward }> {
  const rewards = await app.plugin.db.repos.rewards.list();
  const percent = rewards.find((r) => r.kind === 'promo_code');
  const perk = rewards.find((r) => r.kind === 'perk');
  if (!percent || !perk) throw new Error('the seeded code rewards are missing');
  for (const r of [percent, perk]) await app.plugin.db.repos.rewards.update(r.id, { active: true }, app.clock.now());
  return { percent, perk };
}


async function counts(app: TestApp) {
  const n = async (table: string) => Number((await app.plugin.db.knex(table).count({ n: '*' }).first())?.n ?? 0);
  return { ...(await tableCounts(app.plugin)), redemptions: await n('loyalty_redemptions'), outbox: await n('loyalty_outbox') };
}

const REFUSED = {
  en: 'Promo codes can’t be issued in your client area',
  ru: 'В вашем личном кабинете нельзя выпустить промокод',
  tr: 'Müşteri panelinizde promosyon kodu oluşturulamıyor',
  vi: 'Không thể tạo mã khuyến mãi trong khu vực khách hàng của bạn',
  zh: '您的用户中心无法生成优惠码',
};

describe('promo-code rewards on WHMCS', () => {
  let fake: FakeWhmcs;
  let app: TestApp;
  let rewards: { percent: Reward; perk: Reward };

  beforeAll(async () => {
    fake = await new FakeWhmcs().start();
    const api = new WhmcsPanelApi(new WhmcsApiClient({ url: fake.url, ...fake.credentials, timeoutMs: 2000 }), { tierGroups: parseTierGroups('') });
    app = await startTestApp({ panel: 'whmcs', panelApi: api });
    rewards = await activeCodeRewards(app);
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(async () => {
    await app.close();
    await fake.stop();
  });

  it('refuse (the default): refused up front with the reason, nothing written, the catalog says why', async () => {
    expect(await app.plugin.services.settings.get('promo_code_fallback')).toBe('refuse');
    const jar = await paidClient(app, 'w-refuse', '3000.00');
    const before = await counts(app);
    for (const reward of [rewards.percent, rewards.perk]) {
      expect(await app.plugin.services.redemptions.redeem('w-refuse', { rewardId: reward.id, idempotencyKey: key() })).toEqual({ ok: false, refusal: 'promo_code_unsupported' });
    }
    expect(await counts(app)).toEqual(before);
    expect((await app.plugin.db.repos.members.findByPanelClientId('w-refuse'))?.pointsAvailable).toBe(3000);

    const catalog = await app.http.get('/client/rewards/redeem').set('Cookie', jar.join('; ')).expect(200);
    for (const reward of [rewards.percent, rewards.perk]) {
      expect(catalog.text).not.toContain(`/client/rewards/redeem/${reward.id}"`);
      expect(catalog.text).toMatch(new RegExp(`data-testid="blocked-${reward.id}">${REFUSED.en}`));
    }

    // Through the form: 422 with the reason, and still nothing written.
    const page = await app.http.get(`/client/rewards/redeem/${rewards.perk.id}`).set('Cookie', jar.join('; ')).expect(200);
    expect(page.text).toContain(REFUSED.en);
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(page.text)?.[1] ?? '';
    const posted = await app.http
      .post(`/client/rewards/redeem/${rewards.perk.id}`)
      .set('Cookie', [...jar, ...cookiesOf(page)].join('; '))
      .type('form')
      .send({ _csrf: field('_csrf'), key: field('key') })
      .expect(422);
    expect(posted.text).toContain(REFUSED.en);
    expect(await counts(app)).toEqual(before);
    expect(fake.calls).toHaveLength(0);
  });

  it.each(Object.entries(REFUSED))('says why in the member’s language (%s)', async (locale, text) => {
    const jar = await paidClient(app, `w-lang-${locale}`, '2000.00', locale);
    const catalog = await app.http.get('/client/rewards/redeem').set('Cookie', jar.join('; ')).expect(200);
    expect(catalog.text).toContain(text);
  });

  it('credit: a code reward worth money becomes a client.credit, and WHMCS receives exactly one AddCredit', async () => {
    await app.plugin.services.program.update({ promo_code_fallback: 'credit' });
    try {
      fake.addClient(901, 'USD');
      const jar = await paidClient(app, '901', '2000.00');
      const catalog = await app.http.get('/client/rewards/redeem').set('Cookie', jar.join('; ')).expect(200);
      expect(catalog.text).toContain(`/client/rewards/redeem/${rewards.perk.id}"`);
      const confirm = await app.http.get(`/client/rewards/redeem/${rewards.perk.id}`).set('Cookie', jar.join('; ')).expect(200);
      // Told as credit of its value, not as a code that never comes.
      expect(confirm.text).toContain('$15.00');
      expect(confirm.text).not.toContain('creates the code');

      const k = key();
      const result = await app.plugin.services.redemptions.redeem('901', { rewardId: rewards.perk.id, idempotencyKey: k });
      expect(result).toMatchObject({ ok: true, redemption: { points: 1500, value: { currency: 'USD', minor: 1500 }, code: null, state: 'pending' } });
      expect(await app.plugin.db.repos.outbox.findByKey(`redemption:${k}`)).toMatchObject({ action: 'client.credit', payload: { clientId: '901', amount: { currency: 'USD', minor: 1500 } } });
      // A repeat of the same confirmation is the same redemption.
      expect(await app.plugin.services.redemptions.redeem('901', { rewardId: rewards.perk.id, idempotencyKey: k })).toMatchObject({ ok: true, repeated: true });

      expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ sent: 1 });
      expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ sent: 0 });
      expect(fake.calls.filter((c) => c.action === 'AddCredit')).toHaveLength(1);
      expect(fake.clients.get('901')?.credits).toEqual([expect.objectContaining({ amount: '15.00' })]);
      expect(await app.plugin.db.repos.redemptions.findByKey(k)).toMatchObject({ state: 'applied' });
      expect((await app.plugin.db.repos.members.findByPanelClientId('901'))?.pointsAvailable).toBe(500);

      // A percentage code has no value in USD to give as credit: refused, nothing written.
      const before = await counts(app);
      expect(await app.plugin.services.redemptions.redeem('901', { rewardId: rewards.percent.id, idempotencyKey: key() })).toEqual({ ok: false, refusal: 'promo_code_unsupported' });
      expect(await counts(app)).toEqual(before);
    } finally {
      await app.plugin.services.program.update({ promo_code_fallback: 'refuse' });
    }
  });

  it('the setting is checked like any other', async () => {
    await expect(app.plugin.services.program.update({ promo_code_fallback: 'coupon' as never })).rejects.toThrow(/promo_code_fallback/);
  });
});

describe('PANEL=whmcs before its API is configured', () => {
  it('decides by what WHMCS can do: a code reward is refused, not queued to fail later', async () => {
    const app = await startTestApp({ panel: 'whmcs' });
    try {
      const { perk } = await activeCodeRewards(app);
      await paidClient(app, 'w-early', '2000.00');
      expect(await app.plugin.services.redemptions.redeem('w-early', { rewardId: perk.id, idempotencyKey: key() })).toEqual({ ok: false, refusal: 'promo_code_unsupported' });
    } finally {
      await app.close();
    }
  });
});

describe('a panel that creates codes (generic)', () => {
  it('delivers a code reward as a code whatever promo_code_fallback says', async () => {
    const app = await startTestApp({ panel: 'generic' });
    try {
      const { perk } = await activeCodeRewards(app);
      await app.plugin.services.program.update({ promo_code_fallback: 'credit' });
      await paidClient(app, 'g-1', '2000.00');
      const k = key();
      expect(await app.plugin.services.redemptions.redeem('g-1', { rewardId: perk.id, idempotencyKey: k })).toMatchObject({ ok: true, redemption: { code: expect.stringMatching(/^RW-/) } });
      expect(await app.plugin.db.repos.outbox.findByKey(`redemption:${k}`)).toMatchObject({ action: 'promo.create' });
    } finally {
      await app.close();
    }
  });
});
