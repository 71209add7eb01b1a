import type { Money } from '../money';
import { currencyDigits } from '../money';
import { MAX_POINTS, parseRate, type EarnRates } from '../points';
import { extendStreak, type StreakCounts, type StreakRun } from '../service-streak';
import { applyCaps, type Award, type CapUsage } from './award';
import { BASE_RATE_KEY, BASE_RULE_ALWAYS, FACTOR_SCALE, ruleKey, scaledFactor, type Rule, type RuleOf, type RuleSwitch } from './rule';
import { inForce, ruleInForce } from './scope';

/**
 * Rules of the service lifecycle: upgrades (`service_upgrade`) and renewal streaks
 * (`renewal_streak`, paid per milestone so that delivery order can't change what they pay).
 * Percentages are of *base* points (amount × base rate, floored once), like the invoice
 * bonuses, so they are 0 while the base rate is off or the currency has no rate; flat bonuses
 * don't depend on the rate. Caps apply last, as everywhere.
 */

interface RateInput {
  rates: EarnRates;
  baseRule?: RuleSwitch;
  at: Date;
}

/** floor(amount × base rate × percent / 100) points, exact, 0 without a rate in force. */
function basePointsOf(money: Money, input: RateInput, percent = 100): bigint {
  const rate = input.rates[money.currency];
  const digits = currencyDigits(money.currency);
  if (rate === undefined || digits === undefined || parseRate(rate) === null) return 0n;
  if (!ruleInForce(input.baseRule ?? BASE_RULE_ALWAYS, input.at)) return 0n;
  if (money.minor <= 0) return 0n;
  const n = BigInt(money.minor) * scaledFactor(rate) * BigInt(percent);
  const d = 10n ** BigInt(digits) * FACTOR_SCALE * 100n;
  return n / d;
}

/** More than `MAX_POINTS` before caps: no award to round or cut (the rates or the amounts are wrong), refused by the caller. */
export interface TooManyPoints {
  kind: 'too_many_points';
  points: bigint;
}
const tooMany = (points: bigint): TooManyPoints | null => (points > BigInt(MAX_POINTS) ? { kind: 'too_many_points', points } : null);

/** Whether `service.upgraded` earns the money of upgrades at `at` (so upgrade invoice lines don't). */
export function upgradeMoneyFromEvent(rules: readonly Rule[], at: Date): boolean {
  return inForce(rules, 'service_upgrade', at).some((r) => r.params.money_from === 'event');
}

export type UpgradeEvaluation = { kind: 'downgrade'; decrease: Money } | { kind: 'unchanged' } | { kind: 'awards'; awards: Award[]; increase: Money | null } | TooManyPoints;

export interface UpgradeInput extends RateInput {
  serviceId: string;
  amount?: Money;
  previousAmount?: Money;
  rules: readonly Rule[];
  capUsage?: CapUsage;
  baseCapUsed?: number;
}

/** How far a recurring price moved, in minor units (negative: down); null without both prices in one currency. */
export function priceChange(amount: Money | undefined, previous: Money | undefined): number | null {
  return amount && previous && amount.currency === previous.currency ? amount.minor - previous.minor : null;
}

/**
 * What one upgrade earns. `previousAmount` is the event's `previous_amount`, else the price the
 * service had on record before it (the caller's to find). Without both prices the direction is
 * taken as an upgrade (the event says so) and only flat bonuses apply. A lower price is a
 * downgrade: nothing, recorded by the caller for churn signals; an equal one (a plan change at
 * the same price) earns nothing.
 */
export function evaluateUpgrade(input: UpgradeInput): UpgradeEvaluation {
  const { amount, previousAmount, serviceId } = input;
  let increase: Money | null = null;
  const delta = priceChange(amount, previousAmount);
  if (amount && delta !== null) {
    if (delta < 0) return { kind: 'downgrade', decrease: { currency: amount.currency, minor: -delta } };
    if (delta === 0) return { kind: 'unchanged' };
    increase = { currency: amount.currency, minor: delta };
  }
  const rules = inForce(input.rules, 'service_upgrade', input.at);
  const found: Array<{ points: bigint; make: (points: number) => Award }> = [];
  if (increase && rules.some((r) => r.params.money_from === 'event')) {
    const points = basePointsOf(increase, input);
    if (points > 0n) {
      found.push({ points, make: (p) => ({ rule: BASE_RATE_KEY, ruleId: null, points: p, kind: 'earn', reasonCode: 'service_upgrade_earn', params: { service: serviceId, points: p } }) });
    }
  }
  for (const r of rules) {
    const points = r.params.points !== undefined ? BigInt(r.params.points) : increase ? basePointsOf(increase, input, r.params.percent) : 0n;
    if (points > 0n) found.push({ points, make: (p) => bonus(r, p, { service: serviceId }) });
  }
  const refused = tooMany(found.reduce((s, f) => s + f.points, 0n));
  if (refused) return refused;
  const awards = found.map((f) => f.make(Number(f.points)));
  const baseCap = { cap: (input.baseRule ?? BASE_RULE_ALWAYS).cap, used: input.baseCapUsed ?? 0 };
  return { kind: 'awards', awards: applyCaps(awards, input.rules, input.capUsage, baseCap), increase };
}

function bonus(r: Rule, points: number, params: Record<string, string | number>): Award {
  return { rule: ruleKey(r), ruleId: r.id, points, kind: 'bonus', reasonCode: r.type, params: { ...params, points } };
}

/** Whether a streak rule is reached by going from `before` to `after`. */
function reached(r: RuleOf<'renewal_streak'>, before: StreakCounts, after: StreakCounts): boolean {
  const [from, to, n] = r.params.streak !== undefined ? [before.streak, after.streak, r.params.streak] : [before.months, after.months, r.params.months ?? 0];
  if (n <= 0 || to <= from) return false;
  return r.params.repeat ? Math.floor(to / n) > Math.floor(from / n) : from < n && n <= to;
}

/**
 * A streak bonus's name: the run it is reached in (service-streak.ts), its rule, and which time
 * within the run the rule is reached (1 for a rule without `repeat`; for a repeating one the
 * multiple of its length reached, the higher one when a long cycle crosses two at once).
 */
export interface StreakMilestone {
  run: string;
  ruleId: number;
  ordinal: number;
}

/** A milestone a service's renewals reach, with the renewal that reaches it. */
export interface ReachedMilestone extends StreakMilestone {
  /** Whether the rule is in force at that renewal: only then does reaching it pay. */
  payable: boolean;
  /** When the renewal counts: its `occurred_at`, no later than now (a panel clock ahead). */
  at: Date;
  /** The renewal's own `occurred_at`, even ahead of our clock: the earning pause is judged by it. */
  renewedAt: Date;
  /** The counts after that renewal. */
  counts: StreakCounts;
  /** The renewed service's recurring price, for percentage rules. */
  amount: Money | null;
}

/**
 * The milestones one renewal reaches by taking its run from `before` to `after`: at most one per
 * streak rule (one award per rule and renewal), in force or not, so that a bonus already paid
 * is still known to be reached after its rule was switched off.
 */
export function milestonesAt(
  rules: readonly Rule[],
  run: string,
  before: StreakCounts,
  after: StreakCounts,
  renewal: { at: Date; renewedAt: Date; amount: Money | null },
): ReachedMilestone[] {
  const out: ReachedMilestone[] = [];
  const streakRules = rules.filter((r): r is RuleOf<'renewal_streak'> => r.type === 'renewal_streak').sort((a, b) => a.id - b.id);
  for (const r of streakRules) {
    if (!reached(r, before, after)) continue;
    const [to, n] = r.params.streak !== undefined ? [after.streak, r.params.streak] : [after.months, r.params.months ?? 1];
    out.push({ run, ruleId: r.id, ordinal: r.params.repeat ? Math.floor(to / n) : 1, payable: ruleInForce(r, renewal.at), at: renewal.at, renewedAt: renewal.renewedAt, counts: after, amount: renewal.amount });
  }
  return out;
}

/** Every milestone the runs reach, in history order; a renewal dated after `now` (a panel clock ahead) is judged at `now`. */
export function streakMilestones(rules: readonly Rule[], runs: readonly StreakRun[], now: Date): ReachedMilestone[] {
  const out: ReachedMilestone[] = [];
  for (const run of runs) {
    let counts: StreakCounts = { streak: 0, months: 0 };
    for (const r of run.renewals) {
      const after = extendStreak(counts, r);
      out.push(...milestonesAt(rules, run.after, counts, after, { at: r.renewedAt < now ? r.renewedAt : now, renewedAt: r.renewedAt, amount: r.amount }));
      counts = after;
    }
  }
  return out;
}

/** A streak bonus as kept (loyalty_streak_bonuses): whether it is held, and what it paid. */
export interface StreakBonus extends StreakMilestone {
  id: number;
  /** True while the bonus stands: paid (0 points when a cap or the earning pause took it all), not taken back. */
  held: boolean;
  points: number;
  /** The ledger entry that paid it; null when it paid nothing. */
  ledgerId: number | null;
}

/** What a replayed stretch of history does to its bonuses. */
export interface StreakSettlement {
  /**
   * A bonus whose milestone is no longer reached, moved to a milestone of the same rule the
   * history now reaches in its place (the streak the late renewal left reaches what the broken
   * one did): nothing is paid or taken back.
   */
  moves: Array<{ from: StreakBonus; to: ReachedMilestone }>;
  /** Milestones reached, payable, with no bonus held: paid now. */
  pay: ReachedMilestone[];
  /** Bonuses whose milestone is no longer reached, with nowhere to move: taken back. */
  takeBack: StreakBonus[];
}

/** A milestone's name as one string, to compare milestones by. */
export const milestoneKey = (m: StreakMilestone): string => `${m.run}/${m.ruleId}/${m.ordinal}`;

/**
 * Settles the bonuses of a stretch of runs (`bonuses`: those kept for the runs replayed) to the
 * milestones the runs now reach, so the bonuses held are those in-order delivery would have
 * paid. A held bonus of a rule no longer in the program is left as it is: nothing says what it
 * reached. Only a late renewal (`late`) takes a bonus back: an on-time one only lengthens a
 * run, so a bonus it leaves unreached can only come from a rule edited since it was paid (rules
 * keep no past params), and that bonus stands.
 */
export function settleStreakBonuses(bonuses: readonly StreakBonus[], reachedNow: readonly ReachedMilestone[], rules: readonly Rule[], late: boolean): StreakSettlement {
  const known = new Set(rules.filter((r) => r.type === 'renewal_streak').map((r) => r.id));
  const reachedKeys = new Set(reachedNow.map(milestoneKey));
  const byKey = new Map(bonuses.map((b) => [milestoneKey(b), b]));
  const release = bonuses.filter((b) => b.held && known.has(b.ruleId) && !reachedKeys.has(milestoneKey(b)));
  const moves: StreakSettlement['moves'] = [];
  const pay: ReachedMilestone[] = [];
  for (const m of reachedNow) {
    if (!m.payable || byKey.get(milestoneKey(m))?.held) continue;
    const i = release.findIndex((b) => b.ruleId === m.ruleId);
    const from = i < 0 ? undefined : release.splice(i, 1)[0];
    if (from) moves.push({ from, to: m });
    else pay.push(m);
  }
  return { moves, pay, takeBack: late ? release : [] };
}

export interface StreakAwardInput {
  serviceId: string;
  rules: readonly Rule[];
  rates: EarnRates;
  baseRule?: RuleSwitch;
  capUsage?: CapUsage;
}

/**
 * The bonus each milestone pays, in order, each capped after those before it: a flat bonus, or
 * a percentage of the base points of the service's price at the renewal that reached it. Null
 * where it pays nothing (a cap used up, no rate): the milestone is settled all the same. More
 * than `MAX_POINTS` in all before caps pays none of them (`too_many_points`).
 */
export function streakAwards(
  milestones: readonly ReachedMilestone[],
  input: StreakAwardInput,
): { kind: 'awards'; paid: Array<{ milestone: ReachedMilestone; award: Award | null }> } | TooManyPoints {
  const ruleOf = (m: ReachedMilestone) => input.rules.find((x): x is RuleOf<'renewal_streak'> => x.id === m.ruleId && x.type === 'renewal_streak');
  const exact = milestones.map((m) => {
    const r = ruleOf(m);
    if (!r) return 0n;
    if (r.params.points !== undefined) return BigInt(r.params.points);
    return m.amount ? basePointsOf(m.amount, { rates: input.rates, baseRule: input.baseRule, at: m.at }, r.params.percent) : 0n;
  });
  const refused = tooMany(exact.reduce((s, p) => s + p, 0n));
  if (refused) return refused;
  const used = new Map(input.capUsage ?? []);
  const paid = milestones.map((m, i) => {
    const r = ruleOf(m);
    const points = Number(exact[i] ?? 0n);
    if (!r) return { milestone: m, award: null };
    const [award] = points > 0 ? applyCaps([bonus(r, points, { service: input.serviceId, streak: m.counts.streak, months: m.counts.months })], input.rules, used) : [];
    if (award) used.set(r.id, (used.get(r.id) ?? 0) + award.points);
    return { milestone: m, award: award ?? null };
  });
  return { kind: 'awards', paid };
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
