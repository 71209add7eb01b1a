import type { InvoiceItem, ItemType } from '../billing-event';
import type { CapPeriod, Rule, RuleOf, RuleSwitch, RuleType } from './rule';

/** When a rule applies (its window), to which lines (its selector), and the period its cap counts in. */

/** Whether a rule (or the base rate) is in force at an instant: switched on, and inside [startsAt, endsAt). */
export function ruleInForce(rule: RuleSwitch, at: Date): boolean {
  if (!rule.active) return false;
  if (rule.startsAt && at.getTime() < rule.startsAt.getTime()) return false;
  if (rule.endsAt && at.getTime() >= rule.endsAt.getTime()) return false;
  return true;
}

/** The rules of one type in force at `at`, by id: the order their awards are made in. */
export function inForce<K extends RuleType>(rules: readonly Rule[], type: K, at: Date): RuleOf<K>[] {
  return rules.filter((r): r is RuleOf<K> => r.type === type && ruleInForce(r, at)).sort((a, b) => a.id - b.id);
}

/** The UTC calendar period a cap counts in: [from, to). */
export function capPeriodBounds(period: CapPeriod, now: Date): { from: Date; to: Date } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  switch (period) {
    case 'day':
      return { from: new Date(Date.UTC(y, m, d)), to: new Date(Date.UTC(y, m, d + 1)) };
    case 'month':
      return { from: new Date(Date.UTC(y, m, 1)), to: new Date(Date.UTC(y, m + 1, 1)) };
    case 'year':
      return { from: new Date(Date.UTC(y, 0, 1)), to: new Date(Date.UTC(y + 1, 0, 1)) };
  }
}

/**
 * Billing cycles of twelve months or more. Day and week cycles never count: 52 weeks is not a
 * year, and panels bill yearly prepay as months or years.
 */
export function isAnnualOrLonger(cycle: string | undefined): boolean {
  if (!cycle) return false;
  if (cycle === 'annually' || cycle === 'biennially' || cycle === 'triennially') return true;
  const m = /^([1-9]\d{0,2})([my])$/.exec(cycle);
  if (!m) return false;
  return m[2] === 'y' || Number(m[1]) >= 12;
}

export type Selector = { item_types?: readonly ItemType[]; product_groups?: readonly string[]; product_ids?: readonly string[] };

export function lineMatches(item: InvoiceItem, s: Selector): boolean {
  if (s.item_types && !s.item_types.includes(item.type)) return false;
  if (s.product_groups && (item.productGroup === undefined || !s.product_groups.includes(item.productGroup))) return false;
  if (s.product_ids && (item.productId === undefined || !s.product_ids.includes(item.productId))) return false;
  return true;
}

/** What a selector is about, in the provider's words where they gave some. */
export function selectorLabel(s: Selector & { label?: string }): string {
  return s.label ?? [...(s.product_groups ?? []), ...(s.product_ids ?? []), ...(s.item_types ?? [])].join(', ');
}
