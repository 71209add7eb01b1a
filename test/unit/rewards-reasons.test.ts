import { Translations, type Translator } from '../../plugin/i18n';
import { reasonParams } from '../../plugin/web/client/rewards-presenter';

/**
 * A ledger reason's params, formatted for the locale before its sentence is translated
 * (issue 12): counts pick their plural form and are grouped, multipliers and percentages are
 * written as the language writes numbers. The Rewards tab and the admin's member page share it.
 */
let translations: Translations;
beforeAll(async () => {
  translations = new Translations();
  await translations.init();
});

const reason = (i18n: Translator, code: string, params: Record<string, string | number>, tiers: Record<string, string> = {}) =>
  i18n.t(`reason.${code}`, { ...reasonParams(params, i18n, new Map(Object.entries(tiers))), defaultValue: '' });

describe('reasonParams', () => {
  it.each([
    [1, 'Points expired: 5 points (from 1 earlier earning)'],
    [3, 'Points expired: 5 points (from 3 earlier earnings)'],
    [1500, 'Points expired: 5 points (from 1,500 earlier earnings)'],
  ])('en: points expired from %i lots', (lots, text) => {
    expect(reason(translations.for('en'), 'points_expired', { points: 5, lots })).toBe(text);
  });

  it.each([
    ['ru', 'Сгорели баллы: 5 баллов (начислений: 1\u00a0500)'],
    ['tr', 'Süresi dolan puanlar: 5 puan (1.500 kazanımdan)'],
    ['vi', 'Điểm hết hạn: 5 điểm (từ 1.500 lần tích điểm)'],
    ['zh', '积分已过期：5 积分（来自 1,500 笔获得记录）'],
  ])('%s: the count of lots is grouped as the language groups it', (language, text) => {
    expect(reason(translations.for(language), 'points_expired', { points: 5, lots: 1500 })).toBe(text);
  });

  it.each([
    ['en', 'Silver tier: ×1.1 points, invoice #7', 'Renewal bonus +2.5%, invoice #7'],
    ['ru', 'Уровень Серебряный: ×1,1 баллов, счёт №7', 'Бонус за продление +2,5%, счёт №7'],
    ['tr', 'Gümüş seviyesi: ×1,1 puan, fatura #7', 'Yenileme bonusu +%2,5, fatura #7'],
    ['vi', 'Hạng Bạc: ×1,1 điểm, hóa đơn #7', 'Thưởng gia hạn +2,5%, hóa đơn #7'],
    ['zh', '白银等级：积分 ×1.1，账单 #7', '续费奖励 +2.5%，账单 #7'],
  ])('%s: multipliers and percentages in the language’s numbers, the tier by its name there', (language, tier, renewal) => {
    const i18n = translations.for(language);
    const names = { en: 'Silver', ru: 'Серебряный', tr: 'Gümüş', vi: 'Bạc', zh: '白银' } as Record<string, string>;
    expect(reason(i18n, 'tier_multiplier', { invoice: 7, multiplier: '1.1', tier: 'Silver' }, { Silver: names[language] ?? 'Silver' })).toBe(tier);
    expect(reason(i18n, 'renewal_bonus', { invoice: 7, percent: 2.5 })).toBe(renewal);
  });

  it('leaves a value that is not a number as it was written', () => {
    expect(reasonParams({ multiplier: 'n/a', points: 2 }, translations.for('ru'), new Map())).toMatchObject({ multiplier: 'n/a', points: '2 балла' });
  });
});
