import { Translations } from '../../plugin/i18n';
import { formatDate, formatDecimal, formatInteger, formatList, formatMoney, formatPercent } from '../../plugin/i18n/format';

/**
 * How each language's page writes dates, money, counts and percentages, pinned so that a change
 * of formatter options (or of the Node ICU data) is seen in review, not by a customer.
 */
const TAGS = ['en', 'ru-RU', 'tr-TR', 'vi-VN', 'zh-CN'];

it.each(TAGS)('dates and money in %s', async (tag) => {
  const translations = new Translations();
  await translations.init();
  const i18n = translations.for(tag);
  const points = (n: number) => i18n.t('points_count', { count: n, formatted: formatDecimal(i18n.locale, n) });
  expect({
    lang: i18n.htmlLang,
    date: formatDate(i18n.locale, new Date('2026-12-31T23:30:00Z'), 'UTC'),
    usd: formatMoney(i18n.locale, { currency: 'USD', minor: 31880 }),
    try: formatMoney(i18n.locale, { currency: 'TRY', minor: 8_000_000 }),
    vnd: formatMoney(i18n.locale, { currency: 'VND', minor: 250_000 }),
    rub: formatMoney(i18n.locale, { currency: 'RUB', minor: 450_000 }),
    cny: formatMoney(i18n.locale, { currency: 'CNY', minor: 42_000 }),
    integer: formatInteger(i18n.locale, 1_234_567),
    percent: formatPercent(i18n.locale, 0.05),
    list: formatList(i18n.locale, ['EUR', 'TRY', 'USD']),
    points: [1, 2, 5, 21, 2.5].map(points),
  }).toMatchSnapshot();
});
