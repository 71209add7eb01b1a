import type { Knex } from 'knex';
import type { NewRenewal, RenewalPosition, RenewalRecord } from '../domain/service-streak';
import { toDate, toInt } from './row-values';

export const SERVICE_RENEWALS = 'loyalty_service_renewals';

function toRecord(row: Record<string, unknown>): RenewalRecord {
  const currency = row.currency === null || row.currency === undefined ? null : String(row.currency);
  const minor = row.amount_minor === null || row.amount_minor === undefined ? null : toInt(row.amount_minor);
  return {
    id: toInt(row.id),
    dueDate: row.due_date === null || row.due_date === undefined ? null : String(row.due_date),
    period: String(row.period),
    renewedAt: toDate(row.renewed_at),
    onTime: Boolean(Number(row.on_time)),
    months: toInt(row.months),
    amount: currency !== null && minor !== null ? { currency, minor } : null,
  };
}

/** Rows sorting strictly before (`<`) or after (`>`) a position: by period, instant, id (the order index). */
function beyond(q: Knex.QueryBuilder, op: '<' | '>', p: RenewalPosition): Knex.QueryBuilder {
  return q.andWhere((w) =>
    w
      .where('period', op, p.period)
      .orWhere((x) => x.where('period', p.period).andWhere('renewed_at', op, p.renewedAt))
      .orWhere((x) => x.where('period', p.period).andWhere('renewed_at', p.renewedAt).andWhere('id', op, p.id)),
  );
}

/** The renewals of a member's services, read and written under the member's row lock. */
export class ServiceRenewalRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  private of(memberId: number, serviceId: string): Knex.QueryBuilder {
    return this.db(SERVICE_RENEWALS).where({ member_id: memberId, service_id: serviceId });
  }

  /** The renewal that sorts last, or null before the first. */
  async last(memberId: number, serviceId: string): Promise<RenewalRecord | null> {
    const row = await this.of(memberId, serviceId).orderBy([{ column: 'period', order: 'desc' }, { column: 'renewed_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first();
    return row ? toRecord(row) : null;
  }

  async findByDueDate(memberId: number, serviceId: string, dueDate: string): Promise<RenewalRecord | null> {
    const row = await this.of(memberId, serviceId).andWhere({ due_date: dueDate }).first();
    return row ? toRecord(row) : null;
  }

  /** The late renewal sorting last before `p`: the run `p` lands in follows it. */
  async lateBefore(memberId: number, serviceId: string, p: RenewalPosition): Promise<RenewalRecord | null> {
    const q = beyond(this.of(memberId, serviceId).andWhere({ on_time: false }), '<', p);
    const row = await q.orderBy([{ column: 'period', order: 'desc' }, { column: 'renewed_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first();
    return row ? toRecord(row) : null;
  }

  /** The late renewal sorting first after `p`: the run `p` lands in ends there. */
  async lateAfter(memberId: number, serviceId: string, p: RenewalPosition): Promise<RenewalRecord | null> {
    const q = beyond(this.of(memberId, serviceId).andWhere({ on_time: false }), '>', p);
    const row = await q.orderBy([{ column: 'period', order: 'asc' }, { column: 'renewed_at', order: 'asc' }, { column: 'id', order: 'asc' }]).first();
    return row ? toRecord(row) : null;
  }

  /** The renewals sorting strictly between two positions (null: no bound), in order. */
  async between(memberId: number, serviceId: string, from: RenewalPosition | null, to: RenewalPosition | null): Promise<RenewalRecord[]> {
    let q = this.of(memberId, serviceId);
    if (from) q = beyond(q, '>', from);
    if (to) q = beyond(q, '<', to);
    const rows = await q.orderBy([{ column: 'period', order: 'asc' }, { column: 'renewed_at', order: 'asc' }, { column: 'id', order: 'asc' }]);
    return rows.map(toRecord);
  }

  async insert(memberId: number, serviceId: string, r: NewRenewal, eventId: number | undefined, now: Date): Promise<RenewalRecord> {
    const [id] = await this.db(SERVICE_RENEWALS).insert({
      member_id: memberId,
      service_id: serviceId,
      due_date: r.dueDate,
      period: r.period,
      renewed_at: r.renewedAt,
      on_time: r.onTime,
      months: r.months,
      currency: r.amount?.currency ?? null,
      amount_minor: r.amount?.minor ?? null,
      event_id: eventId ?? null,
      updated_at: now,
    });
    return { ...r, id: toInt(id) };
  }

  /** An earlier report of the same period: its instant, and whether that was on time. */
  async setRenewedAt(id: number, renewedAt: Date, onTime: boolean, now: Date): Promise<void> {
    await this.db(SERVICE_RENEWALS).where({ id }).update({ renewed_at: renewedAt, on_time: onTime, updated_at: now });
  }
}
