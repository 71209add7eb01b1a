import { z } from 'zod';
import { currencyDigits } from './money';
import { RATE_PATTERN, type EarnRates } from './points';
import { BASE_RULE_ALWAYS, CAP_PERIODS, type Rule, type RuleSwitch } from './rules';

/** The program as the rules see it: plain data, validated when read from settings. */
export interface Program {
  earnRates: EarnRates;
  /** Months a lot lives before it expires; null keeps points forever. */
  expiryMonths: number | null;
  /** Days new points stay pending (refundable) before they can be spent; 0 = at once. */
  refundWindowDays: number;
  /** What a reversal of points already spent does: leave a negative balance, or write it off. */
  debtPolicy: 'debt' | 'write_off';
  /** Extra points taken on a chargeback, on top of reversing what the invoice earned. */
  chargebackPenaltyPoints: number;
  /**
   * How a tier's renewal discount reaches the client: a negative line on the renewal invoice,
   * the panel's own client-group discount (WHMCS), credit back on payment, or not at all.
   */
  tierDiscountMethod: TierDiscountMethod;
  /** Earning rules from loyalty_rules, validated, in force or not (see domain/rules.ts). */
  rules: readonly Rule[];
  /** The base rate's on/off, window and cap (setting `base_rule`); the rates are `earnRates`. */
  baseRule: RuleSwitch;
}

export const TIER_DISCOUNT_METHODS = ['invoice_line', 'client_tier', 'cashback', 'none'] as const;
export type TierDiscountMethod = (typeof TIER_DISCOUNT_METHODS)[number];

export const DEFAULT_PROGRAM: Program = {
  earnRates: { USD: '1', EUR: '1', GBP: '1' },
  expiryMonths: 12,
  refundWindowDays: 14,
  debtPolicy: 'debt',
  chargebackPenaltyPoints: 0,
  tierDiscountMethod: 'invoice_line',
  rules: [],
  baseRule: BASE_RULE_ALWAYS,
};

const instant = z.iso.datetime({ offset: true }).nullable().default(null);

/**
 * The base rate's switch, as stored in loyalty_settings (seeded on, no window, no cap): an
 * active window [starts_at, ends_at) judged at the purchase instant, and an optional cap per
 * member per UTC calendar period, counted from the ledger entries of rule `base_rate`.
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
  });
export type BaseRuleSetting = z.input<typeof baseRuleSettingSchema>;

function baseRuleFrom(setting: z.output<typeof baseRuleSettingSchema> | undefined): RuleSwitch {
  if (setting === undefined) return DEFAULT_PROGRAM.baseRule;
  return {
    active: setting.active,
    startsAt: setting.starts_at === null ? null : new Date(setting.starts_at),
    endsAt: setting.ends_at === null ? null : new Date(setting.ends_at),
    cap: setting.cap,
  };
}

export const programSettingsSchema = z.object({
  earn_rates: z
    .record(
      z.string().refine((c) => currencyDigits(c) !== undefined, 'is not a known ISO 4217 currency code'),
      z.string().regex(RATE_PATTERN, 'must be a decimal string of points per 1.00, such as "1" or "0.5"'),
    )
    .optional(),
  points_expiry_months: z.number().int().min(1).max(120).nullable().optional(),
  refund_window_days: z.number().int().min(0).max(365).optional(),
  debt_policy: z.enum(['debt', 'write_off']).optional(),
  chargeback_penalty_points: z.number().int().min(0).max(1_000_000_000).optional(),
  tier_discount_method: z.enum(TIER_DISCOUNT_METHODS).optional(),
  base_rule: baseRuleSettingSchema.optional(),
});

/** Settings as written (defaults not filled in yet). */
export type ProgramSettings = z.input<typeof programSettingsSchema>;

export function programFromSettings(settings: z.output<typeof programSettingsSchema>, rules: readonly Rule[] = []): Program {
  return {
    earnRates: settings.earn_rates ?? DEFAULT_PROGRAM.earnRates,
    expiryMonths: settings.points_expiry_months === undefined ? DEFAULT_PROGRAM.expiryMonths : settings.points_expiry_months,
    refundWindowDays: settings.refund_window_days ?? DEFAULT_PROGRAM.refundWindowDays,
    debtPolicy: settings.debt_policy ?? DEFAULT_PROGRAM.debtPolicy,
    chargebackPenaltyPoints: settings.chargeback_penalty_points ?? DEFAULT_PROGRAM.chargebackPenaltyPoints,
    tierDiscountMethod: settings.tier_discount_method ?? DEFAULT_PROGRAM.tierDiscountMethod,
    rules,
    baseRule: baseRuleFrom(settings.base_rule),
  };
}
