import type { Invoice } from './billing-event';

/**
 * An upgrade of a member's service and the invoice that paid for it (loyalty_service_upgrades).
 * The `service.upgraded` event and the payment of the invoice's upgrade line arrive in any
 * order; whichever comes second completes the row. From then on the points the event earned
 * (the money, where a rule says `money_from: event`, and the upgrade bonuses) are the invoice's:
 * its refunds, chargeback and reversal take them back as they take back its own.
 */
export interface ServiceUpgrade {
  id: number;
  memberId: number;
  serviceId: string;
  /** The invoice whose upgrade line names the service; null until its payment arrives. */
  invoiceId: string | null;
  paidAt: Date | null;
  /** When the upgrade happened; null until its `service.upgraded` arrives. */
  upgradedAt: Date | null;
  /** The inbox row of the `service.upgraded` event: its ledger entries are the upgrade's. */
  eventId: number | null;
  /** What the `service.upgraded` event earned. */
  points: number;
  /** How many of `points` stand reversed by the invoice's refunds, chargeback or reversal. */
  reversedPoints: number;
}

export type ServiceUpgradeChanges = Partial<Omit<ServiceUpgrade, 'id' | 'memberId' | 'serviceId'>>;

/** The services an invoice's upgrade lines name, once each: the upgrades it pays for. */
export function upgradedServices(invoice: Invoice): string[] {
  return [...new Set((invoice.items ?? []).flatMap((i) => (i.type === 'upgrade' && i.serviceId !== undefined ? [i.serviceId] : [])))];
}

/**
 * Of the rows waiting for their other half, the one whose half is closest in time to `at`
 * (the older row on a tie): an upgrade and its invoice's payment are close together, so two
 * upgrades of one service delivered out of order still pair each with its own invoice.
 */
export function closestInTime<T extends { id: number }>(rows: readonly T[], when: (row: T) => Date | null, at: Date): T | null {
  let best: { row: T; distance: number } | null = null;
  for (const row of rows) {
    const t = when(row);
    const distance = t === null ? Number.MAX_SAFE_INTEGER : Math.abs(t.getTime() - at.getTime());
    if (!best || distance < best.distance || (distance === best.distance && row.id < best.row.id)) best = { row, distance };
  }
  return best?.row ?? null;
}
