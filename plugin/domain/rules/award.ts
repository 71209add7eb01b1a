import { BASE_RATE_KEY, type Rule, type RuleSwitch } from './rule';

/** What rules produce, one ledger entry each, and the caps that cut them last. */
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
