import { currencyDigits, toDecimalString } from '../money';
import { rateForDisplay, type EarnRates } from '../points';
import { actionNameOf } from './action';
import { BASE_RULE_ALWAYS, type Rule, type RuleSwitch } from './rule';
import { ruleInForce, selectorLabel } from './scope';

/** One "how you earn" line: an i18n key and its parameters. */
export interface RuleLine {
  key: string;
  /**
   * `points` (a number) is a points count: render it with `points_count`. `amount` is a
   * decimal string in `currency`: render it with formatMoney. `until` is an ISO instant: render
   * it as a date. Everything else is shown as is.
   */
  params: Record<string, string | number>;
  /** Set when the rule is capped: a second key (`rules.cap_<period>`) with `points`. */
  cap?: { key: string; params: { points: number } };
  /** The provider's `products` per language (rule param `labels`); `params.products` is the fallback. */
  productLabels?: Readonly<Record<string, string>>;
  /** The provider's `action` per language (action rule param `labels`); `params.action` (its `label`, else its kind) is the fallback. */
  actionLabels?: Readonly<Record<string, string>>;
}

/**
 * "How you earn", generated from what is in force at `now`, so the Rewards tab never
 * describes a rule that is off or over. For `currency` null (not known yet) every line shows;
 * in a currency without a base rate only what does not depend on paying shows (the signup
 * bonus). Promos limited to tiers show only to a member of one of them. With the base rate
 * off or out of its window there is no base line, and of the rules only the fixed bonuses
 * (first purchase, signup) show: everything else builds on the base and would earn nothing.
 */
export function describeRules(
  program: { earnRates: EarnRates; rules: readonly Rule[]; baseRule?: RuleSwitch },
  currency: string | null,
  now: Date,
  member: { tier: string | null } = { tier: null },
): RuleLine[] {
  const lines: RuleLine[] = [];
  const rated = currency === null || program.earnRates[currency] !== undefined;
  const baseRule = program.baseRule ?? BASE_RULE_ALWAYS;
  const baseOn = ruleInForce(baseRule, now);
  const push = (rule: RuleSwitch & { params?: object }, key: string, params: Record<string, string | number>) => {
    const labels = rule.params && 'labels' in rule.params ? (rule.params.labels as Record<string, string> | undefined) : undefined;
    lines.push({
      key,
      params,
      ...(rule.cap && { cap: { key: `rules.cap_${rule.cap.period}`, params: { points: rule.cap.points } } }),
      ...(labels && params.products !== undefined && { productLabels: labels }),
      ...(labels && params.action !== undefined && { actionLabels: labels }),
    });
  };

  if (currency !== null && baseOn) {
    const rate = program.earnRates[currency];
    if (rate === undefined) lines.push({ key: 'rules.base_rate_none', params: {} });
    else {
      const shown = rateForDisplay(rate, currencyDigits(currency) ?? 2);
      push(baseRule, 'rules.base_rate', { points: Number(shown.points), amount: toDecimalString({ currency, minor: shown.perMinor }), currency });
    }
  }
  const sorted = program.rules.filter((r) => ruleInForce(r, now)).sort((a, b) => a.id - b.id);
  for (const r of sorted) {
    if (!rated && r.type !== 'signup') continue;
    if (!baseOn && r.type !== 'signup' && r.type !== 'first_purchase') continue;
    switch (r.type) {
      case 'product_multiplier':
        push(r, 'rules.product_multiplier', { multiplier: r.params.multiplier, products: selectorLabel(r.params) });
        break;
      case 'exclusion':
        push(r, 'rules.exclusion', { products: selectorLabel(r.params) });
        break;
      case 'promo':
        if (r.params.tiers && (member.tier === null || !r.params.tiers.includes(member.tier))) break;
        push(r, r.params.product_groups ? 'rules.promo_products' : 'rules.promo', {
          multiplier: r.params.multiplier,
          until: (r.endsAt as Date).toISOString(),
          ...(r.params.product_groups && { products: r.params.label ?? r.params.product_groups.join(', ') }),
        });
        break;
      case 'renewal_bonus':
      case 'upgrade_bonus':
      case 'annual_prepay_bonus':
        push(r, `rules.${r.type}`, { percent: r.params.percent });
        break;
      case 'first_purchase':
      case 'signup':
        push(r, `rules.${r.type}`, { points: r.params.points });
        break;
      case 'service_upgrade':
        if (r.params.points !== undefined) push(r, 'rules.service_upgrade_points', { points: r.params.points });
        else push(r, 'rules.service_upgrade_percent', { percent: r.params.percent ?? 0 });
        break;
      case 'renewal_streak': {
        const params: Record<string, number> = {};
        if (r.params.streak !== undefined) params.streak = r.params.streak;
        else params.months = r.params.months ?? 0;
        if (r.params.points !== undefined) params.points = r.params.points;
        else params.percent = r.params.percent ?? 0;
        const which = `${r.params.streak !== undefined ? 'streak' : 'months'}_${r.params.points !== undefined ? 'points' : 'percent'}`;
        push(r, `rules.renewal_streak_${which}${r.params.repeat ? '_repeat' : ''}`, params);
        break;
      }
      case 'action':
        push(r, 'rules.action', { points: r.params.points, action: actionNameOf(r).fallback });
        break;
    }
  }
  return lines;
}
