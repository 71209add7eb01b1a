import type { PromoSpec, Reward } from '../../plugin/domain/rewards';
import type { RewardFields } from '../../plugin/repositories/reward-repository';
import { unescapeHtml } from '../support/admin';
import { expectBalancesConsistent, invoicePaid, startTestApp, tableCounts, type TestApp } from '../support/harness';
import { cookiesOf, paidClient } from '../support/client';
import { addReward } from '../support/rewards';
import { TestPanel } from '../support/test-panel';

/**
 * The confirmation form carries the terms its page showed, and a confirmation on other terms is
 * refused with "check them and confirm again". So every term it compares must be on the page:
 * for a code, what it takes off and how long it lasts; for a flexible reward, what a step is worth.
 */
describe('the confirmation page shows the terms it confirms', () => {
  let app: TestApp;
  const panel = new TestPanel();

  beforeAll(async () => {
    app = await startTestApp({ panelApi: panel });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const rewards = () => app.plugin.db.repos.rewards;
  const summaryOf = (html: string) => unescapeHtml(/data-testid="confirm-summary">([^<]*)</.exec(html)?.[1] ?? '');
  const termsOf = (html: string) => unescapeHtml(/name="terms" value="([^"]*)"/.exec(html)?.[1] ?? '');

  const reward = (over: Partial<Reward> & Pick<Reward, 'kind'>) => addReward(app, { costPoints: null, values: {}, ...over });

  const code = (promo: PromoSpec, values: Record<string, number> = {}) => reward({ kind: 'promo_code', costPoints: 50, values, promo });

  const client = (clientId: string, total: string, locale = 'en') => paidClient(app, clientId, total, locale);

  async function confirmPage(jar: string[], rewardId: number) {
    const page = await app.http.get(`/client/rewards/redeem/${rewardId}`).set('Cookie', jar.join('; ')).expect(200);
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(page.text)?.[1] ?? '';
    return { text: page.text, csrf: field('_csrf'), key: field('key'), jar: [...jar, ...cookiesOf(page)] };
  }

  const post = (form: { jar: string[]; csrf: string; key: string }, rewardId: number, fields: Record<string, string>) =>
    app.http.post(`/client/rewards/redeem/${rewardId}`).set('Cookie', form.jar.join('; ')).type('form').send({ _csrf: form.csrf, key: form.key, ...fields });

  /**
   * Opens the page, lets the owner change the reward, confirms on the old terms: refused, with
   * the new terms shown (and different from those shown before); confirming on those is charged them.
   */
  async function changedWhileOpen(clientId: string, rewardId: number, change: Partial<RewardFields>, extra: Record<string, string> = {}) {
    const jar = await client(clientId, '300.00');
    const form = await confirmPage(jar, rewardId);
    const before = { summary: summaryOf(form.text), terms: termsOf(form.text) };
    await rewards().update(rewardId, change, app.clock.now());
    const counts = await tableCounts(app.plugin);
    const refused = await post(form, rewardId, { ...extra, terms: before.terms }).expect(422);
    expect(refused.text).toContain('This reward’s terms changed since you opened it. Check them and confirm again.');
    expect(await tableCounts(app.plugin)).toEqual(counts);
    const after = { summary: summaryOf(refused.text), terms: termsOf(refused.text) };
    expect(after.terms).not.toBe(before.terms);
    expect(after.summary).not.toBe(before.summary);
    const done = await post(form, rewardId, { ...extra, terms: after.terms }).expect(303);
    const id = Number(/\/client\/redemptions\/(\d+)$/.exec(String(done.headers.location))?.[1]);
    const redemption = await app.plugin.db.repos.redemptions.findById(id);
    const action = redemption && (await app.plugin.db.repos.outbox.findByKey(redemption.actionKey));
    return { before: before.summary, after: after.summary, payload: action?.payload };
  }

  it('a percentage code: the percentage changed meanwhile is on the refused page, and the code is made with it', async () => {
    const id = await code({ type: 'percent', percent: 15, validDays: 30 });
    const seen = await changedWhileOpen('ct-percent', id, { promo: { type: 'percent', percent: 5, validDays: 30 } });
    expect(seen.before).toBe('50 points will be taken from your balance for a code: 15% off, valid for 30 days after you redeem it.');
    expect(seen.after).toBe('50 points will be taken from your balance for a code: 5% off, valid for 30 days after you redeem it.');
    expect(seen.payload).toMatchObject({ discount: { type: 'percent', percent: 5 }, expiresAt: new Date(app.clock.now().getTime() + 30 * 86_400_000).toISOString() });
  });

  it('a code’s validity changed meanwhile is on the refused page', async () => {
    const id = await code({ type: 'percent', percent: 15, validDays: 30 });
    const seen = await changedWhileOpen('ct-valid', id, { promo: { type: 'percent', percent: 15, validDays: 1 } });
    expect(seen.before).toBe('50 points will be taken from your balance for a code: 15% off, valid for 30 days after you redeem it.');
    expect(seen.after).toBe('50 points will be taken from your balance for a code: 15% off, valid for 1 day after you redeem it.');
    expect(seen.payload).toMatchObject({ expiresAt: new Date(app.clock.now().getTime() + 86_400_000).toISOString() });
  });

  it('an amount code: its value in the member’s currency changed meanwhile is on the refused page; a code with no end says so', async () => {
    const id = await code({ type: 'amount', validDays: null }, { USD: 1000 });
    const seen = await changedWhileOpen('ct-amount', id, { values: { USD: 100 } });
    expect(seen.before).toBe('50 points will be taken from your balance for a code: $10.00 off, no expiry date.');
    expect(seen.after).toBe('50 points will be taken from your balance for a code: $1.00 off, no expiry date.');
    expect(seen.payload).toMatchObject({ discount: { type: 'amount', amount: { currency: 'USD', minor: 100 } }, expiresAt: null });
  });

  it('a flexible reward: what a step is worth, changed meanwhile, is on the refused page', async () => {
    const id = await reward({ kind: 'credit', stepPoints: 100, minPoints: 100, values: { USD: 100 } });
    const seen = await changedWhileOpen('ct-step', id, { values: { USD: 150 } }, { points: '100' });
    expect(seen.before).toBe('You get $1.00 of account credit for every 100 points you redeem.');
    expect(seen.after).toBe('You get $1.50 of account credit for every 100 points you redeem.');
    expect(seen.payload).toMatchObject({ amount: { currency: 'USD', minor: 150 } });
  });

  it('the catalog’s offer line gives a code’s terms too', async () => {
    const percent = await code({ type: 'percent', percent: 12.5, validDays: 90 });
    const amount = await code({ type: 'amount', validDays: 1 }, { USD: 2500 });
    const jar = await client('ct-catalog', '300.00');
    const catalog = (await app.http.get('/client/rewards/redeem').set('Cookie', jar.join('; ')).expect(200)).text;
    const price = (id: number) => new RegExp(`data-testid="offer-${id}">[\\s\\S]*?<p class="price">([^<]*)<`).exec(catalog)?.[1];
    expect(price(percent)).toBe('50 points · 12.5% off, valid for 90 days after you redeem it');
    expect(price(amount)).toBe('50 points · $25.00 off, valid for 1 day after you redeem it');
  });

  it.each([
    ['ru', [1, 3, 30, 21], ['скидка 15%, действует 1 день после обмена', 'скидка 15%, действует 3 дня после обмена', 'скидка 15%, действует 30 дней после обмена', 'скидка 15%, действует 21 день после обмена']],
    ['tr', [1, 30], ['%15 indirim, kullandıktan sonra 1 gün geçerli', '%15 indirim, kullandıktan sonra 30 gün geçerli']],
    ['vi', [30], ['giảm 15%, có hiệu lực 30 ngày kể từ khi đổi']],
    ['zh', [30], ['立减 15%，兑换后 30 天内有效']],
  ] as const)('in the member’s language (%s), days counted in its plural forms', async (locale, days, expected) => {
    const jar = await client(`ct-${locale}`, '300.00', locale);
    const shown = [];
    for (const validDays of days) {
      const id = await code({ type: 'percent', percent: 15, validDays });
      shown.push(summaryOf((await confirmPage(jar, id)).text));
    }
    expect(shown).toEqual(expected.map((e) => expect.stringContaining(e)));
  });
});
