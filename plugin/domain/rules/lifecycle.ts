import type { Money } from '../money';
import { currencyDigits } from '../money';
import { parseRate, type EarnRates } from '../points';
import { applyCaps, type Award, type CapUsage } from './award';
import { BASE_RATE_KEY, BASE_RULE_ALWAYS, FACTOR_SCALE, ruleKey, scaledFactor, type Rule, type RuleOf, type RuleSwitch } from './rule';
import { inForce, ruleInForce } from './scope';

/**
 * Rules of the service lifecycle: upgrades (`service_upgrade`) and renewal streaks
 * (`renewal_streak`). Percentages are of *base* points (amount × base rate, floored once), like
 * the invoice bonuses, so they are 0 while the base rate is off or the currency has no rate;
 * flat bonuses don't depend on the rate. Caps apply last, as everywhere.
 */

interface RateInput {
  rates: EarnRates;
  baseRule?: RuleSwitch;
  at: Date;
}

/** floor(amount × base rate × percent / 100) points, 0 without a rate in force. */
function basePointsOf(money: Money, input: RateInput, percent = 100): number {
  const rate = input.rates[money.currency];
  const digits = currencyDigits(money.currency);
  if (rate === undefined || digits === undefined || parseRate(rate) === null) return 0;
  if (!ruleInForce(input.baseRule ?? BASE_RULE_ALWAYS, input.at)) return 0;
  if (money.minor <= 0) return 0;
  const n = BigInt(money.minor) * scaledFactor(rate) * BigInt(percent);
  const d = 10n ** BigInt(digits) * FACTOR_SCALE * 100n;
  const points = n / d;
  if (points > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`an award of ${points} points is out of range`);
  return Number(points);
}

/** Whether `service.upgraded` earns the money of upgrades at `at` (so upgrade invoice lines don't). */
export function upgradeMoneyFromEvent(rules: readonly Rule[], at: Date): boolean {
  return inForce(rules, 'service_upgrade', at).some((r) => r.params.money_from === 'event');
}

export type UpgradeEvaluation =
  | { kind: 'downgrade'; decrease: Money }
  | { kind: 'unchanged' }
  | { kind: 'awards'; awards: Award[]; increase: Money | null };

export interface UpgradeInput extends RateInput {
  serviceId: string;
  amount?: Money;
  previousAmount?: Money;
  rules: readonly Rule[];
  capUsage?: CapUsage;
  baseCapUsed?: number;
}

/**
 * What one upgrade earns. Without both prices the direction is taken as an upgrade (the event
 * says so) and only flat bonuses apply. A lower price is a downgrade: nothing, recorded by the
 * caller for churn signals; an equal one (a plan change at the same price) earns nothing.
 */
export function evaluateUpgrade(input: UpgradeInput): UpgradeEvaluation {
  const { amount, previousAmount, serviceId } = input;
  let increase: Money | null = null;
  if (amount && previousAmount && amount.currency === previousAmount.currency) {
    const delta = amount.minor - previousAmount.minor;
    if (delta < 0) return { kind: 'downgrade', decrease: { currency: amount.currency, minor: -delta } };
    if (delta === 0) return { kind: 'unchanged' };
    increase = { currency: amount.currency, minor: delta };
  }
  const rules = inForce(input.rules, 'service_upgrade', input.at);
  const awards: Award[] = [];
  if (increase && rules.some((r) => r.params.money_from === 'event')) {
    const points = basePointsOf(increase, input);
    if (points > 0) {
      awards.push({ rule: BASE_RATE_KEY, ruleId: null, points, kind: 'earn', reasonCode: 'service_upgrade_earn', params: { service: serviceId, points } });
    }
  }
  for (const r of rules) {
    const points = r.params.points ?? (increase ? basePointsOf(increase, input, r.params.percent) : 0);
    if (points > 0) awards.push(bonus(r, points, { service: serviceId }));
  }
  const baseCap = { cap: (input.baseRule ?? BASE_RULE_ALWAYS).cap, used: input.baseCapUsed ?? 0 };
  return { kind: 'awards', awards: applyCaps(awards, input.rules, input.capUsage, baseCap), increase };
}

function bonus(r: Rule, points: number, params: Record<string, string | number>): Award {
  return { rule: ruleKey(r), ruleId: r.id, points, kind: 'bonus', reasonCode: r.type, params: { ...params, points } };
}

export interface StreakCounts {
  streak: number;
  months: number;
}

/** Whether a streak rule is reached by going from `before` to `after`. */
function reached(r: RuleOf<'renewal_streak'>, before: StreakCounts, after: StreakCounts): boolean {
  const [from, to, n] = r.params.streak !== undefined ? [before.streak, after.streak, r.params.streak] : [before.months, after.months, r.params.months ?? 0];
  if (n <= 0 || to <= from) return false;
  return r.params.repeat ? Math.floor(to / n) > Math.floor(from / n) : from < n && n <= to;
}

export interface StreakInput extends RateInput {
  serviceId: string;
  before: StreakCounts;
  after: StreakCounts;
  /** The renewed service's recurring price, for percentage rules. */
  amount?: Money;
  rules: readonly Rule[];
  capUsage?: CapUsage;
}

/** The streak bonuses one on-time renewal reaches (none after a late one: its streak is 0). */
export function evaluateStreak(input: StreakInput): Award[] {
  const awards: Award[] = [];
  for (const r of inForce(input.rules, 'renewal_streak', input.at)) {
    if (!reached(r, input.before, input.after)) continue;
    const points = r.params.points ?? (input.amount ? basePointsOf(input.amount, input, r.params.percent) : 0);
    if (points > 0) awards.push(bonus(r, points, { service: input.serviceId, streak: input.after.streak, months: input.after.months }));
  }
  return applyCaps(awards, input.rules, input.capUsage);
}

/** The next streak reward for the Rewards tab: the rule reached in the fewest renewals (months count as cycles of `cycleMonths`). */
export function nextStreakReward(
  rules: readonly Rule[],
  at: Date,
  now: StreakCounts,
  cycleMonths: number,
): { renewalsToGo: number; points?: number; percent?: number; streak?: number; months?: number } | null {
  let best: { renewalsToGo: number; points?: number; percent?: number; streak?: number; months?: number } | null = null;
  for (const r of inForce(rules, 'renewal_streak', at)) {
    let toGo: number | null = null;
    if (r.params.streak !== undefined) {
      const n = r.params.streak;
      const target = r.params.repeat ? (Math.floor(now.streak / n) + 1) * n : now.streak < n ? n : null;
      toGo = target === null ? null : target - now.streak;
    } else if (r.params.months !== undefined && cycleMonths > 0) {
      const n = r.params.months;
      const target = r.params.repeat ? (Math.floor(now.months / n) + 1) * n : now.months < n ? n : null;
      toGo = target === null ? null : Math.ceil((target - now.months) / cycleMonths);
    }
    if (toGo === null || (best && best.renewalsToGo <= toGo)) continue;
    best = {
      renewalsToGo: toGo,
      ...(r.params.points !== undefined && { points: r.params.points }),
      ...(r.params.percent !== undefined && { percent: r.params.percent }),
      ...(r.params.streak !== undefined && { streak: r.params.streak }),
      ...(r.params.months !== undefined && { months: r.params.months }),
    };
  }
  return best;
}
