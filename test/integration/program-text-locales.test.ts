import * as ruleLabels from '../../migrations/20261126005020_seed_rule_labels';
import * as reviewLabels from '../../migrations/20261217100000_seed_review_rule_labels';
import * as tierNames from '../../migrations/20261126005010_seed_tier_names';
import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';

/** Migrations 20261126005010/5020 and 20261217100000: tier names and rule labels in five languages, never over a provider's text. */
describe('seeded program text in every language', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const knex = () => app.plugin.db.knex;
  const names = async () =>
    Object.fromEntries(
      (await knex()('loyalty_tiers').orderBy('rank').select('name', 'names')).map((r): [string, Record<string, string> | null] => [
        String(r.name),
        r.names === null ? null : JSON.parse(String(r.names)),
      ]),
    );
  const labelsOf = async (type: string) => {
    const row = await knex()('loyalty_rules').where({ type }).first('params');
    return (JSON.parse(String(row?.params)) as { label?: string; labels?: Record<string, string> });
  };
  const REVIEW = { en: 'writing a review', ru: 'написание отзыва', tr: 'yorum yazma', vi: 'việc viết đánh giá', zh: '撰写评价' };
  const setReview = (params: Record<string, unknown>) => knex()('loyalty_rules').where({ type: 'action' }).update({ params: JSON.stringify(params) });
  const reviewParams = async () => JSON.parse(String((await knex()('loyalty_rules').where({ type: 'action' }).first('params'))?.params)) as Record<string, unknown>;

  it('names the four seeded tiers and labels the two seeded product rules and the review rule in all five languages', async () => {
    const all = await names();
    expect(Object.keys(all)).toEqual(['Bronze', 'Silver', 'Gold', 'Platinum']);
    for (const n of Object.values(all)) expect(Object.keys(n ?? {}).sort()).toEqual(['en', 'ru', 'tr', 'vi', 'zh']);
    expect(all.Gold).toEqual({ en: 'Gold', ru: 'Золотой', tr: 'Altın', vi: 'Vàng', zh: '黄金' });
    expect((await labelsOf('product_multiplier')).labels).toEqual({ en: 'dedicated servers', ru: 'выделенные серверы', tr: 'adanmış sunucular', vi: 'máy chủ riêng', zh: '独立服务器' });
    expect(Object.keys((await labelsOf('exclusion')).labels ?? {}).sort()).toEqual(['en', 'ru', 'tr', 'vi', 'zh']);
    // The seeded review rule (an action rule) names its action in the five languages.
    expect(await labelsOf('action')).toEqual({ kind: 'review', points: 25, per: 'ever', labels: REVIEW });
    // The rules still validate with labels in them.
    await expect(app.plugin.services.program.current()).resolves.toMatchObject({ rules: expect.any(Array) });
  });

  it('keeps what the provider wrote: their own names, their own rule labels, a tier they reworded', async () => {
    await knex()('loyalty_tiers').where({ name: 'Silver' }).update({ names: JSON.stringify({ ru: 'Серебро' }) });
    await knex()('loyalty_tiers').where({ name: 'Gold' }).update({ names: null, perks: JSON.stringify({ en: ['Our own Gold perks'] }) });
    const multiplier = await labelsOf('product_multiplier');
    await knex()('loyalty_rules').where({ type: 'product_multiplier' }).update({ params: JSON.stringify({ ...multiplier, labels: { tr: 'özel sunucular' } }) });
    await knex()('loyalty_rules').where({ type: 'exclusion' }).update({ params: JSON.stringify({ product_groups: ['domain-transfers'], label: 'transfers in' }) });

    await tierNames.up(knex());
    await ruleLabels.up(knex());

    const all = await names();
    expect(all.Silver).toEqual({ ru: 'Серебро', en: 'Silver', tr: 'Gümüş', vi: 'Bạc', zh: '白银' });
    expect(all.Gold).toBeNull(); // reworded by the provider: not ours to name
    expect((await labelsOf('product_multiplier')).labels).toMatchObject({ tr: 'özel sunucular', ru: 'выделенные серверы' });
    expect((await labelsOf('exclusion')).labels).toBeUndefined(); // relabelled by the provider

    // down removes only our text.
    await tierNames.down(knex());
    await ruleLabels.down(knex());
    expect((await names()).Silver).toEqual({ ru: 'Серебро' });
    expect((await labelsOf('product_multiplier')).labels).toEqual({ tr: 'özel sunucular' });
  });

  it('names the review rule only while its params are still as seeded, and takes back only its own names', async () => {
    const seeded = { kind: 'review', points: 25, per: 'ever' };
    const cases: Array<[string, Record<string, unknown>, boolean]> = [
      ['as seeded', seeded, true],
      ['as seeded, the defaults written out by a save', { ...seeded, limit: 1 }, true],
      ['worth more points', { ...seeded, points: 30 }, false],
      ['given a limit', { ...seeded, limit: 2 }, false],
      ['made monthly', { ...seeded, per: 'month' }, false],
      ['another kind', { ...seeded, kind: 'survey' }, false],
      ['named by the provider', { ...seeded, label: 'leaving us a review' }, false],
      ['named in one language by the provider', { ...seeded, labels: { ru: 'отзыв о нас' } }, false],
    ];
    for (const [what, params, ours] of cases) {
      await setReview(params);
      await reviewLabels.up(knex());
      expect([what, await reviewParams()]).toEqual([what, ours ? { ...params, labels: REVIEW } : params]);
      // Run again: nothing more to do.
      await reviewLabels.up(knex());
      expect([what, await reviewParams()]).toEqual([what, ours ? { ...params, labels: REVIEW } : params]);
      await reviewLabels.down(knex());
      expect([what, await reviewParams()]).toEqual([what, params]);
    }
    // Names the provider changed since are theirs: down leaves them.
    await setReview({ ...seeded, labels: { ...REVIEW, vi: 'viết nhận xét' } });
    await reviewLabels.down(knex());
    expect(await reviewParams()).toEqual({ ...seeded, labels: { ...REVIEW, vi: 'viết nhận xét' } });
    await setReview({ ...seeded, labels: REVIEW });
  });
});
