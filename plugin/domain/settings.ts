import { z } from 'zod';
import { expiryPolicySchema } from './expiry-policy';
import { currencyDigits } from './money';
import { EMAIL_CHANNELS } from './panel-actions';
import { isEarnRate, MAX_EARN_RATE, MAX_POINTS, RATE_PATTERN } from './points';
import { PROMO_CODE_FALLBACKS } from './rewards';
import { CAP_PERIODS } from './rules';
import { isTimeZone } from './time-zone';
import { refusal } from './validation';

/**
 * Program settings, declared once: each key's schema (what loyalty_settings may hold), default
 * and description. The settings service, the README's settings table and manifest.json's
 * settings schema read this table (`npm run docs` regenerates both).
 */
export interface SettingDefinition<S extends z.ZodType = z.ZodType> {
  readonly schema: S;
  /** Applies while the key has no row. */
  readonly default: z.output<S>;
  /** For the docs (markdown). */
  readonly description: string;
}

function defineSetting<S extends z.ZodType>(definition: SettingDefinition<S>): SettingDefinition<S> {
  return definition;
}

export const TIER_DISCOUNT_METHODS = ['invoice_line', 'client_tier', 'cashback', 'none'] as const;
export type TierDiscountMethod = (typeof TIER_DISCOUNT_METHODS)[number];

const currencyCode = z.string().refine((c) => currencyDigits(c) !== undefined, { message: 'is not a known ISO 4217 currency code', params: { reason: 'currency' } });
function isLanguageTag(tag: string): boolean {
  try {
    return tag.length <= 35 && new Intl.Locale(tag).language.length > 0;
  } catch {
    return false;
  }
}

const instant = z.iso.datetime({ offset: true }).nullable().default(null);

/**
 * The base rate's switch (seeded on, no window, no cap): an active window [starts_at, ends_at)
 * judged at the purchase instant, and an optional cap per member per UTC calendar period,
 * counted from the ledger entries of rule `base_rate`.
 */
export const baseRuleSettingSchema = z
  .strictObject({
    active: z.boolean(),
    starts_at: instant,
    ends_at: instant,
    cap: z
      .strictObject({ points: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER), period: z.enum(CAP_PERIODS) })
      .nullable()
      .default(null),
  })
  .refine((b) => b.starts_at === null || b.ends_at === null || Date.parse(b.ends_at) > Date.parse(b.starts_at), {
    message: 'must be after starts_at',
    path: ['ends_at'],
    params: { reason: 'after_start' },
  });

export const SETTINGS = {
  earn_rates: defineSetting({
    schema: z.record(
      currencyCode,
      z
        .string()
        // Aborts: the bound needs a decimal.
        .regex(RATE_PATTERN, { message: 'must be a decimal string of points per 1.00, such as "1" or "0.5"', abort: true })
        .refine(isEarnRate, refusal(`must be at most ${MAX_EARN_RATE} points per 1.00`, 'at_most', { max: MAX_EARN_RATE })),
    ),
    default: { USD: '1', EUR: '1', GBP: '1' },
    description: `base points per 1.00 of each currency (exact decimal strings, at most ${MAX_EARN_RATE}, floor rounding); a currency without a rate earns nothing, no conversion is guessed. An event that would award more than ${MAX_POINTS} points, or take a member's balance or lifetime points past that, is refused (422, \`points_limit\`) and writes nothing`,
  }),
  base_rule: defineSetting({
    schema: baseRuleSettingSchema,
    default: { active: true, starts_at: null, ends_at: null, cap: null },
    description:
      "seeded on install: the base rate's on/off, active window `[starts_at, ends_at)` (ISO instants, judged at the purchase time) and optional cap per member, `{\"points\":N,\"period\":\"day\"|\"month\"|\"year\"}`, counted from ledger entries of rule `base_rate`. Off or out of its window, invoices earn no base points and so nothing built on them (product, promo and tier multipliers, percentage bonuses); a cap cuts the base award only",
  }),
  points_expiry_months: defineSetting({
    schema: z.number().int().min(1).max(120).nullable(),
    default: 12,
    description: 'months a lot of points lives; `null` keeps points forever. Superseded by `points_expiry` when that is set',
  }),
  points_expiry: defineSetting({
    schema: expiryPolicySchema.nullable(),
    default: null,
    description:
      'when points expire, in the program time zone: `{"policy":"months_after_earning","months":N}`, `{"policy":"end_of_month","months":N}` (end of the month N months after earning), `{"policy":"end_of_year","years":N}` (end of the year N years after), `{"policy":"inactivity","months":N}` (no earning for N months expires the whole balance; each earning moves it on) or `{"policy":"never"}`. `null` follows `points_expiry_months`. A change applies to points earned from then on',
  }),
  refund_window_days: defineSetting({
    schema: z.number().int().min(0).max(365),
    default: 14,
    description: 'new points stay *pending* (not spendable) this long; `0` makes them available at once',
  }),
  debt_policy: defineSetting({
    schema: z.enum(['debt', 'write_off']),
    default: 'debt',
    description:
      'reversing points already spent leaves a negative balance that later earnings pay off (`debt`), or records the loss and stops at zero (`write_off`)',
  }),
  chargeback_penalty_points: defineSetting({
    schema: z.number().int().min(0).max(1_000_000_000),
    default: 0,
    description: 'extra points taken once per charged-back invoice',
  }),
  tier_discount_method: defineSetting({
    schema: z.enum(TIER_DISCOUNT_METHODS),
    default: 'invoice_line',
    description:
      "how a tier's renewal discount reaches the client: a negative line on the renewal invoice (`invoice_line`), the panel's client-group discount (`client_tier`, e.g. WHMCS), credit back on payment (`cashback`), or `none`",
  }),
  tier_base_currency: defineSetting({
    schema: currencyCode,
    default: 'USD',
    description: 'the currency of tier thresholds',
  }),
  tier_qualifying_rates: defineSetting({
    schema: z.record(currencyCode, z.string().regex(RATE_PATTERN, 'must be a decimal string')),
    default: {},
    description: "base-currency units per 1.00 of other currencies for tier spend; other currencies don't count towards tiers",
  }),
  tier_grace_days: defineSetting({
    schema: z.number().int().min(0).max(365),
    default: 30,
    description: 'days a member may stay below their tier before the tier review downgrades them',
  }),
  email_channel: defineSetting({
    schema: z.enum([...EMAIL_CHANNELS, 'none']),
    default: 'none',
    description:
      'how member emails (expiry warnings, statements, tier changes) go out: by the panel (`panel`, the `client.email` action, e.g. WHMCS `SendEmail`), by our own SMTP (`smtp`, needs `SMTP_URL`), or not at all (`none`: nothing is emailed)',
  }),
  expiry_warning_days: defineSetting({
    schema: z
      .array(z.number().int().min(1).max(365))
      .max(5)
      .refine((days) => new Set(days).size === days.length, { message: 'must not repeat a number of days', params: { reason: 'no_repeats' } }),
    default: [30, 7],
    description:
      'the expiry-warnings job tells a member this many days before points expire, once per lot, threshold and deadline (a deadline the inactivity policy moves is warned about again); `[]` turns warnings off',
  }),
  birthday_bonus: defineSetting({
    schema: z.strictObject({ active: z.boolean(), points: z.number().int().min(1).max(1_000_000) }),
    default: { active: false, points: 100 },
    description:
      "points given on the member's birthday (where the panel sent one), once a year; 29 February birthdays get theirs on 28 February in other years",
  }),
  anniversary_bonus: defineSetting({
    schema: z.strictObject({ active: z.boolean(), points_per_year: z.number().int().min(1).max(1_000_000) }),
    default: { active: false, points_per_year: 50 },
    description:
      'points given on each anniversary of joining: `points_per_year` times the years of membership, once a year (a 29 February join date is celebrated on 28 February in other years)',
  }),
  statements_default_opt_in: defineSetting({
    schema: z.boolean(),
    default: false,
    description:
      "whether members who never chose get the monthly statement email; a member's own choice (`statements_opt_in`, set with `plugin.services.members.setStatementsOptIn`) wins",
  }),
  pause_earning_while_suspended: defineSetting({
    schema: z.boolean(),
    default: false,
    description:
      "an invoice paid, or a service event, while one of the member's services was suspended (judged at its `occurred_at`, so the overdue payment that lifts a suspension earns nothing too) earns nothing; the invoice is still recorded, so a later refund stays bounded. One delivered before the suspension covering it keeps what it earned. The tier grace clock pauses either way",
  }),
  renewal_grace_days: defineSetting({
    schema: z.number().int().min(0).max(60),
    default: 0,
    description: 'a renewal counts as on time for its streak when `occurred_at` is before the end of `service.due_date` (UTC) plus this many days',
  }),
  churn_no_payment_days: defineSetting({
    schema: z.number().int().min(1).max(3650),
    default: 90,
    description: 'the churn-risk job flags a member with no paid invoice for this many days (members who have paid before)',
  }),
  churn_spend_window_months: defineSetting({
    schema: z.number().int().min(1).max(12),
    default: 3,
    description: 'the churn-risk job compares qualifying spend over the last this-many months with the months before',
  }),
  churn_spend_drop_percent: defineSetting({
    schema: z.number().int().min(1).max(100),
    default: 50,
    description: 'the churn-risk job flags spend that fell by at least this percentage between the two windows',
  }),
  promo_code_fallback: defineSetting({
    schema: z.enum(PROMO_CODE_FALLBACKS),
    default: 'refuse',
    description:
      "what a promo-code reward (or a perk delivered as a code) becomes when the panel can't create promo codes (WHMCS has no API for it): `credit` gives the reward's value in the member's currency as account credit (a reward with no value there, such as a percentage code without one, is refused); `refuse` refuses the redemption up front with a clear message and spends nothing. Panels that create codes (demo, generic) ignore it",
  }),
  default_language: defineSetting({
    schema: z.string().refine(isLanguageTag, { message: 'must be a BCP 47 language tag such as "en" or "tr"', params: { reason: 'language' } }),
    default: 'en',
    description:
      "the program's own language: pages use it when neither the client's panel locale nor the browser's languages have a locale file, and tier names, perks and rule labels fall back to it where the provider gave none in the member's language",
  }),
  time_zone: defineSetting({
    schema: z.string().refine(isTimeZone, { message: 'is not a time zone Intl knows (an IANA name such as "Europe/Berlin")', params: { reason: 'time_zone' } }),
    default: 'UTC',
    description: "the program's IANA time zone: job schedules and periods, \"end of month/year\" expiry, and the dates members read (the Rewards tab, their emails) are in it",
  }),
  job_schedules: defineSetting({
    schema: z.record(z.string(), z.string().min(1)),
    default: {},
    description:
      'cron expressions (node-cron, in `time_zone`) replacing jobs\' default schedules, by job name: `{"expire-points":"30 1 * * *"}`. Names and expressions are checked against the declared jobs; the sidecar picks a change up within a minute',
  }),
} as const;

export type SettingKey = keyof typeof SETTINGS;
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

/** Every setting, validated, defaults filled in. */
export type Settings = { readonly [K in SettingKey]: z.output<(typeof SETTINGS)[K]['schema']> };
/** Settings as a caller writes them: any subset, in stored (input) form. */
export type SettingsInput = { [K in SettingKey]?: z.input<(typeof SETTINGS)[K]['schema']> };

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS, key);
}

type OptionalShape = { [K in SettingKey]: z.ZodOptional<(typeof SETTINGS)[K]['schema']> };

function optionalShape(): OptionalShape {
  return Object.fromEntries(SETTING_KEYS.map((k) => [k, SETTINGS[k].schema.optional()])) as OptionalShape;
}

/** What a write may hold: known keys only, each valid; a key left out keeps its value. */
export const settingsInputSchema = z.strictObject(optionalShape());

/** Any subset of the settings, other keys ignored (a reader that wants only some). */
export const partialSettingsSchema = z.object(optionalShape());

/** A subset's absent keys filled with their defaults (a stored `null` stays null). */
export function withDefaults(partial: { readonly [K in SettingKey]?: Settings[K] }): Settings {
  const out: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) out[key] = partial[key] === undefined ? SETTINGS[key].default : partial[key];
  return out as Settings;
}

/**
 * A stored value that is not JSON at all (a row edited by hand): read as this, so that it is
 * reported under its key like any other unusable value, never as a bare parse error.
 */
export class UnreadableSetting {
  constructor(readonly reason: string) {}
}

/** One stored key that can't be used, and why. */
export interface SettingProblem {
  key: string;
  message: string;
  /** Where inside the key's value, when not the whole value (`expire-points` of `job_schedules`). */
  path?: string;
}

/**
 * A check a layer above adds to the schemas: `job_schedules` must name declared jobs, which
 * live in plugin/jobs. It sees the keys being written (on a write) or all of them (on a read).
 */
export type SettingsCheck = (settings: { readonly [K in SettingKey]?: Settings[K] }) => SettingProblem[];

/**
 * Every row of loyalty_settings checked against its key's schema. A key nothing declares is a
 * problem too, not skipped: it is almost always a misspelt key the provider expects to apply,
 * and an event earning under the default instead is a ledger entry that can't be taken back,
 * while a refused event is redelivered once the row is fixed.
 */
export function parseSettings(
  stored: Readonly<Record<string, unknown>>,
  checks: readonly SettingsCheck[] = [],
): { ok: true; settings: Settings } | { ok: false; problems: SettingProblem[] } {
  const problems: SettingProblem[] = [];
  const values: Partial<Record<SettingKey, unknown>> = {};
  for (const [key, value] of Object.entries(stored)) {
    if (!isSettingKey(key)) {
      problems.push({ key, message: 'is not a known setting' });
      continue;
    }
    if (value instanceof UnreadableSetting) {
      problems.push({ key, message: `is not valid JSON (${value.reason}); store it as JSON, a string in double quotes` });
      continue;
    }
    const parsed = SETTINGS[key].schema.safeParse(value);
    if (parsed.success) values[key] = parsed.data;
    else for (const issue of parsed.error.issues) problems.push({ key, message: issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message });
  }
  if (problems.length > 0) return { ok: false, problems };
  const settings = Object.freeze(withDefaults(values as Partial<Settings>));
  for (const check of checks) problems.push(...check(settings));
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, settings };
}
