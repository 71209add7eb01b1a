import type { Invoice } from '../domain/billing-event';
import { availableFrom } from '../domain/expiry';
import type { InvoiceRecord } from '../domain/invoice-record';
import { creditExpiry } from '../domain/program';
import { upgradeReversalTarget } from '../domain/reversal';
import { closestInTime, upgradedServices, type ServiceUpgrade } from '../domain/service-upgrade';
import type { Tx } from '../db/unit-of-work';
import type { MemberAccount } from './member-account';
import type { UseCaseContext } from './use-case-context';

/** What settling an invoice's upgrades did: points taken back (negative: given back), and how many of them the debt policy forgave. */
export interface Settled {
  points: number;
  writtenOff: number;
}
const NONE: Settled = { points: 0, writtenOff: 0 };

/** How a ledger entry names the change: the invoice's reversal reason as its row now stands. */
function reasonOf(invoice: InvoiceRecord): 'invoice_chargeback' | 'invoice_reversed' | 'invoice_refunded' {
  if (invoice.chargedBack) return 'invoice_chargeback';
  return invoice.paidAt === null ? 'invoice_reversed' : 'invoice_refunded';
}

/**
 * The points a `service.upgraded` earned belong to the invoice that paid for the upgrade, the
 * one whose upgrade line names the service (domain/service-upgrade.ts). Whichever of the two
 * arrives second pairs them; from then on, every change of the invoice (a refund, a chargeback,
 * a reversal, a re-payment) settles the upgrade's points to what the invoice now says
 * (`upgradeReversalTarget`): a share of them, all of them, or none again. So the same three
 * events end the same in any order, and each settles only the difference, once, under the
 * member's lock: the inbox keeps replays out. The invoice's own points are `InvoiceService`'s.
 */
export class UpgradeInvoices {
  /**
   * `service.upgraded` earned `points` (0 too: the upgrade still takes its invoice): paired with
   * the service's upgrade invoice paid closest in time that has no upgrade yet, and settled
   * against it, so a refund or reversal that came first takes them back now.
   */
  async upgraded(tx: Tx, account: MemberAccount, ctx: UseCaseContext, upgrade: { serviceId: string; points: number; at: Date }): Promise<Settled> {
    const repo = tx.repos.serviceUpgrades;
    const memberId = account.member.id;
    const found = closestInTime(await repo.awaitingUpgrade(memberId, upgrade.serviceId), (r) => r.paidAt, upgrade.at);
    const changes = { upgradedAt: upgrade.at, points: upgrade.points, eventId: ctx.eventId ?? null };
    if (!found?.invoiceId) {
      await repo.insert(memberId, upgrade.serviceId, changes, tx.now);
      return NONE;
    }
    await repo.update(found.id, changes, tx.now);
    const invoice = await tx.repos.invoices.find(memberId, found.invoiceId);
    if (!invoice) throw new Error(`upgrade ${found.id} names invoice ${found.invoiceId}, which member ${memberId} has no row for`);
    // Named as the invoice's events left it: this event names no invoice.
    return this.settle(tx, account, ctx, { ...found, ...changes }, invoice, { label: invoice.number ?? invoice.invoiceId });
  }

  /**
   * A payment of `invoice` (`row`: its row as the payment left it): its upgrade lines pair with
   * their upgrades, then every upgrade it paid for is settled against it (refunds that came
   * first take their share; a re-payment after a reversal gives the points back).
   */
  async invoicePaid(tx: Tx, account: MemberAccount, ctx: UseCaseContext, invoice: Invoice, row: InvoiceRecord, paidAt: Date): Promise<Settled> {
    // Only an upgrade invoice, or one paid before, can have upgrades to settle.
    if (upgradedServices(invoice).length === 0 && row.reversals === 0) return NONE;
    await this.link(tx, account.member.id, invoice, paidAt);
    return this.invoiceChanged(tx, account, ctx, row, { label: invoice.number ?? invoice.id, earnedAt: paidAt });
  }

  /**
   * Pairs each service the invoice's upgrade lines name with that service's upgrade closest in
   * time still without an invoice, or records the line to wait for its upgrade. Moves no points:
   * a first payment has nothing taken back yet (the group commit's payments are such).
   */
  async link(tx: Tx, memberId: number, invoice: Invoice, paidAt: Date): Promise<void> {
    const services = upgradedServices(invoice);
    if (services.length === 0) return;
    const repo = tx.repos.serviceUpgrades;
    // A re-payment (after a reversal) finds its upgrades paired by the first payment.
    const paired = new Set((await repo.forInvoice(memberId, invoice.id)).map((u) => u.serviceId));
    for (const serviceId of services) {
      if (paired.has(serviceId)) continue;
      const found = closestInTime(await repo.awaitingInvoice(memberId, serviceId), (r) => r.upgradedAt, paidAt);
      if (found) await repo.update(found.id, { invoiceId: invoice.id, paidAt }, tx.now);
      else await repo.insert(memberId, serviceId, { invoiceId: invoice.id, paidAt }, tx.now);
    }
  }

  /** The invoice's row changed: each upgrade it paid for is settled to what the row now says. */
  async invoiceChanged(tx: Tx, account: MemberAccount, ctx: UseCaseContext, row: InvoiceRecord, entry: { label: string; earnedAt?: Date }): Promise<Settled> {
    let total = NONE;
    for (const upgrade of await tx.repos.serviceUpgrades.forInvoice(account.member.id, row.invoiceId)) {
      const s = await this.settle(tx, account, ctx, upgrade, row, entry);
      total = { points: total.points + s.points, writtenOff: total.writtenOff + s.writtenOff };
    }
    return total;
  }

  /** Takes back (or gives back) the difference between what stands reversed and what the invoice calls for. */
  private async settle(
    tx: Tx,
    account: MemberAccount,
    ctx: UseCaseContext,
    upgrade: ServiceUpgrade,
    invoice: InvoiceRecord,
    entry: { label: string; earnedAt?: Date },
  ): Promise<Settled> {
    const target = upgradeReversalTarget(upgrade.points, invoice);
    const delta = target - upgrade.reversedPoints;
    if (delta === 0) return NONE;
    await tx.repos.serviceUpgrades.update(upgrade.id, { reversedPoints: target }, tx.now);
    const program = ctx.snapshot.program;
    const reference = `invoice:${invoice.invoiceId}`;
    if (delta < 0) {
      // Paid again after a reversal: the upgrade's points are the invoice's again, as a new entry.
      const earnedAt = entry.earnedAt ?? tx.now;
      await account.credit({
        points: -delta,
        kind: 'earn',
        reasonCode: 'service_upgrade_earn',
        reasonParams: { service: upgrade.serviceId, points: -delta },
        reference,
        eventId: ctx.eventId,
        earnedAt,
        availableAt: availableFrom(earnedAt, program.refundWindowDays),
        ...creditExpiry(program, earnedAt),
      });
      return { points: delta, writtenOff: 0 };
    }
    const memberId = account.member.id;
    // The upgrade's own lots (and the invoice's, a re-payment's give-back among them) are the points taken back.
    const service = `service:${upgrade.serviceId}`;
    const upgradeIds = upgrade.eventId === null ? await tx.repos.ledger.idsForReference(memberId, service) : await tx.repos.ledger.idsForEvent(memberId, service, upgrade.eventId);
    const own = [...upgradeIds, ...(await tx.repos.ledger.idsForReference(memberId, reference))];
    const reason = reasonOf(invoice);
    const { writtenOff } = await account.debit({
      points: delta,
      kind: 'reverse',
      reasonCode: reason,
      reasonParams: { invoice: entry.label, points: delta },
      reference,
      eventId: ctx.eventId,
      ownLedgerIds: new Set(own),
      drawOrder: reason === 'invoice_refunded' ? 'pending_first' : 'own_first',
      reducesLifetime: true,
      debtPolicy: program.debtPolicy,
    });
    return { points: delta, writtenOff };
  }
}
