import type { Knex } from 'knex';
import { STATE_CHANGE_KINDS, type HistoryEntry, type HistoryKind, type ServiceStateChange } from '../domain/service-record';
import { toDate, toInt } from './row-values';

export const MEMBER_HISTORY = 'loyalty_member_history';

export interface StoredHistoryEntry extends HistoryEntry {
  id: number;
}

/** Append-only: rows are never changed or deleted. */
export class MemberHistoryRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async append(e: HistoryEntry, now: Date): Promise<void> {
    await this.db(MEMBER_HISTORY).insert({
      member_id: e.memberId,
      kind: e.kind,
      service_id: e.serviceId ?? null,
      details: JSON.stringify(e.details),
      event_id: e.eventId ?? null,
      occurred_at: e.occurredAt,
      created_at: now,
    });
  }

  async forMember(memberId: number, kinds?: readonly HistoryKind[]): Promise<StoredHistoryEntry[]> {
    const q = this.db(MEMBER_HISTORY).where({ member_id: memberId }).orderBy('id');
    if (kinds) q.whereIn('kind', kinds);
    const rows = await q;
    return rows.map((r: Record<string, unknown>) => ({
      id: toInt(r.id),
      memberId: toInt(r.member_id),
      kind: String(r.kind) as HistoryKind,
      ...(r.service_id !== null && r.service_id !== undefined && { serviceId: String(r.service_id) }),
      details: JSON.parse(String(r.details)) as HistoryEntry['details'],
      ...(r.event_id !== null && r.event_id !== undefined && { eventId: toInt(r.event_id) }),
      occurredAt: toDate(r.occurred_at),
    }));
  }

  /**
   * Every change of a service's state (suspended, unsuspended, cancelled) these members' history
   * holds, out-of-order ones included: each member's in the order recorded. Members with none are
   * left out.
   */
  async serviceStateChanges(memberIds: readonly number[]): Promise<Map<number, ServiceStateChange[]>> {
    const out = new Map<number, ServiceStateChange[]>();
    if (memberIds.length === 0) return out;
    const rows: Array<Record<string, unknown>> = await this.db(MEMBER_HISTORY)
      .whereIn('member_id', memberIds)
      .whereIn('kind', Object.keys(STATE_CHANGE_KINDS))
      .orderBy('id')
      .select('member_id', 'kind', 'service_id', 'occurred_at');
    for (const r of rows) {
      const memberId = toInt(r.member_id);
      const change = { serviceId: String(r.service_id), state: STATE_CHANGE_KINDS[String(r.kind) as keyof typeof STATE_CHANGE_KINDS], at: toDate(r.occurred_at) };
      const list = out.get(memberId);
      if (list) list.push(change);
      else out.set(memberId, [change]);
    }
    return out;
  }
}
