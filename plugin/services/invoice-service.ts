import type { BillingEvent, ClientInfo, Invoice } from '../domain/billing-event';
import { earningBasis } from '../domain/earning';
import type { InvoiceRecord } from '../domain/invoice-record';
import { reversalTarget } from '../domain/reversal';
import { monthKey, tierRecheckAt, toQualifying, windowMonths } from '../domain/tiers';
import type { Tx } from '../db/unit-of-work';
import { ValidationError } from '../errors';
import type { EarningService } from './earning-service';
import { decideFirstPayment, fresh, loadStates, type FirstPayment, type MemberState } from './first-payment';
import { MemberAccount } from './member-account';
import type { TierDiscountService } from './tier-discount-service';
import type { TierService } from './tier-service';
import type { UpgradeInvoices } from './upgrade-invoices';
import { tierOf, type ProgramSnapshot, type UseCaseContext, type UseCaseResult } from './use-case-context';

/**
 * An invoice keeps the currency it was first seen in: minor units of two currencies can't be
 * compared, so a refund of 10.000 KWD must not be read as 10,000 US cents.
 */
function sameCurrency(row: InvoiceRecord, invoice: Invoice): void {
  if (row.currency === invoice.currency) return;
  throw new ValidationError(
    [{ path: 'invoice.currency', message: `must be ${row.currency}, the currency invoice ${invoice.id} was recorded in` }],
    'Send refunds and chargebacks in the invoice’s own currency.',
  );
}

const sameInstant = (a: Date | null, b: Date | null): boolean => (a === null || b === null ? a === b : a.getTime() === b.getTime());

/** How much of what an invoice added (points, or qualifying spend) its refunds take back. */
function takenBack(row: InvoiceRecord, added: number): number {
  return reversalTarget({ earned: added, totalMinor: row.totalMinor, refundedMinor: row.refundedMinor, chargedBack: row.chargedBack });
}

type InvoiceInput = UseCaseContext & { invoice: Invoice };

/**
 * The event's invoice as its entries name it: by the number the event sent, else by the one an
 * earlier event left on the row (a panel often sends it with the payment only), so a refund or
 * chargeback never shows the customer an id they never saw. Read from the row the use case
 * reads anyway.
 */
function named<T extends InvoiceInput>(input: T, row: InvoiceRecord | null): T {
  if (input.invoice.number !== undefined || !row?.number) return input;
  return { ...input, invoice: { ...input.invoice, number: row.number } };
}

/**
 * The number to keep on the invoice's row: the latest sent by an event that records something on
 * the invoice wins, as the panel's current name for it: WHMCS's sequential paid invoice numbering,
 * for one, gives an invoice its number only when it is paid.
 */
const numberOf = (invoice: Invoice): Partial<Pick<InvoiceRecord, 'number'>> => (invoice.number === undefined ? {} : { number: invoice.number });

/**
 * `paidMany`'s decisions, before anything is written: each payment's result and member, or
 * null for a payment `paid` must take alone: its invoice has a refund or reversal on record,
 * or is in another currency than it was first paid in, or an earlier payment of the same member
 * in the batch goes alone (the member's payments keep their order).
 */
export interface PaymentPlan {
  decided: ReadonlyArray<{ result: UseCaseResult; account: MemberAccount } | null>;
  /**
   * Writes every decided payment's effects, `eventIds[i]` naming payment i's inbox row. False
   * when the plan was made without reading the invoices and one of them was there already, or
   * when it refused the only payments of a client it enrolled (a refused event writes nothing,
   * the member included): its decision is void, and the caller rolls back.
   */
  write(eventIds: ReadonlyArray<number | undefined>): Promise<boolean>;
}

interface PlannedPayment extends FirstPayment {
  index: number;
  state: MemberState;
  /** The member's tier as the payment found it (a cashback is at that tier's rate). */
  tier: UseCaseContext['tier'];
}

/** Points an invoice's refund or penalty took, and how many of them the debt policy forgave. */
interface Taken {
  points: number;
  writtenOff: number;
}
const NOTHING: Taken = { points: 0, writtenOff: 0 };
const plus = (a: Taken, b: Taken): Taken => ({ points: a.points + b.points, writtenOff: a.writtenOff + b.writtenOff });

/** What a refund, chargeback or penalty did to the member: net of what the policy forgave. */
function effect(taken: Taken, earned = 0): Pick<UseCaseResult, 'points' | 'writtenOff'> {
  return { points: earned - taken.points + taken.writtenOff, ...(taken.writtenOff > 0 && { writtenOff: taken.writtenOff }) };
}

/**
 * An invoice's life as far as points go: paid (earn once), refunded in parts, charged back.
 * Each invoice has one row, read and written under the member's lock, so a refund is bounded
 * by what that invoice earned and a refund that overtakes its payment waits for it.
 */
export class InvoiceService {
  constructor(
    private readonly earning: EarningService,
    private readonly tiers: TierService,
    private readonly tierDiscounts: TierDiscountService,
    /** The points of the upgrades an invoice paid for, which its refunds and reversal take back too. */
    private readonly upgrades: UpgradeInvoices,
  ) {}

  async paid(tx: Tx, account: MemberAccount, event: InvoiceInput & { occurredAt: Date }): Promise<UseCaseResult> {
    // A panel clock ahead of ours must not date a payment (or its tier spend) in the future.
    const occurredAt = event.occurredAt < tx.now ? event.occurredAt : tx.now;
    const row = await tx.repos.invoices.find(account.member.id, event.invoice.id);
    if (row) sameCurrency(row, event.invoice);
    const input = named(event, row);
    const { invoice, snapshot } = input;
    // The payment a reversal that arrived first reverses: it nets to nothing, once.
    if (row && !row.paidAt && row.reversalPendingAt && occurredAt <= row.reversalPendingAt) {
      const reversed = { ...row, ...numberOf(invoice), reversalPendingAt: null, reversals: row.reversals + 1 };
      await tx.repos.invoices.update(row.id, { ...numberOf(invoice), reversalPendingAt: null, reversals: reversed.reversals }, tx.now);
      // The upgrades it paid for are reversed with it.
      const upgrades = await this.upgrades.invoicePaid(tx, account, input, invoice, reversed, occurredAt);
      return { outcome: 'applied', ...effect(upgrades), detail: 'reversed_before_payment' };
    }
    // A second payment event for an invoice (a panel re-firing its hook under a new id) must
    // not earn twice; after `invoice.reversed` the invoice is unpaid again and a new payment earns.
    // It leaves the row as it is, a number it sends too: so does the group commit, which doesn't
    // write for it either.
    if (row?.paidAt) return { outcome: 'applied', points: 0, detail: 'already_paid' };
    // Its own instant: the award dates itself no later than now, and judges the earning pause by it.
    const earned = await this.earning.awardInvoicePaid(tx, account, { ...input, occurredAt: event.occurredAt });
    const cashbackMinor = await this.tierDiscounts.invoicePaid(tx, account, { ...input, earlier: row });
    const paid = {
      ...numberOf(invoice),
      currency: invoice.currency,
      totalMinor: invoice.total.minor,
      earnedPoints: earned.points,
      paidAt: occurredAt,
      qualifyingMinor: toQualifying(earningBasis(invoice), snapshot.tierSettings) ?? 0,
      cashbackMinor,
    };
    if (!row) {
      await tx.repos.invoices.insert(account.member.id, invoice.id, paid, tx.now);
      // A first payment takes nothing back: this only pairs its upgrade lines with their upgrades.
      await this.upgrades.link(tx, account.member.id, invoice, occurredAt);
      await this.tiers.addSpend(tx, account, { deltaMinor: paid.qualifyingMinor, at: occurredAt, snapshot });
      return earned;
    }
    await tx.repos.invoices.update(row.id, paid, tx.now);
    // Refunds or a chargeback that arrived first were kept on the row; apply them now.
    const updated = { ...row, ...paid };
    const reversed = await this.reverseTo(tx, account, input, updated, updated.chargedBack ? 'invoice_chargeback' : 'invoice_refunded');
    // The upgrades it paid for: what those refunds call for, or back after a reversal.
    const upgrades = await this.upgrades.invoicePaid(tx, account, input, invoice, updated, occurredAt);
    // A chargeback that overtook the payment owes its penalty now, exactly once: this branch
    // runs only for the payment that first marks the invoice paid.
    const taken = plus(plus(reversed, upgrades), row.chargedBack ? await this.penalise(account, input) : NOTHING);
    const removed = await this.removeSpend(tx, updated);
    await this.tiers.addSpend(tx, account, { deltaMinor: paid.qualifyingMinor - removed, at: occurredAt, snapshot });
    // The answer is the event's net effect, which is also what a replay repeats.
    return { ...earned, ...effect(taken, earned.points), detail: reversed.points > 0 || upgrades.points > 0 || row.chargedBack ? 'earlier_refund_applied' : earned.detail };
  }

  /**
   * `paid` for a batch of payments in one unit of work (the webhook's group commit): members
   * locked in id order by one statement, every first payment decided in memory in the order
   * given (`domain`'s rules through `first-payment.ts`, as `paid` decides), then a handful of
   * multi-row writes for the whole batch. `knownMembers` maps panel client ids to member ids,
   * read before the transaction; a client missing from it is enrolled, and one a concurrent
   * unit of work enrolled meanwhile fails the insert (the caller then takes each payment alone).
   * With `readInvoices` false the payments' invoices are taken to be new, unread: an invoice
   * row's unique key tells one that isn't, and `write` then answers false. Worth it for a lone
   * payment, whose invoice is new nearly always; in a batch, one known invoice would void the rest.
   */
  async paidMany(
    tx: Tx,
    payments: ReadonlyArray<{ event: BillingEvent }>,
    snapshot: ProgramSnapshot,
    knownMembers: ReadonlyMap<string, number>,
    { readInvoices }: { readInvoices: boolean },
  ): Promise<PaymentPlan> {
    const clients = new Map<string, ClientInfo>();
    for (const { event } of payments) if (!clients.has(event.client.id)) clients.set(event.client.id, event.client);
    const months = windowMonths(tx.now);
    const held = await MemberAccount.lockManyWithSpend(
      tx,
      [...clients.keys()].flatMap((c) => knownMembers.get(c) ?? []),
      months,
    );
    const locked = held.map((h) => h.account);
    const lockedClients = new Set(locked.map((a) => a.member.panelClientId));
    const enrolled = await MemberAccount.enrolMany(tx, [...clients.values()].filter((c) => !lockedClients.has(c.id)));
    // As `paid` finds them: points whose refund window has passed are spendable first.
    await MemberAccount.releaseDueMany(
      tx,
      held.filter((h) => h.releaseDue).map((h) => h.account),
    );
    const states = new Map([...locked, ...enrolled].map((a) => [a.member.panelClientId, fresh(a.member.panelClientId, a)]));
    await loadStates(
      tx.repos,
      snapshot,
      tx.now,
      locked.map((a) => a.member.id),
      states,
      new Map(held.map((h) => [h.account.member.id, h.spend])),
    );
    const found = readInvoices
      ? await tx.repos.invoices.findMany(payments.map(({ event }) => ({ memberId: states.get(event.client.id)?.memberId as number, invoiceId: (event.invoice as Invoice).id })))
      : [];
    const rows = new Map(found.map((r) => [`${r.memberId}\u0000${r.invoiceId}`, r]));

    /** Invoices this batch pays, with their currency. */
    const paidNow = new Map<string, string>();
    /** Members with a payment `paid` takes alone: their later ones follow it, to keep their order. */
    const deferred = new Set<MemberState>();
    /** A client this batch enrolled had a payment refused: the enrolment must not commit without it. */
    let voided = false;
    const planned: PlannedPayment[] = [];
    const decided = payments.map(({ event }, index) => {
      const invoice = event.invoice as Invoice;
      const state = states.get(event.client.id) as MemberState;
      const account = state.account as MemberAccount;
      const key = `${state.memberId}\u0000${invoice.id}`;
      const row = rows.get(key);
      const currency = row?.currency ?? paidNow.get(key);
      if (deferred.has(state) || (row && !row.paidAt) || (currency !== undefined && currency !== invoice.currency)) {
        deferred.add(state);
        return null;
      }
      if (row?.paidAt || paidNow.has(key)) return { result: { outcome: 'applied' as const, points: 0, detail: 'already_paid' }, account };
      const tier = tierOf(snapshot, state.tierId) ?? snapshot.tiers[0] ?? null;
      const payment = decideFirstPayment(event, state, 'points', snapshot, tx.now, months);
      // Points past the bound: `paid` refuses it (422, on its own answer), and the member's later payments follow it.
      if ('refused' in payment) {
        if (account.enrolled) voided = true;
        deferred.add(state);
        return null;
      }
      paidNow.set(key, invoice.currency);
      planned.push({ ...payment, index, state, tier });
      return { result: { outcome: 'applied' as const, ...payment.outcome }, account };
    });

    const write = async (eventIds: ReadonlyArray<number | undefined>) => {
      if (voided) return false;
      const invoices = planned.map((p) => ({
        memberId: p.state.memberId as number,
        invoiceId: p.invoice.id,
        values: { ...p.invoice, earnedPoints: p.outcome.points, cashbackMinor: this.tierDiscounts.cashbackFor(snapshot, p.tier, payments[p.index]?.event.invoice as Invoice) },
      }));
      if (readInvoices) await tx.repos.invoices.insertMany(invoices, tx.now);
      else for (const invoice of invoices) if (!(await tx.repos.invoices.insertIfNew(invoice, tx.now))) return false;
      // First payments all: they only pair their upgrade lines with their upgrades (as `paid` does).
      for (const p of planned) await this.upgrades.link(tx, p.state.memberId as number, payments[p.index]?.event.invoice as Invoice, p.invoice.paidAt);
      await MemberAccount.creditMany(
        tx,
        planned.flatMap((p) => p.credits.map((c) => ({ account: p.state.account as MemberAccount, credit: { ...c, eventId: eventIds[p.index] } }))),
      );
      await tx.repos.tiers.addSpendMany(planned.map((p) => ({ memberId: p.state.memberId as number, month: monthKey(p.invoice.paidAt), deltaMinor: p.invoice.qualifyingMinor })));
      const touched = [...new Set(planned.map((p) => p.state))];
      const tiers = touched.map((s) => ({
        account: s.account as MemberAccount,
        tierId: s.tierId,
        belowSince: s.belowSince,
        recheckAt: tierRecheckAt({ tiers: snapshot.tiers, tierId: s.tierId, belowSince: s.belowSince, spendByMonth: months.map((m) => ({ month: m, amountMinor: s.spend.get(m) ?? 0 })) }),
      }));
      // Most payments leave the tier, its grace and its next recheck as they were.
      await MemberAccount.setTiersMany(
        tx,
        tiers.filter(({ account: { member: m }, ...t }) => m.tierId !== t.tierId || !sameInstant(m.tierBelowSince, t.belowSince) || !sameInstant(m.tierRecheckAt, t.recheckAt)),
      );
      for (const s of touched) {
        for (const c of s.changes) {
          const to = tierOf(snapshot, c.toTierId);
          if (to) await this.tiers.recordChange(tx, s.account as MemberAccount, { fromTierId: c.fromTierId, to, reason: 'spend_reached', qualifyingMinor: c.qualifyingMinor, snapshot });
        }
      }
      for (const p of planned) {
        const invoice = payments[p.index]?.event.invoice as Invoice;
        await this.tierDiscounts.invoicePaid(tx, p.state.account as MemberAccount, { snapshot, tier: p.tier, eventId: eventIds[p.index], invoice, earlier: null });
      }
      return true;
    };
    return { decided, write };
  }

  async refunded(tx: Tx, account: MemberAccount, input: InvoiceInput): Promise<UseCaseResult> {
    const refund = input.invoice.refunded?.minor ?? 0;
    return this.takeBack(tx, account, input, (row) => ({ refundedMinor: Math.min(row.totalMinor, row.refundedMinor + refund) }), 'invoice_refunded');
  }

  /**
   * `invoice.reversed`: the payment is undone (marked unpaid or cancelled in the panel). Everything
   * the invoice still holds is reversed like a full refund, under the same debt policy, and its
   * qualifying spend leaves the tier window; the row then starts over as unpaid, so a later
   * payment (a new event id) earns again. Replays are stopped by the inbox; a reversal of an
   * invoice not paid (yet) waits for the payment it reverses.
   */
  async reversed(tx: Tx, account: MemberAccount, event: InvoiceInput & { occurredAt: Date }): Promise<UseCaseResult> {
    const at = event.occurredAt < tx.now ? event.occurredAt : tx.now;
    const memberId = account.member.id;
    const existing = await tx.repos.invoices.find(memberId, event.invoice.id);
    if (existing) sameCurrency(existing, event.invoice);
    const input = named(event, existing);
    const { invoice } = input;
    const row = existing ?? (await tx.repos.invoices.insert(memberId, invoice.id, { ...numberOf(invoice), currency: invoice.currency, totalMinor: invoice.total.minor }, tx.now));
    if (!row.paidAt) {
      await tx.repos.invoices.update(row.id, { ...numberOf(invoice), reversalPendingAt: at }, tx.now);
      return { outcome: 'applied', points: 0, detail: 'awaiting_payment' };
    }
    const whole: InvoiceRecord = { ...row, refundedMinor: row.totalMinor };
    // Every earn and bonus entry of the invoice so far belongs to payments this reversal undoes:
    // caps count them given back, a re-payment's entries (later ids) as standing.
    const awarded = await tx.repos.ledger.idsForReference(memberId, `invoice:${row.invoiceId}`);
    const reversedThroughLedgerId = awarded.length > 0 ? Math.max(...awarded) : row.reversedThroughLedgerId;
    await this.tierDiscounts.invoiceReversed(tx, invoice.id);
    const reversed = await this.reverseTo(tx, account, input, whole, 'invoice_reversed');
    const removed = await this.removeSpend(tx, whole);
    if (removed > 0) await this.tiers.addSpend(tx, account, { deltaMinor: -removed, at: row.paidAt, snapshot: input.snapshot });
    const unpaid = {
      ...numberOf(invoice),
      paidAt: null,
      earnedPoints: 0,
      reversedPoints: 0,
      refundedMinor: 0,
      chargedBack: false,
      qualifyingMinor: 0,
      qualifyingRemovedMinor: 0,
      cashbackMinor: 0,
      reversals: row.reversals + 1,
      reversedThroughLedgerId,
    };
    await tx.repos.invoices.update(row.id, unpaid, tx.now);
    // The upgrades it paid for go with it, until a re-payment.
    const taken = plus(reversed, await this.upgrades.invoiceChanged(tx, account, input, { ...row, ...unpaid }, { label: invoice.number ?? row.invoiceId }));
    return { outcome: 'applied', ...effect(taken), ...(taken.points === 0 && { detail: 'nothing_to_reverse' }) };
  }

  async chargedBack(tx: Tx, account: MemberAccount, input: InvoiceInput): Promise<UseCaseResult> {
    return this.takeBack(tx, account, input, () => ({ chargedBack: true }), 'invoice_chargeback');
  }

  private async takeBack(
    tx: Tx,
    account: MemberAccount,
    event: InvoiceInput,
    change: (row: InvoiceRecord) => Partial<InvoiceRecord>,
    reason: 'invoice_refunded' | 'invoice_chargeback',
  ): Promise<UseCaseResult> {
    const memberId = account.member.id;
    const existing = await tx.repos.invoices.find(memberId, event.invoice.id);
    if (existing) sameCurrency(existing, event.invoice);
    const input = named(event, existing);
    const { invoice } = input;
    const row = existing ?? (await tx.repos.invoices.insert(memberId, invoice.id, { ...numberOf(invoice), currency: invoice.currency, totalMinor: invoice.total.minor }, tx.now));
    const firstChargeback = reason === 'invoice_chargeback' && !row.chargedBack;
    const updated: InvoiceRecord = { ...row, ...numberOf(invoice), ...change(row) };
    await tx.repos.invoices.update(row.id, { ...numberOf(invoice), refundedMinor: updated.refundedMinor, chargedBack: updated.chargedBack }, tx.now);
    if (!row.paidAt) return { outcome: 'applied', points: 0, detail: 'awaiting_payment' };
    await this.tierDiscounts.invoiceRefunded(tx, updated, row.refundedMinor);

    const reversed = await this.reverseTo(tx, account, input, updated, reason);
    const upgrades = await this.upgrades.invoiceChanged(tx, account, input, updated, { label: invoice.number ?? row.invoiceId });
    const removed = await this.removeSpend(tx, updated);
    if (removed > 0 && updated.paidAt) await this.tiers.addSpend(tx, account, { deltaMinor: -removed, at: updated.paidAt, snapshot: input.snapshot });
    const taken = plus(plus(reversed, upgrades), firstChargeback ? await this.penalise(account, input) : NOTHING);
    return { outcome: 'applied', ...effect(taken), ...(taken.points === 0 && { detail: 'nothing_to_reverse' }) };
  }

  /** Reverses the invoice's points up to what its refunds (or chargeback) call for. */
  private async reverseTo(tx: Tx, account: MemberAccount, ctx: InvoiceInput, row: InvoiceRecord, reason: string): Promise<Taken> {
    const target = takenBack(row, row.earnedPoints);
    const points = target - row.reversedPoints;
    if (points <= 0) return NOTHING;
    const reference = `invoice:${row.invoiceId}`;
    const own = await tx.repos.ledger.idsForReference(account.member.id, reference);
    const { writtenOff } = await account.debit({
      points,
      kind: 'reverse',
      reasonCode: reason,
      reasonParams: { invoice: ctx.invoice.number ?? row.invoiceId, points },
      reference,
      eventId: ctx.eventId,
      ownLedgerIds: new Set(own),
      drawOrder: reason === 'invoice_refunded' ? 'pending_first' : 'own_first',
      reducesLifetime: true,
      debtPolicy: ctx.snapshot.program.debtPolicy,
    });
    await tx.repos.invoices.update(row.id, { reversedPoints: target }, tx.now);
    return { points, writtenOff };
  }

  /** The program's chargeback penalty, taken like a reversal (pending first, then available). */
  private async penalise(account: MemberAccount, input: InvoiceInput): Promise<Taken> {
    const { program } = input.snapshot;
    const penalty = program.chargebackPenaltyPoints;
    if (penalty <= 0) return NOTHING;
    const invoiceId = input.invoice.id;
    const { writtenOff } = await account.debit({
      points: penalty,
      kind: 'adjust',
      reasonCode: 'chargeback_penalty',
      reasonParams: { invoice: input.invoice.number ?? invoiceId, points: penalty },
      rule: 'chargeback_penalty',
      reference: `invoice:${invoiceId}`,
      eventId: input.eventId,
      reducesLifetime: false,
      debtPolicy: program.debtPolicy,
    });
    return { points: penalty, writtenOff };
  }

  /**
   * Takes the refunded share of the invoice's qualifying spend back out, by the same rule as
   * its points (from the month it was paid, so a refund cancels the purchase it refunds).
   * Returns the amount newly removed; the caller moves it out of the spend buckets.
   */
  private async removeSpend(tx: Tx, row: InvoiceRecord): Promise<number> {
    const target = takenBack(row, row.qualifyingMinor);
    const delta = target - row.qualifyingRemovedMinor;
    if (delta <= 0) return 0;
    await tx.repos.invoices.update(row.id, { qualifyingRemovedMinor: target }, tx.now);
    return delta;
  }
}
