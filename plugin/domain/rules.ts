import { z } from 'zod';
import { ITEM_TYPES, type Invoice, type InvoiceItem, type ItemType } from './billing-event';
import { earningLines } from './earning';
import { currencyDigits, toDecimalString, type Money } from './money';
import { RATE_PATTERN, rateForDisplay, type EarnRates } from './points';

/**
 * Earning rules: pure functions of (invoice or event, member, rules, rates, instant, cap usage)
 * → awards. No I/O; the earning service reads the inputs and writes each award to the ledger.
 *
 * How an invoice earns, in this order:
 *  1. Lines. Funding lines (add_funds, mass_pay) earn nothing; the credit-paid part is spread
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

export const RULE_TYPES = [
  'product_multiplier',
  'exclusion',
  'promo',
  'renewal_bonus',
  'upgrade_bonus',
  'annual_prepay_bonus',
  'first_purchase',
  'signup',
] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export const CAP_PERIODS = ['day', 'month', 'year'] as const;
export type CapPeriod = (typeof CAP_PERIODS)[number];

/** Multipliers and rates are exact decimals scaled by 10^4 (at most 4 decimals). */
const SCALE = 10_000n;
const MULTIPLIER_PATTERN = /^(0|[1-9]\d{0,2})(?:\.(\d{1,4}))?$/;
/** Upper bound on a multiplier: a typo of ×2000 must not pass silently. */
const MAX_MULTIPLIER = 100n * SCALE;

export function scaledDecimal(text: string): bigint {
  const m = MULTIPLIER_PATTERN.exec(text) ?? RATE_PATTERN.exec(text);
  if (!m) throw new RangeError(`not a decimal with at most 4 places: ${text}`);
  return BigInt(m[1] as string) * SCALE + BigInt((m[2] ?? '').padEnd(4, '0'));
}

const multiplier = z
  .string()
  .regex(MULTIPLIER_PATTERN, 'must be a decimal string such as "2" or "1.5"')
  .refine((v) => scaledDecimal(v) > SCALE && scaledDecimal(v) <= MAX_MULTIPLIER, {
    message: 'must be more than 1 and at most 100 (use an exclusion to earn nothing)',
  });
const names = z.array(z.string().min(1).max(64)).min(1).max(100);
const percent = z.number().int().min(1).max(1000);
const bonusPoints = z.number().int().min(1).max(1_000_000_000);
/** Provider text shown to members where a list of groups would read badly. */
const label = z.string().min(1).max(64).optional();

/** Which invoice lines a rule is about: every selector given must match (none given: refused). */
const selectorShape = {
  item_types: z.array(z.enum(ITEM_TYPES)).min(1).optional(),
  product_groups: names.optional(),
  product_ids: names.optional(),
};
const hasSelector = (p: { item_types?: unknown; product_groups?: unknown; product_ids?: unknown }) =>
  p.item_types !== undefined || p.product_groups !== undefined || p.product_ids !== undefined;
const NEEDS_SELECTOR = { message: 'needs at least one of item_types, product_groups, product_ids' };

export const RULE_PARAMS = {
  product_multiplier: z.strictObject({ multiplier, label, ...selectorShape }).refine(hasSelector, NEEDS_SELECTOR),
  exclusion: z.strictObject({ label, ...selectorShape }).refine(hasSelector, NEEDS_SELECTOR),
  promo: z.strictObject({ multiplier, label, product_groups: names.optional(), tiers: names.optional() }),
  renewal_bonus: z.strictObject({ percent }),
  upgrade_bonus: z.strictObject({ percent }),
  annual_prepay_bonus: z.strictObject({
    percent,
    // Domains are billed yearly by nature; prepaying a year of hosting is what this rewards.
    item_types: z.array(z.enum(ITEM_TYPES)).min(1).default(['new', 'renewal', 'addon']),
  }),
  first_purchase: z.strictObject({ points: bonusPoints }),
  signup: z.strictObject({ points: bonusPoints }),
} satisfies Record<RuleType, z.ZodType>;

export type RuleParams = { [K in RuleType]: z.output<(typeof RULE_PARAMS)[K]> };

/** On/off, window and cap: what every rule has, and all the base rate has. */
export interface RuleSwitch {
  active: boolean;
  /** Inclusive; null = since ever. */
  startsAt: Date | null;
  /** Exclusive; null = until further notice. */
  endsAt: Date | null;
  cap: { points: number; period: CapPeriod } | null;
}
interface RuleCommon extends RuleSwitch {
  id: number;
}
export type Rule = { [K in RuleType]: RuleCommon & { type: K; params: RuleParams[K] } }[RuleType];
export type RuleOf<K extends RuleType> = Extract<Rule, { type: K }>;

/** A rule as stored: params still JSON text, nothing checked yet. */
export interface StoredRule {
  id: number;
  type: string;
  params: string;
  active: boolean;
  startsAt: Date | null;
  endsAt: Date | null;
  capPoints: number | null;
  capPeriod: string | null;
}

export type RuleParse = { ok: true; rule: Rule } | { ok: false; problems: string[] };

/** Validates a stored rule; every problem is named so the provider can fix the row. */
export function parseRule(row: StoredRule): RuleParse {
  const problems: string[] = [];
  if (!(RULE_TYPES as readonly string[]).includes(row.type)) {
    return { ok: false, problems: [`type: must be one of ${RULE_TYPES.join(', ')}`] };
  }
  const type = row.type as RuleType;
  let json: unknown;
  try {
    json = JSON.parse(row.params);
  } catch {
    return { ok: false, problems: ['params: is not valid JSON'] };
  }
  const params = RULE_PARAMS[type].safeParse(json);
  if (!params.success) problems.push(...params.error.issues.map((i) => `params${i.path.map((p) => `.${String(p)}`).join('')}: ${i.message}`));
  if (row.startsAt && row.endsAt && row.endsAt <= row.startsAt) problems.push('ends_at: must be after starts_at');
  if (type === 'promo' && (!row.startsAt || !row.endsAt)) problems.push('starts_at, ends_at: a promo needs both (it runs between two instants)');
  if ((row.capPoints === null) !== (row.capPeriod === null)) problems.push('cap_points, cap_period: set both or neither');
  if (row.capPoints !== null && (!Number.isSafeInteger(row.capPoints) || row.capPoints < 1)) problems.push('cap_points: must be a positive integer');
  if (row.capPeriod !== null && !(CAP_PERIODS as readonly string[]).includes(row.capPeriod)) problems.push(`cap_period: must be one of ${CAP_PERIODS.join(', ')}`);
  if (problems.length > 0 || !params.success) return { ok: false, problems };
  const cap = row.capPoints !== null && row.capPeriod !== null ? { points: row.capPoints, period: row.capPeriod as CapPeriod } : null;
  return {
    ok: true,
    rule: { id: row.id, type, params: params.data, active: row.active, startsAt: row.startsAt, endsAt: row.endsAt, cap } as Rule,
  };
}

/** The base rate as it was before it had a switch: always on, no window, no cap (the seeded default). */
export const BASE_RULE_ALWAYS: RuleSwitch = { active: true, startsAt: null, endsAt: null, cap: null };

/** The ledger `rule` of base awards; its cap counts entries by it. Stable: existing entries carry it. */
export const BASE_RATE_KEY = 'base_rate';

/** Whether a rule (or the base rate) is in force at an instant: switched on, and inside [startsAt, endsAt). */
export function ruleInForce(rule: RuleSwitch, at: Date): boolean {
  if (!rule.active) return false;
  if (rule.startsAt && at.getTime() < rule.startsAt.getTime()) return false;
  if (rule.endsAt && at.getTime() >= rule.endsAt.getTime()) return false;
  return true;
}

function inForce<K extends RuleType>(rules: readonly Rule[], type: K, at: Date): RuleOf<K>[] {
  return rules.filter((r): r is RuleOf<K> => r.type === type && ruleInForce(r, at)).sort((a, b) => a.id - b.id);
}

/** The ledger `rule` of an award from a stored rule; caps and "once" checks look it up. */
export function ruleKey(rule: Pick<Rule, 'type' | 'id'>): string {
  return `${rule.type}:${rule.id}`;
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

type Selector = { item_types?: readonly ItemType[]; product_groups?: readonly string[]; product_ids?: readonly string[] };

export function lineMatches(item: InvoiceItem, s: Selector): boolean {
  if (s.item_types && !s.item_types.includes(item.type)) return false;
  if (s.product_groups && (item.productGroup === undefined || !s.product_groups.includes(item.productGroup))) return false;
  if (s.product_ids && (item.productId === undefined || !s.product_ids.includes(item.productId))) return false;
  return true;
}

/** What the rules need to know about the member, and nothing else. */
export interface MemberContext {
  /** No invoice of theirs has earned yet, and they have had no first-purchase bonus. */
  isFirstPurchase: boolean;
  /** The tier's earn multiplier as a decimal string (≥ 1). */
  tierMultiplier: string;
  /** The tier's name, for promos limited to tiers; null when the member has no tier. */
  tier: string | null;
}

export interface Award {
  /** The ledger `rule`: `base_rate`, `tier_multiplier`, or `<type>:<rule id>`. */
  rule: string;
  ruleId: number | null;
  points: number;
  kind: 'earn' | 'bonus';
  /** An i18n key under `reason.`. */
  reasonCode: string;
  params: Record<string, string | number>;
}

/** Points already credited this cap period, by rule id. */
export type CapUsage = ReadonlyMap<number, number>;

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
  | { kind: 'awards'; awards: Award[]; basis: Money; rate: string };

function toPoints(numerator: bigint, denominator: bigint): number {
  const points = numerator / denominator;
  if (points > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`an award of ${points} points is out of range`);
  return Number(points);
}

function products(s: Selector & { label?: string }): string {
  return s.label ?? [...(s.product_groups ?? []), ...(s.product_ids ?? []), ...(s.item_types ?? [])].join(', ');
}

/**
 * Caps each award of a capped rule to what is left of its cap; drops awards of 0. The base
 * award (`ruleId` null) is capped by `base` when given.
 */
export function applyCaps(
  awards: readonly Award[],
  rules: readonly Rule[],
  usage: CapUsage = new Map(),
  base: { cap: RuleSwitch['cap']; used: number } = { cap: null, used: 0 },
): Award[] {
  const byId = new Map(rules.map((r) => [r.id, r]));
  const used = new Map(usage);
  let baseUsed = base.used;
  const out: Award[] = [];
  for (const a of awards) {
    const cap = a.ruleId === null ? null : byId.get(a.ruleId)?.cap;
    let points = a.points;
    if (cap && a.ruleId !== null) {
      const already = used.get(a.ruleId) ?? 0;
      points = Math.max(0, Math.min(points, cap.points - already));
      used.set(a.ruleId, already + points);
    } else if (base.cap && a.rule === BASE_RATE_KEY) {
      points = Math.max(0, Math.min(points, base.cap.points - baseUsed));
      baseUsed += points;
    }
    // A reason that names the points (a fixed bonus) must name what was actually given.
    const params = { ...a.params, ...('points' in a.params && { points }), capped: 1 };
    if (points > 0) out.push(points === a.points ? a : { ...a, points, params });
  }
  return out;
}

/** Every award a paid invoice earns (see the order at the top of this file). */
export function evaluateInvoice(input: InvoiceInput): InvoiceEvaluation {
  const { invoice, member, rules, rates, at } = input;
  const rate = rates[invoice.currency];
  const digits = currencyDigits(invoice.currency);
  if (rate === undefined || digits === undefined || !RATE_PATTERN.test(rate)) return { kind: 'no_rate', currency: invoice.currency };
  const tier = scaledDecimal(member.tierMultiplier);
  if (tier < SCALE) throw new RangeError(`a tier multiplier below 1 is not supported: ${member.tierMultiplier}`);

  const baseRule = input.baseRule ?? BASE_RULE_ALWAYS;
  // Out of force, the base rate is 0: so is every layer and percentage built on it.
  const R = ruleInForce(baseRule, at) ? scaledDecimal(rate) : 0n;
  const S = SCALE;
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
    candidates.reduce<T | null>((b, r) => (b === null || scaledDecimal(r.params.multiplier) > scaledDecimal(b.params.multiplier) ? r : b), null);

  const lines: Line[] = earningLines(invoice)
    .filter((l) => l.net > 0 && !exclusions.some((x) => lineMatches(l.item, x.params)))
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
  const m = (r: { params: { multiplier: string } } | null) => (r ? scaledDecimal(r.params.multiplier) : S);
  const base = (l: Line) => l.net * R * S * S * S;
  const withProduct = (l: Line) => l.net * R * m(l.product) * S * S;
  const withPromo = (l: Line) => l.net * R * m(l.product) * m(l.promo) * S;
  const full = (l: Line) => l.net * R * m(l.product) * m(l.promo) * tier;

  const awards: Award[] = [];
  const inv = invoice.id;
  let running = 0n;
  const layer = (extra: bigint, make: (points: number) => Award) => {
    const before = running / D;
    running += extra;
    const points = toPoints(running, D) - Number(before);
    if (points > 0) awards.push(make(points));
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
        params: { invoice: inv, multiplier: r.params.multiplier, products: products(r.params) },
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
    const points = toPoints(baseOfLines * BigInt(r.params.percent), D * 100n);
    if (points > 0) {
      awards.push({ rule: ruleKey(r), ruleId: r.id, points, kind: 'bonus', reasonCode: r.type, params: { invoice: inv, percent: r.params.percent } });
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
    awards.push({
      rule: ruleKey(first),
      ruleId: first.id,
      points: first.params.points,
      kind: 'bonus',
      reasonCode: 'first_purchase',
      params: { invoice: inv, points: first.params.points },
    });
  }
  const baseCap = { cap: baseRule.cap, used: input.baseCapUsed ?? 0 };
  return { kind: 'awards', awards: applyCaps(awards, rules, input.capUsage, baseCap), basis, rate };
}

/** The signup bonus on `client.created`: once per member, from the first signup rule in force. */
export function evaluateSignup(input: { rules: readonly Rule[]; at: Date; alreadyAwarded: boolean; capUsage?: CapUsage }): Award[] {
  const rule = inForce(input.rules, 'signup', input.at)[0];
  if (!rule || input.alreadyAwarded) return [];
  const award: Award = {
    rule: ruleKey(rule),
    ruleId: rule.id,
    points: rule.params.points,
    kind: 'bonus',
    reasonCode: 'signup',
    params: { points: rule.params.points },
  };
  return applyCaps([award], input.rules, input.capUsage);
}

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
  const push = (rule: RuleSwitch, key: string, params: Record<string, string | number>) =>
    lines.push({ key, params, ...(rule.cap && { cap: { key: `rules.cap_${rule.cap.period}`, params: { points: rule.cap.points } } }) });

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
        push(r, 'rules.product_multiplier', { multiplier: r.params.multiplier, products: products(r.params) });
        break;
      case 'exclusion':
        push(r, 'rules.exclusion', { products: products(r.params) });
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
    }
  }
  return lines;
}
