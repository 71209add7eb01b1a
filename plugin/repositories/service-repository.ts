import type { Knex } from 'knex';
import type { ServiceSummary } from '../domain/member';
import type { ServiceChanges, ServiceRecord, ServiceState } from '../domain/service-record';
import { toDate, toDateOrNull, toInt } from './row-values';

export const SERVICES = 'loyalty_services';

function toRecord(row: Record<string, unknown>): ServiceRecord {
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    id: toInt(row.id),
    memberId: toInt(row.member_id),
    serviceId: String(row.service_id),
    state: String(row.state) as ServiceState,
    stateAt: toDate(row.state_at),
    productId: str(row.product_id),
    productGroup: str(row.product_group),
    billingCycle: str(row.billing_cycle),
    currency: str(row.currency),
    amountMinor: row.amount_minor === null || row.amount_minor === undefined ? null : toInt(row.amount_minor),
    amountAt: toDateOrNull(row.amount_at),
    startedAt: toDate(row.started_at),
    cancelledAt: toDateOrNull(row.cancelled_at),
    suspendedSince: toDateOrNull(row.suspended_since),
    streak: toInt(row.streak),
    streakMonths: toInt(row.streak_months),
    lastDueDate: str(row.last_due_date),
    lastRenewedAt: toDateOrNull(row.last_renewed_at),
  };
}

function toColumns(c: ServiceChanges): Record<string, unknown> {
  const cols: Record<string, unknown> = {
    state: c.state,
    state_at: c.stateAt,
    product_id: c.productId,
    product_group: c.productGroup,
    billing_cycle: c.billingCycle,
    currency: c.currency,
    amount_minor: c.amountMinor,
    amount_at: c.amountAt,
    started_at: c.startedAt,
    cancelled_at: c.cancelledAt,
    suspended_since: c.suspendedSince,
    streak: c.streak,
    streak_months: c.streakMonths,
    last_due_date: c.lastDueDate,
    last_renewed_at: c.lastRenewedAt,
  };
  return Object.fromEntries(Object.entries(cols).filter(([, v]) => v !== undefined));
}

/** A member's services, read and written under the member's row lock. */
export class ServiceRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async find(memberId: number, serviceId: string): Promise<ServiceRecord | null> {
    const row = await this.db(SERVICES).where({ member_id: memberId, service_id: serviceId }).first();
    return row ? toRecord(row) : null;
  }

  async insert(memberId: number, serviceId: string, values: ServiceChanges & Pick<ServiceRecord, 'state' | 'stateAt' | 'startedAt'>, now: Date): Promise<ServiceRecord> {
    await this.db(SERVICES).insert({ member_id: memberId, service_id: serviceId, ...toColumns(values), updated_at: now });
    const row = await this.find(memberId, serviceId);
    if (!row) throw new Error(`service ${serviceId} of member ${memberId} vanished after its insert`);
    return row;
  }

  async update(id: number, changes: ServiceChanges, now: Date): Promise<void> {
    await this.db(SERVICES).where({ id }).update({ ...toColumns(changes), updated_at: now });
  }

  async forMember(memberId: number): Promise<ServiceRecord[]> {
    const rows = await this.db(SERVICES).where({ member_id: memberId }).orderBy('id');
    return rows.map(toRecord);
  }

  /** Counts, tenure and the suspension clock, recomputed from the member's rows. */
  async summary(memberId: number): Promise<ServiceSummary> {
    const rows = await this.forMember(memberId);
    const min = (dates: Array<Date | null>) => dates.reduce<Date | null>((m, d) => (d && (!m || d < m) ? d : m), null);
    const suspended = rows.filter((r) => r.state === 'suspended');
    return {
      servicesActive: rows.filter((r) => r.state !== 'cancelled').length,
      servicesSuspended: suspended.length,
      firstServiceAt: min(rows.map((r) => r.startedAt)),
      suspendedSince: min(suspended.map((r) => r.suspendedSince)),
    };
  }
}
