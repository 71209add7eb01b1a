/**
 * Earning rules: pure functions of (invoice or event, member, rules, rates, instant, cap usage)
 * → awards. No I/O; the earning service reads the inputs and writes each award to the ledger.
 *
 *   rule.ts      rule types, their params (zod), a stored row checked into a `Rule`
 *   scope.ts     when a rule is in force, which lines it selects, cap periods
 *   award.ts     what rules produce, and caps applied last
 *   invoice.ts   how a paid invoice earns (the order of layers and bonuses is documented there)
 *   signup.ts    the signup bonus
 *   lifecycle.ts service upgrades and renewal streaks
 *   action.ts    non-purchase actions (reviews, surveys …)
 *   describe.ts  "how you earn", from the rules in force
 */
export {
  BASE_RATE_KEY,
  ACTION_PERIODS,
  BASE_RULE_ALWAYS,
  CAP_PERIODS,
  parseRule,
  RULE_PARAMS,
  RULE_TYPES,
  ruleKey,
  type ActionPeriod,
  type CapPeriod,
  type Rule,
  type RuleOf,
  type RuleParams,
  type RuleParse,
  type RuleSwitch,
  type RuleType,
  type StoredRule,
} from './rule';
export { capPeriodBounds, isAnnualOrLonger, lineMatches, ruleInForce } from './scope';
export { applyCaps, type Award, type CapUsage } from './award';
export { evaluateInvoice, type InvoiceEvaluation, type InvoiceInput, type MemberContext } from './invoice';
export { evaluateSignup } from './signup';
export {
  evaluateUpgrade,
  milestoneKey,
  milestonesAt,
  nextStreakReward,
  priceChange,
  settleStreakBonuses,
  streakAwards,
  streakMilestones,
  upgradeMoneyFromEvent,
  type ReachedMilestone,
  type StreakBonus,
  type StreakMilestone,
  type StreakSettlement,
  type UpgradeEvaluation,
} from './lifecycle';
export { actionNameIn, actionNameOf, actionNames, actionRuleFor, evaluateAction, type ActionEvaluation, type ActionName } from './action';
export { describeRules, type RuleLine } from './describe';
