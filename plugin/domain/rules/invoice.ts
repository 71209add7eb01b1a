import type { Invoice, InvoiceItem } from '../billing-event';
import { earningLines } from '../earning';
import { currencyDigits, toDecimalString, type Money } from '../money';
import { MAX_POINTS, parseRate, type EarnRates } from '../points';
import { applyCaps, type Award, type CapUsage } from './award';
import { BASE_RATE_KEY, BASE_RULE_ALWAYS, FACTOR_SCALE, ruleKey, scaledFactor, type Rule, type RuleOf, type RuleSwitch } from './rule';
import { upgradeMoneyFromEvent } from './lifecycle';
import { inForce, isAnnualOrLonger, lineMatches, ruleInForce, selectorLabel } from './scope';

/**
 * How an invoice earns, in this order:
 *  1. Lines. Funding lines (add_funds, mass_pay) earn nothing, nor do upgrade lines while a
 *     `service_upgrade` rule in force says the event earns the money; the credit-paid part is spread
 *     over the purchase lines (see `earningLines`); lines matched by an active `exclusion` earn
 *     nothing at all (no base, no multiplier, no bonus).
 *  2. Per line, exactly: net × base rate × product multiplier × promo multiplier × tier
 *     multiplier. Where several product multipliers (or several promos) match a line, the
 *     highest wins: they don't compound, so two overlapping rules never surprise the provider.
 *  3. That product is split into awards, one ledger entry each: `base_rate`, then each
 *     `product_multiplier:<id>` (by id), each `promo:<id>` (by id), then `tier_multiplier`.
 *     Each award is the increase its layer brings to the running exact total, floored on the
 *     running total, so no fraction is lost between awards: their sum is always
 *     floor(exact total), and the base award alone is floor(Σ net × rate), as before rules.
 *  4. Bonuses, each its own award floored once over its lines: renewal, upgrade and
 *     annual-prepay bonuses are a percentage of those lines' *base* points (before
 *     multipliers, so a promo does not also double a bonus); the first-purchase bonus is a
 *     fixed number of points.
 *  5. Caps last: an award of a capped rule is cut to what is left of its cap for the period.
 *  6. Bounds: awards above `MAX_POINTS` in all before caps are no result to round or cut (the
 *     rates or the amounts are wrong): `too_many_points`, which the caller refuses.
 *
 * The base rate itself has a switch, a window and a cap (a `RuleSwitch`, program setting
 * `base_rule`; the per-currency rates stay in `earn_rates`). Out of force, the rate counts as 0:
 * no base award, so nothing that multiplies or is a percentage of it (product, promo and tier
 * layers, renewal/upgrade/annual bonuses); fixed bonuses (first purchase) are their own rules.
 * Its cap cuts the `base_rate` award only, like any rule's cap cuts that rule's award.
 *
 * Which rules apply is decided at the purchase instant (`at`); a rule's window and a promo's
 * window include their start and exclude their end, so back-to-back windows never overlap.
 */

/** What the rules need to know about the member, and nothing else. */
export interface MemberContext {
  /** No invoice of theirs has earned yet, and they have had no first-purchase bonus. */
  isFirstPurchase: boolean;
  /** The tier's earn multiplier as a decimal string (≥ 1). */
  tierMultiplier: string;
  /** The tier's name, for promos limited to tiers; null when the member has no tier. */
  tier: string | null;
}

export interface InvoiceInput {
  invoice: Invoice;
  member: MemberContext;
  rules: readonly Rule[];
  rates: EarnRates;
  /** The purchase instant: decides which rules and promos are in force. */
  at: Date;
  capUsage?: CapUsage;
  /** The base rate's switch, window and cap; default: always on, uncapped. */
  baseRule?: RuleSwitch;
  /** Points `base_rate` already credited this member in the base cap's current period. */
  baseCapUsed?: number;
}

export type InvoiceEvaluation =
  | { kind: 'no_rate'; currency: string }
  | { kind: 'awards'; awards: Award[]; basis: Money; rate: string }
  /** More than `MAX_POINTS` before caps: refused, not rounded or cut (the settings or the amounts are wrong). */
  | { kind: 'too_many_points'; points: bigint };

/** Every award a paid invoice earns (see the order at the top of this file). */
export function evaluateInvoice(input: InvoiceInput): InvoiceEvaluation {
  const { invoice, member, rules, rates, at } = input;
  const rate = rates[invoice.currency];
  const digits = currencyDigits(invoice.currency);
  if (rate === undefined || digits === undefined || parseRate(rate) === null) return { kind: 'no_rate', currency: invoice.currency };
  const tier = scaledFactor(member.tierMultiplier);
  if (tier < FACTOR_SCALE) throw new RangeError(`a tier multiplier below 1 is not supported: ${member.tierMultiplier}`);

  const baseRule = input.baseRule ?? BASE_RULE_ALWAYS;
  // Out of force, the base rate is 0: so is every layer and percentage built on it.
  const R = ruleInForce(baseRule, at) ? scaledFactor(rate) : 0n;
  const S = FACTOR_SCALE;
  // Exact points = numerator / D for every layer; D carries the four scaled factors.
  const D = 10n ** BigInt(digits) * S * S * S * S;

  const exclusions = inForce(rules, 'exclusion', at);
  const multipliers = inForce(rules, 'product_multiplier', at);
  const promos = inForce(rules, 'promo', at).filter(
    (p) => p.params.tiers === undefined || (member.tier !== null && p.params.tiers.includes(member.tier)),
  );

  interface Line {
    item: InvoiceItem;
    net: bigint;
    product: RuleOf<'product_multiplier'> | null;
    promo: RuleOf<'promo'> | null;
  }
  const best = <T extends { params: { multiplier: string } }>(candidates: T[]): T | null =>
    candidates.reduce<T | null>((b, r) => (b === null || scaledFactor(r.params.multiplier) > scaledFactor(b.params.multiplier) ? r : b), null);

  // Where `service.upgraded` earns the money of upgrades, the invoice's upgrade lines don't:
  // the same money never earns twice (rules/lifecycle.ts).
  const upgradesOnEvent = upgradeMoneyFromEvent(rules, at);
  const lines: Line[] = earningLines(invoice)
    .filter((l) => l.net > 0 && !exclusions.some((x) => lineMatches(l.item, x.params)))
    .filter((l) => !(upgradesOnEvent && l.item.type === 'upgrade'))
    .map((l) => ({
      item: l.item,
      net: BigInt(l.net),
      product: best(multipliers.filter((r) => lineMatches(l.item, r.params))),
      promo: best(
        promos.filter((p) => p.params.product_groups === undefined || (l.item.productGroup !== undefined && p.params.product_groups.includes(l.item.productGroup))),
      ),
    }));
  const basisMinor = lines.reduce((s, l) => s + l.net, 0n);
  const basis: Money = { currency: invoice.currency, minor: Number(basisMinor) };
  const m = (r: { params: { multiplier: string } } | null) => (r ? scaledFactor(r.params.multiplier) : S);
  const base = (l: Line) => l.net * R * S * S * S;
  const withProduct = (l: Line) => l.net * R * m(l.product) * S * S;
  const withPromo = (l: Line) => l.net * R * m(l.product) * m(l.promo) * S;
  const full = (l: Line) => l.net * R * m(l.product) * m(l.promo) * tier;

  // Exact points first, each award made once the event's total is known to be in bounds.
  const found: Array<{ points: bigint; make: (points: number) => Award }> = [];
  // The reasons name the invoice as the customer knows it: the panel's number when it sent one.
  const inv = invoice.number ?? invoice.id;
  let running = 0n;
  const layer = (extra: bigint, make: (points: number) => Award) => {
    const before = running / D;
    running += extra;
    const points = running / D - before;
    if (points > 0n) found.push({ points, make });
  };

  layer(
    lines.reduce((s, l) => s + base(l), 0n),
    (points) => ({
      rule: BASE_RATE_KEY,
      ruleId: null,
      points,
      kind: 'earn',
      reasonCode: 'invoice_paid',
      params: { invoice: inv, amount: toDecimalString(basis), currency: invoice.currency, rate },
    }),
  );
  for (const r of multipliers) {
    const mine = lines.filter((l) => l.product === r);
    if (mine.length === 0) continue;
    layer(
      mine.reduce((s, l) => s + withProduct(l) - base(l), 0n),
      (points) => ({
        rule: ruleKey(r),
        ruleId: r.id,
        points,
        kind: 'earn',
        reasonCode: 'product_multiplier',
        params: { invoice: inv, multiplier: r.params.multiplier, products: selectorLabel(r.params) },
      }),
    );
  }
  for (const r of promos) {
    const mine = lines.filter((l) => l.promo === r);
    if (mine.length === 0) continue;
    layer(
      mine.reduce((s, l) => s + withPromo(l) - withProduct(l), 0n),
      (points) => ({
        rule: ruleKey(r),
        ruleId: r.id,
        points,
        kind: 'earn',
        reasonCode: 'promo',
        params: { invoice: inv, multiplier: r.params.multiplier, ...(r.params.label && { name: r.params.label }) },
      }),
    );
  }
  if (tier > S) {
    layer(
      lines.reduce((s, l) => s + full(l) - withPromo(l), 0n),
      (points) => ({
        rule: 'tier_multiplier',
        ruleId: null,
        points,
        kind: 'earn',
        reasonCode: 'tier_multiplier',
        params: { invoice: inv, multiplier: member.tierMultiplier, tier: member.tier ?? '' },
      }),
    );
  }

  const percentBonus = (r: RuleOf<'renewal_bonus' | 'upgrade_bonus' | 'annual_prepay_bonus'>, which: (l: Line) => boolean) => {
    const baseOfLines = lines.filter(which).reduce((s, l) => s + base(l), 0n);
    const points = (baseOfLines * BigInt(r.params.percent)) / (D * 100n);
    if (points > 0n) {
      found.push({ points, make: (p) => ({ rule: ruleKey(r), ruleId: r.id, points: p, kind: 'bonus', reasonCode: r.type, params: { invoice: inv, percent: r.params.percent } }) });
    }
  };
  for (const r of inForce(rules, 'renewal_bonus', at)) percentBonus(r, (l) => l.item.type === 'renewal');
  for (const r of inForce(rules, 'upgrade_bonus', at)) percentBonus(r, (l) => l.item.type === 'upgrade');
  for (const r of inForce(rules, 'annual_prepay_bonus', at)) {
    percentBonus(r, (l) => r.params.item_types.includes(l.item.type) && isAnnualOrLonger(l.item.billingCycle));
  }
  // Once per member, so only the first rule in force gives it; an invoice that earns on
  // nothing (all credit, all excluded) is not a purchase.
  const first = inForce(rules, 'first_purchase', at)[0];
  if (first && member.isFirstPurchase && basisMinor > 0n) {
    found.push({
      points: BigInt(first.params.points),
      make: (points) => ({ rule: ruleKey(first), ruleId: first.id, points, kind: 'bonus', reasonCode: 'first_purchase', params: { invoice: inv, points } }),
    });
  }
  const total = found.reduce((s, f) => s + f.points, 0n);
  if (total > BigInt(MAX_POINTS)) return { kind: 'too_many_points', points: total };
  const awards = found.map((f) => f.make(Number(f.points)));
  const baseCap = { cap: baseRule.cap, used: input.baseCapUsed ?? 0 };
  return { kind: 'awards', awards: applyCaps(awards, rules, input.capUsage, baseCap), basis, rate };
}
