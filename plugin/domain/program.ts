import type { z } from 'zod';
import { expiryPolicyFrom, lotExpiry, nominalMonths, type ExpiryPolicy, type LotExpiry } from './expiry-policy';
import type { PanelActionName } from './panel-actions';
import type { EarnRates } from './points';
import type { Rule, RuleSwitch } from './rules';
import { baseRuleSettingSchema, partialSettingsSchema, withDefaults, type Settings, type SettingsInput, type TierDiscountMethod } from './settings';

/** The program as the rules see it: plain data, validated when read from settings. */
export interface Program {
  earnRates: EarnRates;
  /** When points expire (`points_expiry`, or `points_expiry_months` before it). */
  expiry: ExpiryPolicy;
  /** About how many months points live, for a one-line note; null when they don't expire by age. */
  expiryMonths: number | null;
  /** The program's IANA time zone: "end of month" and periods are in it. */
  timeZone: string;
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
  /** While a member has a suspended service, nothing earns (setting `pause_earning_while_suspended`). */
  pauseEarningWhileSuspended: boolean;
  /** Days after `service.due_date` a renewal still counts as on time. */
  renewalGraceDays: number;
  /** The program's language (setting `default_language`): the last choice for pages and the fallback for program text. */
  defaultLanguage: string;
}

export { TIER_DISCOUNT_METHODS, baseRuleSettingSchema, type TierDiscountMethod } from './settings';

/**
 * The panel action each tier discount method sends, so its capability can be checked against
 * the panel at start-up (`capabilityOf` in domain/panel-actions.ts).
 */
export const TIER_DISCOUNT_ACTIONS: Readonly<Record<TierDiscountMethod, PanelActionName | null>> = {
  invoice_line: 'invoice.discount',
  client_tier: 'client.tier',
  cashback: 'client.credit',
  none: null,
};

export type BaseRuleSetting = z.input<typeof baseRuleSettingSchema>;

function baseRuleFrom(setting: Settings['base_rule']): RuleSwitch {
  return {
    active: setting.active,
    startsAt: setting.starts_at === null ? null : new Date(setting.starts_at),
    endsAt: setting.ends_at === null ? null : new Date(setting.ends_at),
    cap: setting.cap,
  };
}

/** Any subset of the settings (the registry's keys; others ignored). */
export const programSettingsSchema = partialSettingsSchema;

/** Settings as written (defaults not filled in yet). */
export type ProgramSettings = SettingsInput;

/** The program from settings (absent keys take their defaults) and the stored rules. */
export function programFromSettings(settings: Partial<Settings>, rules: readonly Rule[] = []): Program {
  const s = withDefaults(settings);
  const expiry = expiryPolicyFrom(s.points_expiry, s.points_expiry_months);
  return {
    earnRates: s.earn_rates,
    expiry,
    expiryMonths: nominalMonths(expiry),
    timeZone: s.time_zone,
    refundWindowDays: s.refund_window_days,
    debtPolicy: s.debt_policy,
    chargebackPenaltyPoints: s.chargeback_penalty_points,
    tierDiscountMethod: s.tier_discount_method,
    rules,
    baseRule: baseRuleFrom(s.base_rule),
    pauseEarningWhileSuspended: s.pause_earning_while_suspended,
    renewalGraceDays: s.renewal_grace_days,
    defaultLanguage: s.default_language,
  };
}

export const DEFAULT_PROGRAM: Program = programFromSettings({});

/** The expiry of points earned at `earnedAt` under the program: what a credit carries. */
export function creditExpiry(program: Pick<Program, 'expiry' | 'timeZone'>, earnedAt: Date): LotExpiry {
  return lotExpiry(program.expiry, earnedAt, program.timeZone);
}
