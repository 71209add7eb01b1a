import type { Knex } from 'knex';
import type { ServiceUpgrade, ServiceUpgradeChanges } from '../domain/service-upgrade';
import { toDateOrNull, toInt } from './row-values';

export const SERVICE_UPGRADES = 'loyalty_service_upgrades';

function toRecord(row: Record<string, unknown>): ServiceUpgrade {
  return {
    id: toInt(row.id),
    memberId: toInt(row.member_id),
    serviceId: String(row.service_id),
    invoiceId: row.invoice_id === null || row.invoice_id === undefined ? null : String(row.invoice_id),
    paidAt: toDateOrNull(row.paid_at),
    upgradedAt: toDateOrNull(row.upgraded_at),
    eventId: row.event_id === null || row.event_id === undefined ? null : toInt(row.event_id),
    points: toInt(row.points),
    reversedPoints: toInt(row.reversed_points),
  };
}

function toColumns(c: ServiceUpgradeChanges): Record<string, unknown> {
  const cols: Record<string, unknown> = {
    invoice_id: c.invoiceId,
    paid_at: c.paidAt,
    upgraded_at: c.upgradedAt,
    event_id: c.eventId,
    points: c.points,
    reversed_points: c.reversedPoints,
  };
  return Object.fromEntries(Object.entries(cols).filter(([, v]) => v !== undefined));
}

/** Upgrades and the invoices that paid for them, read and written under the member's row lock. */
export class ServiceUpgradeRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /** The upgrades an invoice paid for (its unique key's prefix). */
  async forInvoice(memberId: number, invoiceId: string): Promise<ServiceUpgrade[]> {
    const rows = await this.db(SERVICE_UPGRADES).where({ member_id: memberId, invoice_id: invoiceId }).orderBy('id');
    return rows.map(toRecord);
  }

  /** Upgrades of the service whose event came and whose invoice hasn't (yet). */
  async awaitingInvoice(memberId: number, serviceId: string): Promise<ServiceUpgrade[]> {
    const rows = await this.db(SERVICE_UPGRADES).where({ member_id: memberId, service_id: serviceId }).whereNull('invoice_id').orderBy('id');
    return rows.map(toRecord);
  }

  /** Upgrade invoices of the service paid before their `service.upgraded` came. */
  async awaitingUpgrade(memberId: number, serviceId: string): Promise<ServiceUpgrade[]> {
    const rows = await this.db(SERVICE_UPGRADES).where({ member_id: memberId, service_id: serviceId }).whereNull('upgraded_at').orderBy('id');
    return rows.map(toRecord);
  }

  async insert(memberId: number, serviceId: string, values: ServiceUpgradeChanges, now: Date): Promise<void> {
    await this.db(SERVICE_UPGRADES).insert({ member_id: memberId, service_id: serviceId, ...toColumns(values), updated_at: now });
  }

  async update(id: number, changes: ServiceUpgradeChanges, now: Date): Promise<void> {
    await this.db(SERVICE_UPGRADES).where({ id }).update({ ...toColumns(changes), updated_at: now });
  }
}
