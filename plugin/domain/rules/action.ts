import { applyCaps, type Award, type CapUsage } from './award';
import { ruleKey, type Rule, type RuleOf } from './rule';
import { inForce } from './scope';

/**
 * `action.completed`: the first action rule in force for the action's kind gives its points,
 * unless the member already earned for this action (`already`: the same reference, whatever
 * the event id) or the rule's frequency is used up (`timesInPeriod` ≥ its `limit`).
 */
export type ActionEvaluation =
  | { kind: 'no_rule' }
  | { kind: 'already_awarded' }
  | { kind: 'limit_reached'; rule: RuleOf<'action'> }
  | { kind: 'awards'; rule: RuleOf<'action'>; awards: Award[] };

export function actionRuleFor(rules: readonly Rule[], kind: string, at: Date): RuleOf<'action'> | null {
  return inForce(rules, 'action', at).find((r) => r.params.kind === kind) ?? null;
}

export function evaluateAction(input: {
  rules: readonly Rule[];
  at: Date;
  action: { kind: string; reference: string };
  already: boolean;
  /** Times the rule has given points to this member for actions of the period (`per`) this one happened in. */
  timesInPeriod: number;
  capUsage?: CapUsage;
}): ActionEvaluation {
  const rule = actionRuleFor(input.rules, input.action.kind, input.at);
  if (!rule) return { kind: 'no_rule' };
  if (input.already) return { kind: 'already_awarded' };
  if (input.timesInPeriod >= rule.params.limit) return { kind: 'limit_reached', rule };
  const award: Award = {
    rule: ruleKey(rule),
    ruleId: rule.id,
    points: rule.params.points,
    kind: 'bonus',
    reasonCode: 'action_completed',
    params: { action: rule.params.label ?? rule.params.kind, points: rule.params.points },
  };
  return { kind: 'awards', rule, awards: applyCaps([award], input.rules, input.capUsage) };
}
