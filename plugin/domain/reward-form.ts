import { parseMoney, toDecimalString } from './money';
import { REWARD_KINDS, type PromoSpec, type Reward, type RewardKind } from './rewards';
import { parseWallDateTime, wallDateTimeText } from './time-zone';
import { isBlankText, problem, textProblem, type FieldProblem } from './validation';

/**
 * The owner's rewards catalog form, posted as strings: every field of a reward judged, each
 * problem named by its field. Pure, so the rules are tested without a database or a page.
 *
 * Field names: `kind`, `pricing` (fixed or flexible; both chosen when the reward is made and
 * kept after, since redemptions refer to them), `name_<language>`, `description_<language>`,
 * `cost_points` (fixed) or `step_points` and `min_points` (flexible), `value_<currency>`
 * (minor-unit amounts as decimals; for a flexible reward the value of one step), `min_tier_rank`,
 * `stock`, `limit_per_month`, `limit_total`, `starts_at` and `ends_at` (date and time on the
 * program's clock), `active`, and `promo_type`, `promo_percent`, `promo_valid_days`.
 */
export type RewardDraft = Omit<Reward, 'id'>;

export type JudgedReward = { ok: true; value: RewardDraft } | { ok: false; problems: FieldProblem[] };

export const REWARD_PRICINGS = ['fixed', 'flexible'] as const;
export type RewardPricing = (typeof REWARD_PRICINGS)[number];
export const PROMO_TYPES = ['percent', 'amount'] as const;

export const MAX_REWARD_POINTS = 1_000_000_000;
export const MAX_REWARD_LIMIT = 1_000_000;
export const MAX_REWARD_NAME = 120;
export const MAX_REWARD_DESCRIPTION = 1_000;
export const MAX_PROMO_VALID_DAYS = 3_650;

export interface RewardFormContext {
  /** The reward being edited; absent when a new one is made. */
  reward?: RewardDraft;
  /** The languages with a name and description field; `defaultLanguage` must have a name. */
  languages: readonly string[];
  defaultLanguage: string;
  /** The currencies with a value field. */
  currencies: readonly string[];
  /** The tier ranks a minimum tier may name. */
  tierRanks: readonly number[];
  timeZone: string;
}

export const pricingOf = (reward: Pick<RewardDraft, 'costPoints'>): RewardPricing => (reward.costPoints === null ? 'flexible' : 'fixed');

const text = (n: number | null | undefined): string => (n === null || n === undefined ? '' : String(n));

/** The form's text for a reward as stored (or blank, for a new one): what an editor starts from. */
export function rewardFormValues(reward: RewardDraft | undefined, ctx: Pick<RewardFormContext, 'languages' | 'currencies' | 'timeZone'>): Record<string, string> {
  const values: Record<string, string> = {
    kind: reward?.kind ?? 'credit',
    pricing: reward ? pricingOf(reward) : 'fixed',
    cost_points: text(reward?.costPoints),
    step_points: text(reward?.stepPoints),
    min_points: text(reward?.minPoints),
    min_tier_rank: text(reward?.minTierRank),
    stock: text(reward?.stock),
    limit_per_month: text(reward?.limitPerMonth),
    limit_total: text(reward?.limitTotal),
    starts_at: reward?.startsAt ? wallDateTimeText(reward.startsAt, ctx.timeZone) : '',
    ends_at: reward?.endsAt ? wallDateTimeText(reward.endsAt, ctx.timeZone) : '',
    active: String(reward?.active ?? false),
    promo_type: reward?.promo?.type ?? '',
    promo_percent: text(reward?.promo?.percent),
    promo_valid_days: text(reward?.promo?.validDays),
  };
  const languages = new Set([...ctx.languages, ...Object.keys(reward?.names ?? {})]);
  for (const language of languages) {
    values[`name_${language}`] = reward?.names[language] ?? '';
    values[`description_${language}`] = reward?.descriptions[language] ?? '';
  }
  for (const currency of new Set([...ctx.currencies, ...Object.keys(reward?.values ?? {})])) {
    const minor = reward?.values[currency];
    values[`value_${currency}`] = minor === undefined ? '' : toDecimalString({ currency, minor });
  }
  return values;
}

/**
 * Judges a posted reward form. A field the post leaves out keeps its stored value, so a form
 * that shows only some fields changes only those. Nothing is judged half: either every field
 * holds and the whole reward comes back, or each field at fault is named.
 */
export function judgeRewardForm(body: Readonly<Record<string, unknown>>, ctx: RewardFormContext): JudgedReward {
  const problems: FieldProblem[] = [];
  const stored = rewardFormValues(ctx.reward, ctx);
  const form: Record<string, string> = { ...stored };
  for (const [name, value] of Object.entries(body)) {
    if (typeof value === 'string') form[name] = value.trim();
    else if (value !== undefined && Object.hasOwn(stored, name)) problems.push(problem(name, 'must be a single value', 'wrong_type'));
  }
  // A field posted twice is a broken client, not a value to judge.
  if (problems.length > 0) return { ok: false, problems };
  const field = (name: string): string => form[name] ?? '';

  // What a reward is can't change once made: its redemptions and their terms refer to it.
  const kind = (ctx.reward ? ctx.reward.kind : field('kind')) as RewardKind;
  if (!(REWARD_KINDS as readonly string[]).includes(kind)) problems.push(problem('kind', `must be one of ${REWARD_KINDS.join(', ')}`, 'one_of', { values: REWARD_KINDS }));
  const pricing = ctx.reward ? pricingOf(ctx.reward) : field('pricing');
  if (!(REWARD_PRICINGS as readonly string[]).includes(pricing)) problems.push(problem('pricing', `must be one of ${REWARD_PRICINGS.join(', ')}`, 'one_of', { values: REWARD_PRICINGS }));
  // "Any amount" is credit's: a code or a perk is one thing at one price.
  else if (!ctx.reward && pricing === 'flexible' && kind !== 'credit') problems.push(problem('pricing', 'must be fixed for a promo code or a perk', 'one_of', { values: ['fixed'] }));

  const names: Record<string, string> = {};
  const descriptions: Record<string, string> = {};
  // Only the fields the form has: a posted `name_xx` for a language the form lacks is no name.
  for (const name of Object.keys(stored)) {
    const language = /^(name|description)_(.+)$/.exec(name);
    if (!language?.[2]) continue;
    const value = field(name);
    const isName = language[1] === 'name';
    const bad = textProblem(name, value, isName ? { max: MAX_REWARD_NAME } : { max: MAX_REWARD_DESCRIPTION, multiline: true });
    if (bad) problems.push(bad);
    else if (!isBlankText(value)) (isName ? names : descriptions)[language[2]] = value;
  }
  const defaultName = `name_${ctx.defaultLanguage}`;
  if (!names[ctx.defaultLanguage] && !problems.some((p) => p.path === defaultName)) {
    problems.push(problem(defaultName, `is required in the program's default language (${ctx.defaultLanguage})`, 'required'));
  }

  const points = (name: string, min: number): number | null => {
    const value = field(name);
    if (/^\d{1,10}$/.test(value) && Number(value) >= min && Number(value) <= MAX_REWARD_POINTS) return Number(value);
    problems.push(problem(name, `must be a whole number of points from ${min} to ${MAX_REWARD_POINTS}`, 'between', { min, max: MAX_REWARD_POINTS }));
    return null;
  };
  let costPoints: number | null = null;
  let stepPoints: number | null = null;
  let minPoints: number | null = null;
  if (pricing === 'fixed') costPoints = points('cost_points', 1);
  else if (pricing === 'flexible') {
    stepPoints = points('step_points', 1);
    minPoints = field('min_points') === '' ? stepPoints : points('min_points', 1);
    if (stepPoints !== null && minPoints !== null && minPoints % stepPoints !== 0) {
      problems.push(problem('min_points', `must be a multiple of the step (${stepPoints})`, 'multiple_of', { step: stepPoints }));
    }
  }

  const promo = judgePromo(kind, field, problems);

  const values: Record<string, number> = {};
  for (const name of Object.keys(stored)) {
    const currency = /^value_(.+)$/.exec(name)?.[1];
    const value = field(name);
    if (!currency || value === '') continue;
    const money = parseMoney(value, currency);
    const example = toDecimalString({ currency, minor: 500 });
    if (!money.ok) problems.push(problem(name, money.message, 'amount', { currency, example }));
    else if (money.value.minor <= 0) problems.push(problem(name, 'must be more than 0, or blank for no value in this currency', 'at_least', { min: toDecimalString({ currency, minor: 1 }) }));
    else values[currency] = money.value.minor;
  }
  // A percentage code is worth no money; anything else given in no currency could never be
  // redeemed. A value refused above is already named: "required" beside it would mislead.
  if (Object.keys(values).length === 0 && promo?.type !== 'percent' && !problems.some((p) => p.path.startsWith('value_'))) {
    problems.push(problem('values', 'needs a value in at least one currency', 'required'));
  }

  const count = (name: string, min: number, max: number): number | null => {
    const value = field(name);
    if (value === '') return null;
    if (/^\d{1,10}$/.test(value) && Number(value) >= min && Number(value) <= max) return Number(value);
    problems.push(problem(name, `must be blank or a whole number from ${min} to ${max}`, 'between', { min, max }));
    return null;
  };
  const stock = count('stock', 0, MAX_REWARD_POINTS);
  const limitPerMonth = count('limit_per_month', 1, MAX_REWARD_LIMIT);
  const limitTotal = count('limit_total', 1, MAX_REWARD_LIMIT);

  let minTierRank: number | null = null;
  const rank = field('min_tier_rank');
  if (rank !== '') {
    if (ctx.tierRanks.map(String).includes(rank)) minTierRank = Number(rank);
    else problems.push(problem('min_tier_rank', 'must be one of the tiers, or blank for everyone', 'one_of', { values: ctx.tierRanks.map(String) }));
  }

  const instant = (name: 'starts_at' | 'ends_at', storedAt: Date | null | undefined): Date | null => {
    const value = field(name);
    if (value === '') return null;
    // Shown to the minute: an unchanged field keeps the stored instant to the millisecond.
    if (storedAt && value === stored[name]) return storedAt;
    const at = parseWallDateTime(value, ctx.timeZone);
    if (!at) problems.push(problem(name, `must be a date and time (YYYY-MM-DD HH:MM) in ${ctx.timeZone}`, 'date', { format: 'YYYY-MM-DD HH:MM' }));
    return at;
  };
  const startsAt = instant('starts_at', ctx.reward?.startsAt);
  const endsAt = instant('ends_at', ctx.reward?.endsAt);
  if (startsAt && endsAt && endsAt <= startsAt) problems.push(problem('ends_at', 'must be after the start', 'after_start'));

  const active = field('active');
  if (active !== 'true' && active !== 'false') problems.push(problem('active', 'must be true or false', 'yes_no'));

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      kind,
      names,
      descriptions,
      costPoints,
      stepPoints,
      minPoints,
      values,
      minTierRank,
      stock,
      startsAt,
      endsAt,
      limitPerMonth,
      limitTotal,
      active: active === 'true',
      promo,
    },
  };
}

/** A code's terms: required for a promo code, none for credit, either for a perk (none: delivered as credit). */
function judgePromo(kind: RewardKind, field: (name: string) => string, problems: FieldProblem[]): PromoSpec | null {
  const type = field('promo_type');
  if (type === '') {
    if (kind === 'promo_code') problems.push(problem('promo_type', 'is required for a promo code', 'required'));
    return null;
  }
  if (kind === 'credit') {
    problems.push(problem('promo_type', 'must be blank for account credit', 'one_of', { values: [''] }));
    return null;
  }
  if (!(PROMO_TYPES as readonly string[]).includes(type)) {
    problems.push(problem('promo_type', `must be one of ${PROMO_TYPES.join(', ')}`, 'one_of', { values: PROMO_TYPES }));
    return null;
  }
  const days = field('promo_valid_days');
  let validDays: number | null = null;
  if (days !== '') {
    if (/^\d{1,4}$/.test(days) && Number(days) >= 1 && Number(days) <= MAX_PROMO_VALID_DAYS) validDays = Number(days);
    else problems.push(problem('promo_valid_days', `must be blank (no end) or a whole number of days from 1 to ${MAX_PROMO_VALID_DAYS}`, 'between', { min: 1, max: MAX_PROMO_VALID_DAYS }));
  }
  if (type === 'amount') return { type: 'amount', validDays };
  const percent = field('promo_percent');
  if (!/^\d{1,3}$/.test(percent) || Number(percent) < 1 || Number(percent) > 100) {
    problems.push(problem('promo_percent', 'must be a whole percentage from 1 to 100', 'between', { min: 1, max: 100 }));
    return null;
  }
  return { type: 'percent', percent: Number(percent), validDays };
}
