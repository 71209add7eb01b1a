import { applyCaps, type Award, type CapUsage } from './award';
import { ruleKey, type Rule } from './rule';
import { inForce } from './scope';

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
