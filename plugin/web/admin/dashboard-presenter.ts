import Handlebars from 'handlebars';
import type { Translator } from '../../i18n';
import { formatDate, formatInteger, formatMoney, formatSignedInteger } from '../../i18n/format';
import { localized } from '../../domain/tiers';
import type { Dashboard, PeriodTotals } from '../../services/dashboard-service';
import { mountUrl } from '../urls';
import { barChart } from './svg-chart';

/** The dashboard's numbers in words, money and charts for one admin's language. */
export function dashboardView(i18n: Translator, d: Dashboard, mount: string): object {
  const n = (v: number) => formatInteger(i18n.locale, v);
  const money = (minor: number, currency: string) => formatMoney(i18n.locale, { currency, minor });
  const tierName = (t: Dashboard['membersByTier'][number]['tier']) => (t ? (localized(t.names, [i18n.language]) ?? t.name) : i18n.t('dashboard.no_tier'));
  const period = (p: PeriodTotals) => ({ earned: n(p.earned), redeemed: n(p.redeemed), expired: n(p.expired), from: formatDate(i18n.locale, p.from, d.timeZone) });
  const chart = (input: Parameters<typeof barChart>[0]) => new Handlebars.SafeString(barChart(input));
  const months = [
    { label: i18n.t('dashboard.earned'), a: d.thisMonth.earned, b: d.lastMonth.earned },
    { label: i18n.t('dashboard.redeemed'), a: d.thisMonth.redeemed, b: d.lastMonth.redeemed },
    { label: i18n.t('dashboard.expired'), a: d.thisMonth.expired, b: d.lastMonth.expired },
  ];
  return {
    members: n(d.members),
    timeZone: d.timeZone,
    currencies: d.currencies.map((c) => ({
      currency: c.currency || i18n.t('dashboard.no_currency'),
      members: n(c.members),
      available: n(c.available),
      pending: n(c.pending),
      debt: n(c.debt),
      outstanding: n(c.outstanding),
      liability: c.liabilityMinor === null || c.currency === '' ? null : money(c.liabilityMinor, c.currency),
      rate: c.rate && c.currency !== '' ? i18n.t('dashboard.rate', { points: i18n.t('points_count', { count: c.rate.points, formatted: n(c.rate.points) }), amount: money(c.rate.minor, c.currency) }) : null,
    })),
    thisMonth: period(d.thisMonth),
    lastMonth: period(d.lastMonth),
    monthsChart: chart({
      id: 'months',
      title: i18n.t('dashboard.months_chart'),
      desc: i18n.t('dashboard.months_chart_desc'),
      bars: months.flatMap((m) => [
        { label: `${m.label} · ${i18n.t('dashboard.this_month')}`, value: m.a, display: n(m.a) },
        { label: `${m.label} · ${i18n.t('dashboard.last_month')}`, value: m.b, display: n(m.b) },
      ]),
    }),
    redemptions: d.redemptionsByState.map((r) => ({ state: r.state, label: i18n.t(`dashboard.state_${r.state}`, { defaultValue: r.state }), count: n(r.count) })),
    redemptionsChart: chart({
      id: 'redemptions',
      title: i18n.t('dashboard.redemptions'),
      desc: i18n.t('dashboard.redemptions_chart_desc'),
      bars: d.redemptionsByState.map((r) => ({ label: i18n.t(`dashboard.state_${r.state}`, { defaultValue: r.state }), value: r.count, display: n(r.count) })),
    }),
    tiers: d.membersByTier.map((t) => ({ name: tierName(t.tier), members: n(t.members) })),
    tiersChart: chart({
      id: 'tiers',
      title: i18n.t('dashboard.tiers'),
      desc: i18n.t('dashboard.tiers_chart_desc'),
      bars: d.membersByTier.map((t) => ({ label: tierName(t.tier), value: t.members, display: n(t.members) })),
    }),
    actions: d.openActions.map((a) => ({ action: a.action, state: a.state, stateLabel: i18n.t(`dashboard.action_${a.state}`, { defaultValue: a.state }), count: n(a.count) })),
    recent: d.recent.map((e) => ({
      when: formatDate(i18n.locale, e.createdAt, d.timeZone),
      member: e.memberName ?? e.panelClientId,
      panelClientId: e.panelClientId,
      href: mountUrl(mount, `admin/members/${e.memberId}`),
      kind: e.kind,
      delta: formatSignedInteger(i18n.locale, e.delta),
      actor: e.actor,
    })),
  };
}
