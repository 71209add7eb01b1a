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

/**
 * What members read for an action rule's action: the provider's `labels` per language, else its
 * `label`, else its kind (an id, never meant to be read, but all there is).
 */
export interface ActionName {
  labels: Readonly<Record<string, string>>;
  fallback: string;
}

export function actionNameOf(rule: RuleOf<'action'>): ActionName {
  return { labels: rule.params.labels ?? {}, fallback: rule.params.label ?? rule.params.kind };
}

/**
 * The action names of every action rule, in force or not, by the ledger key their awards carry
 * (`ruleKey`): a history entry is named as its rule names the action now, in the reader's language.
 */
export function actionNames(rules: readonly Rule[]): Record<string, ActionName> {
  return Object.fromEntries(rules.filter((r): r is RuleOf<'action'> => r.type === 'action').map((r) => [ruleKey(r), actionNameOf(r)]));
}

/**
 * The action's name in the first of `languages` (the reader's, then the program's) the provider
 * labelled it in, else the fallback: a label in a third language the reader may not read is no
 * better than the provider's own `label`.
 */
export function actionNameIn(name: ActionName, languages: readonly string[]): string {
  for (const l of languages) if (name.labels[l] !== undefined) return name.labels[l];
  return name.fallback;
}

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
    params: { action: actionNameOf(rule).fallback, points: rule.params.points },
  };
  return { kind: 'awards', rule, awards: applyCaps([award], input.rules, input.capUsage) };
}
