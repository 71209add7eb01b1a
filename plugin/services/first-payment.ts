import { earningBasis } from '../domain/earning';
import type { BillingEvent } from '../domain/billing-event';
import type { Member } from '../domain/member';
import { availableFrom } from '../domain/expiry';
import { pointsLimitProblem, pointsLimitRefusal, tooManyPointsProblem } from '../domain/points';
import { creditExpiry } from '../domain/program';
import { BASE_RATE_KEY, evaluateInvoice, ruleInForce, type CapUsage } from '../domain/rules';
import { suspendedAt, type ServiceStateChange } from '../domain/service-record';
import { decideTier, monthKey, toQualifying, windowMonths, type Tier } from '../domain/tiers';
import type { FieldProblem } from '../domain/validation';
import type { Tx } from '../db/unit-of-work';
import { readCapUsage } from './cap-usage';
import { INVOICE_FIELD } from './earning-service';
import type { Credit, MemberAccount } from './member-account';
import { tierOf, type ProgramSnapshot } from './use-case-context';

/**
 * A first payment of an invoice decided set-based, for a batch of payments at once: the
 * backfill's batches and the webhook's group commit (`InvoiceService.paidMany`) share it, so
 * both decide exactly as `InvoiceService.paid` does one event at a time.
 */

/** `--award`: opening points for past purchases by the program's rules, or tiers and spend only. */
export const AWARD_MODES = ['points', 'tiers-only'] as const;
export type AwardMode = (typeof AWARD_MODES)[number];

/** What the rules need to know about a member across their history, carried from event to event. */
export interface MemberState {
  clientId: string;
  /** Null while not enrolled (a dry run's new client). */
  memberId: number | null;
  account: MemberAccount | null;
  /** Read from the database already (a dry run carries states between batches). */
  loaded: boolean;
  tierId: number | null;
  belowSince: Date | null;
  suspended: number;
  /**
   * Every change of their services' states on record, read only where the program pauses
   * earning while suspended: a payment is judged by what was suspended at its own time.
   */
  serviceStates: ServiceStateChange[];
  /** A purchase of theirs stands: an invoice that earned, not reversed or taken back in full. */
  purchasedBefore: boolean;
  capUsage: Map<number, number>;
  baseCapUsed: number;
  /** Points they hold (available and pending) and have earned, with this run's credits: `MAX_POINTS` bounds both. */
  held: number;
  lifetime: number;
  /** Qualifying spend by month in the tier window (as read, plus what this run added). */
  spend: Map<string, number>;
  /** Tier changes decided in this batch, in order. */
  changes: Array<{ fromTierId: number | null; toTierId: number; reason: string; qualifyingMinor: number }>;
  /** The tier this run last moved the member to. */
  tierChangedTo?: number;
  /** Enrolled by this backfill run (by a dry run: would be). */
  joined?: boolean;
}

export function fresh(clientId: string, account: MemberAccount | null, member?: Readonly<Member>): MemberState {
  const m = account?.member ?? member;
  return {
    clientId,
    memberId: m?.id ?? null,
    account,
    loaded: m === undefined,
    tierId: m?.tierId ?? null,
    belowSince: m?.tierBelowSince ?? null,
    suspended: m?.servicesSuspended ?? 0,
    serviceStates: [],
    purchasedBefore: false,
    capUsage: new Map(),
    baseCapUsed: 0,
    held: m ? m.pointsAvailable + m.pointsPending : 0,
    lifetime: m?.pointsLifetime ?? 0,
    spend: new Map(),
    changes: [],
  };
}

/** What a first payment does: its answer, its invoice row and its credits. */
export interface FirstPayment {
  outcome: { points: number; detail?: string };
  /** `number` null where the event sent none: a multi-row insert sets the same columns in every row. */
  invoice: { id: string; number: string | null; currency: string; totalMinor: number; paidAt: Date; qualifyingMinor: number };
  credits: Array<Omit<Credit, 'eventId'>>;
}

/**
 * What one payment does: `InvoiceService.paid` for an invoice seen for the first time, decided
 * in memory from the member's state, which it moves on (caps, spend, tier) for the next payment.
 * Or its refusal, as `paid` refuses it (points past `MAX_POINTS`), the state left as it was.
 */
export function decideFirstPayment(
  event: BillingEvent,
  state: MemberState,
  award: AwardMode,
  snapshot: ProgramSnapshot,
  now: Date,
  months: string[],
): FirstPayment | { refused: FieldProblem } {
  const { program, tiers, tierSettings } = snapshot;
  const invoice = event.invoice as NonNullable<BillingEvent['invoice']>;
  // A panel clock ahead of ours must not date a payment (or its tier spend) in the future.
  const at = event.occurredAt < now ? event.occurredAt : now;
  const tier: Tier | null = tierOf(snapshot, state.tierId) ?? tiers[0] ?? null;
  const credits: FirstPayment['credits'] = [];
  let outcome: FirstPayment['outcome'] = { points: 0, detail: 'tiers_only' };
  if (award === 'points') {
    // At the event's own instant, as the history dates suspensions (service-lifecycle-service.ts).
    if (program.pauseEarningWhileSuspended && suspendedAt(state.serviceStates, event.occurredAt)) outcome = { points: 0, detail: 'earning_paused' };
    else {
      const firstPurchaseRule = program.rules.some((r) => r.type === 'first_purchase' && ruleInForce(r, at));
      const evaluation = evaluateInvoice({
        invoice,
        member: { isFirstPurchase: firstPurchaseRule && !state.purchasedBefore, tierMultiplier: tier?.earnMultiplier ?? '1', tier: tier?.name ?? null },
        rules: program.rules,
        rates: program.earnRates,
        at,
        capUsage: state.capUsage as CapUsage,
        baseRule: program.baseRule,
        baseCapUsed: state.baseCapUsed,
      });
      if (evaluation.kind === 'no_rate') outcome = { points: 0, detail: 'no_earn_rate' };
      else if (evaluation.kind === 'too_many_points') return { refused: pointsLimitRefusal(INVOICE_FIELD, tooManyPointsProblem(evaluation.points)) };
      else {
        const points = evaluation.awards.reduce((s, a) => s + a.points, 0);
        const problem = pointsLimitProblem(state, points);
        if (problem !== null) return { refused: pointsLimitRefusal(INVOICE_FIELD, problem) };
        const expiry = creditExpiry(program, at);
        for (const a of evaluation.awards) {
          credits.push({
            points: a.points,
            kind: a.kind,
            reasonCode: a.reasonCode,
            reasonParams: a.params,
            rule: a.rule,
            reference: `invoice:${invoice.id}`,
            earnedAt: at,
            availableAt: availableFrom(at, program.refundWindowDays),
            ...expiry,
          });
          if (a.ruleId !== null) state.capUsage.set(a.ruleId, (state.capUsage.get(a.ruleId) ?? 0) + a.points);
          if (a.rule === BASE_RATE_KEY) state.baseCapUsed += a.points;
        }
        state.held += points;
        state.lifetime += points;
        if (points > 0) state.purchasedBefore = true;
        outcome = points > 0 ? { points } : { points: 0, detail: ruleInForce(program.baseRule, at) ? 'below_one_point' : 'base_rate_off' };
      }
    }
  }
  const qualifyingMinor = toQualifying(earningBasis(invoice), tierSettings) ?? 0;
  const month = monthKey(at);
  // Only the window's months are ever summed; a dry run carries every client's state for the whole file.
  if (months.includes(month)) state.spend.set(month, (state.spend.get(month) ?? 0) + qualifyingMinor);
  const spendMinor = months.reduce((s, m) => s + (state.spend.get(m) ?? 0), 0);
  const decision = decideTier({
    tiers,
    currentTierId: state.tierId,
    spendMinor,
    belowSince: state.belowSince,
    now,
    graceDays: tierSettings.graceDays,
    review: false,
    paused: state.suspended > 0,
  });
  if (decision.action === 'upgrade' && decision.to.id !== state.tierId) {
    state.changes.push({ fromTierId: state.tierId, toTierId: decision.to.id, reason: 'spend_reached', qualifyingMinor: spendMinor });
    state.tierId = decision.to.id;
    state.tierChangedTo = decision.to.id;
    state.belowSince = null;
  } else if (decision.action === 'mark_below') state.belowSince = now;
  else if (decision.action === 'clear_below') state.belowSince = null;
  return {
    outcome,
    invoice: { id: invoice.id, number: invoice.number ?? null, currency: invoice.currency, totalMinor: invoice.total.minor, paidAt: at, qualifyingMinor },
    credits,
  };
}

/**
 * Reads, for a batch at once, what the rules need of members enrolled before it; their spend
 * in the tier window is taken from `knownSpend` when the caller read it already.
 */
export async function loadStates(
  repos: Tx['repos'],
  snapshot: ProgramSnapshot,
  now: Date,
  memberIds: number[],
  states: Map<string, MemberState>,
  knownSpend?: ReadonlyMap<number, Array<{ month: string; amountMinor: number }>>,
): Promise<void> {
  if (memberIds.length === 0) return;
  const { program } = snapshot;
  const byId = new Map([...states.values()].filter((s) => s.memberId !== null).map((s) => [s.memberId as number, s]));
  // Only a rule that can be in force reads the member's history (`decide` asks `ruleInForce`).
  const needsFirst = program.rules.some((r) => r.type === 'first_purchase' && r.active);
  const [spend, purchased, serviceStates] = await Promise.all([
    knownSpend ?? repos.tiers.spendByMonthMany(memberIds, windowMonths(now)),
    needsFirst ? repos.invoices.withStandingPurchase(memberIds) : Promise.resolve(new Set<number>()),
    program.pauseEarningWhileSuspended ? repos.history.serviceStateChanges(memberIds) : Promise.resolve(new Map<number, ServiceStateChange[]>()),
  ]);
  for (const id of memberIds) {
    const s = byId.get(id);
    if (!s) continue;
    s.loaded = true;
    for (const m of spend.get(id) ?? []) s.spend.set(m.month, m.amountMinor);
    s.purchasedBefore = purchased.has(id);
    s.serviceStates = serviceStates.get(id) ?? [];
  }
  // Caps count what stands in the current period, as `EarningService.capUsage` reads them.
  const capped = { rules: program.rules.filter((r) => r.cap && r.active), base: program.baseRule.cap ? program.baseRule : null };
  for (const [id, usage] of await readCapUsage(repos, memberIds, capped, now)) {
    const s = byId.get(id);
    if (!s) continue;
    s.capUsage = usage.rules;
    s.baseCapUsed = usage.base;
  }
}
