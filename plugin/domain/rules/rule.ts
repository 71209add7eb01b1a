import { z } from 'zod';
import { ITEM_TYPES } from '../billing-event';
import { decimalPattern, parseDecimal, scaleTo, type DecimalLimits } from '../decimal';
import { MAX_MULTIPLIER, RATE_LIMITS } from '../points';
import { fieldProblems, refusal } from '../validation';

/** What a rule is: its types, the params each type takes, and how a stored row is checked. */

export const RULE_TYPES = [
  'product_multiplier',
  'exclusion',
  'promo',
  'renewal_bonus',
  'upgrade_bonus',
  'annual_prepay_bonus',
  'first_purchase',
  'signup',
  'service_upgrade',
  'renewal_streak',
  'action',
] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export const CAP_PERIODS = ['day', 'month', 'year'] as const;
export type CapPeriod = (typeof CAP_PERIODS)[number];

/** How often an action rule may give its bonus: `limit` times ever, or per UTC calendar period of when the actions happened. */
export const ACTION_PERIODS = ['ever', ...CAP_PERIODS] as const;
export type ActionPeriod = (typeof ACTION_PERIODS)[number];

/** Who earns the money of an upgrade: the invoice's upgrade lines, or the `service.upgraded` event. */
export const MONEY_FROM = ['lines', 'event'] as const;

/** Multipliers and rates are exact decimals with at most 4 places, computed scaled by 10^4. */
export const FACTOR_PLACES = 4;
export const FACTOR_SCALE = 10n ** BigInt(FACTOR_PLACES);
const MULTIPLIER_LIMITS: DecimalLimits = { wholeDigits: 3, places: FACTOR_PLACES };
/** Upper bound on a multiplier, scaled: a typo of ×2000 must not pass silently. */
const MAX_SCALED_MULTIPLIER = BigInt(MAX_MULTIPLIER) * FACTOR_SCALE;

/** A multiplier or rate scaled by 10^4 ("1.5" → 15000n); throws on anything else. */
export function scaledFactor(text: string): bigint {
  const d = parseDecimal(text, RATE_LIMITS);
  if (!d) throw new RangeError(`not a decimal with at most 4 places: ${text}`);
  return scaleTo(d, FACTOR_PLACES);
}

const MULTIPLIER_PATTERN = decimalPattern(MULTIPLIER_LIMITS);
const multiplier = z
  .string()
  // Patterns are refinements, not `.regex`: zod's format issue carries no params, so a regex
  // check can't say its reason (`refusal`). Aborts: zod runs later checks after a failed one,
  // and the range check needs a decimal.
  .refine((v) => MULTIPLIER_PATTERN.test(v), { ...refusal('must be a decimal string such as "2" or "1.5"', 'decimal', { example: '1.5' }), abort: true })
  .refine(
    (v) => scaledFactor(v) > FACTOR_SCALE && scaledFactor(v) <= MAX_SCALED_MULTIPLIER,
    refusal(`must be more than 1 and at most ${MAX_MULTIPLIER} (use an exclusion to earn nothing)`, 'multiplier_range', { min: 1, max: MAX_MULTIPLIER }),
  );
const names = z.array(z.string().min(1).max(64)).min(1).max(100);
const percent = z.number().int().min(1).max(1000);
const bonusPoints = z.number().int().min(1).max(1_000_000_000);
/** Provider text shown to members where a list of groups would read badly. */
const label = z.string().min(1).max(64).optional();
const LANGUAGE_KEY = /^[a-z]{2,3}$/;
/** `label` per language (`{ "ru": "выделенные серверы" }`); `label` is the fallback. */
const labels = z
  .record(
    z.string().refine((k) => LANGUAGE_KEY.test(k), refusal('must be a language code such as "ru"', 'language_code', { example: 'ru' })),
    z.string().min(1).max(64),
  )
  .optional();

/** Which invoice lines a rule is about: every selector given must match (none given: refused). */
const selectorShape = {
  item_types: z.array(z.enum(ITEM_TYPES)).min(1).optional(),
  product_groups: names.optional(),
  product_ids: names.optional(),
};
const hasSelector = (p: { item_types?: unknown; product_groups?: unknown; product_ids?: unknown }) =>
  p.item_types !== undefined || p.product_groups !== undefined || p.product_ids !== undefined;
const NEEDS_SELECTOR = refusal('needs at least one of item_types, product_groups, product_ids', 'needs_one_of', { fields: ['item_types', 'product_groups', 'product_ids'] });
/** The refusal of two params of which a rule takes one, given both or neither. */
const exactlyOneOf = (a: string, b: string) => refusal(`needs exactly one of ${a}, ${b}`, 'exactly_one_of', { fields: [a, b] });
const ACTION_KIND = /^[a-z0-9_.-]{1,32}$/;

export const RULE_PARAMS = {
  product_multiplier: z.strictObject({ multiplier, label, labels, ...selectorShape }).refine(hasSelector, NEEDS_SELECTOR),
  exclusion: z.strictObject({ label, labels, ...selectorShape }).refine(hasSelector, NEEDS_SELECTOR),
  promo: z.strictObject({ multiplier, label, labels, product_groups: names.optional(), tiers: names.optional() }),
  renewal_bonus: z.strictObject({ percent }),
  upgrade_bonus: z.strictObject({ percent }),
  annual_prepay_bonus: z.strictObject({
    percent,
    // Domains are billed yearly by nature; prepaying a year of hosting is what this rewards.
    item_types: z.array(z.enum(ITEM_TYPES)).min(1).default(['new', 'renewal', 'addon']),
  }),
  first_purchase: z.strictObject({ points: bonusPoints }),
  signup: z.strictObject({ points: bonusPoints }),
  // `service.upgraded`: a flat bonus or a percentage of the base points the recurring price
  // increase would earn. `money_from` says who earns the money itself: the upgrade invoice's
  // lines (default; the event then earns only the bonus) or the event (the increase earns at
  // the base rate, and invoice lines of type `upgrade` earn nothing while the rule is in force).
  service_upgrade: z
    .strictObject({ points: bonusPoints.optional(), percent: percent.optional(), money_from: z.enum(MONEY_FROM).default('lines'), label })
    .refine((p) => (p.points === undefined) !== (p.percent === undefined), exactlyOneOf('points', 'percent')),
  // `service.renewed`: reached at the `streak`-th on-time renewal in a row (or when on-time
  // renewals in a row cover `months` of service), every time again with `repeat`. A flat bonus
  // or a percentage of the base points of the renewed service's recurring price.
  renewal_streak: z
    .strictObject({
      streak: z.number().int().min(1).max(1000).optional(),
      months: z.number().int().min(1).max(1200).optional(),
      points: bonusPoints.optional(),
      percent: percent.optional(),
      repeat: z.boolean().default(false),
      label,
    })
    .refine((p) => (p.streak === undefined) !== (p.months === undefined), exactlyOneOf('streak', 'months'))
    .refine((p) => (p.points === undefined) !== (p.percent === undefined), exactlyOneOf('points', 'percent')),
  // `action.completed` of `kind`: `points`, at most `limit` times `per` period (or ever).
  action: z.strictObject({
    kind: z.string().refine((k) => ACTION_KIND.test(k), refusal('must be 1–32 characters of a-z, 0-9, _ . -', 'lowercase_id', { max: 32, symbols: '_ . -' })),
    points: bonusPoints,
    per: z.enum(ACTION_PERIODS).default('ever'),
    limit: z.number().int().min(1).max(1000).default(1),
    // What members read for the action ("writing a review"), per language; the kind where none fits.
    label,
    labels,
  }),
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
  if (!params.success) problems.push(...fieldProblems(params.error).map((p) => `params${p.path && `.${p.path}`}: ${p.message}`));
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

/** The ledger `rule` of an award from a stored rule; caps and "once" checks look it up. */
export function ruleKey(rule: Pick<Rule, 'type' | 'id'>): string {
  return `${rule.type}:${rule.id}`;
}
