import type { z } from 'zod';
import type { PanelActionName } from './panel-actions';
import type { EarnRates } from './points';
import type { Rule, RuleSwitch } from './rules';
import { baseRuleSettingSchema, partialSettingsSchema, withDefaults, type Settings, type SettingsInput, type TierDiscountMethod } from './settings';

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
  return {
    earnRates: s.earn_rates,
    expiryMonths: s.points_expiry_months,
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
