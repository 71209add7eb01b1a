import { standingAward } from '../domain/reversal';
import { BASE_RATE_KEY, capPeriodBounds, ruleKey, type CapPeriod, type Rule, type RuleSwitch } from '../domain/rules';
import type { Tx } from '../db/unit-of-work';

/** What one member's capped rules have given in their caps' current periods: by rule id, and the base rate's. */
export interface MemberCapUsage {
  rules: Map<number, number>;
  base: number;
}

const INVOICE_REFERENCE = 'invoice:';

/**
 * What each capped rule (and the base rate, when capped) has given each member in its cap's
 * current period, as it stands now. Awards count by ledger time, less what has been taken back
 * of them since (domain/reversal.ts `standingAward`): an award of a payment `invoice.reversed`
 * undid gives its cap room back, so a re-payment of the invoice earns again, and a refund gives
 * back its share. Room comes back to the period the award was counted in, never to the period of
 * the refund: buying in one month and refunding in the next frees nothing in the next. Entries
 * not about an invoice (signup, actions, streaks, upgrades, whose reversal is held against the
 * upgrade invoice and given back on its re-payment) count whole.
 *
 * Set-based, for one member or a batch: one ledger read per cap period in use, one read of the
 * invoices those awards name. `now` places the periods; the caller passes the rules to count.
 */
export async function readCapUsage(
  repos: Tx['repos'],
  memberIds: readonly number[],
  capped: { rules: readonly Rule[]; base: RuleSwitch | null },
  now: Date,
): Promise<Map<number, MemberCapUsage>> {
  const out = new Map(memberIds.map((id) => [id, { rules: new Map<number, number>(), base: 0 }]));
  /** Ledger rule key → rule id, null for the base rate. */
  const ruleIdOf = new Map<string, number | null>();
  const keysByPeriod = new Map<CapPeriod, string[]>();
  const count = (key: string, id: number | null, period: CapPeriod) => {
    ruleIdOf.set(key, id);
    keysByPeriod.set(period, [...(keysByPeriod.get(period) ?? []), key]);
  };
  for (const r of capped.rules) if (r.cap) count(ruleKey(r), r.id, r.cap.period);
  if (capped.base?.cap) count(BASE_RATE_KEY, null, capped.base.cap.period);
  if (memberIds.length === 0 || ruleIdOf.size === 0) return out;

  const awards = [];
  for (const [period, keys] of keysByPeriod) {
    const { from, to } = capPeriodBounds(period, now);
    awards.push(...(await repos.ledger.awardsBetweenMany(memberIds, keys, from, to)));
  }
  const invoiceOf = (a: { memberId: number; reference: string | null }) =>
    a.reference?.startsWith(INVOICE_REFERENCE) ? { memberId: a.memberId, invoiceId: a.reference.slice(INVOICE_REFERENCE.length) } : null;
  const pairs = new Map<string, { memberId: number; invoiceId: string }>();
  for (const a of awards) {
    const pair = invoiceOf(a);
    if (pair) pairs.set(`${pair.memberId}\u0000${pair.invoiceId}`, pair);
  }
  const rows = pairs.size === 0 ? [] : await repos.invoices.findMany([...pairs.values()]);
  const rowOf = new Map(rows.map((r) => [`${r.memberId}\u0000${r.invoiceId}`, r]));

  for (const a of awards) {
    const usage = out.get(a.memberId);
    const id = ruleIdOf.get(a.rule);
    if (!usage || id === undefined) continue;
    const pair = invoiceOf(a);
    const standing = standingAward(a, pair ? (rowOf.get(`${pair.memberId}\u0000${pair.invoiceId}`) ?? null) : null);
    if (id === null) usage.base += standing;
    else usage.rules.set(id, (usage.rules.get(id) ?? 0) + standing);
  }
  return out;
}
