import type { Knex } from 'knex';
import type { ChurnReason, ChurnSignals } from '../domain/churn';
import { toDate, toDateOrNull, toInt } from './row-values';

export const CHURN_FLAGS = 'loyalty_churn_flags';

export interface ChurnFlag {
  memberId: number;
  panelClientId: string;
  reasons: ChurnReason[];
  flaggedAt: Date;
  updatedAt: Date;
}

/** Reads churn signals set-wise for a batch of members, and keeps their flags. */
export class ChurnRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /** Member ids after `afterId`, in order: the job's work list. */
  async memberIds(afterId: number, limit: number): Promise<number[]> {
    const rows = await this.db('loyalty_members').where('id', '>', afterId).orderBy('id').limit(limit).select('id');
    return rows.map((r: Record<string, unknown>) => toInt(r.id));
  }

  async countMembers(afterId: number): Promise<number> {
    const row = await this.db('loyalty_members').where('id', '>', afterId).count({ n: '*' }).first();
    return toInt(row?.n);
  }

  /** The signals of each member in `ids`, a handful of grouped queries for the whole batch. */
  async signals(ids: readonly number[], windows: { recent: string[]; previous: string[]; since: Date }): Promise<Map<number, ChurnSignals>> {
    const out = new Map<number, ChurnSignals>();
    if (ids.length === 0) return out;
    const members = await this.db('loyalty_members').whereIn('id', ids).select('id', 'services_suspended');
    for (const m of members) {
      out.set(toInt(m.id), { lastPaidAt: null, servicesSuspended: toInt(m.services_suspended), cancelledRecently: 0, downgradedRecently: 0, recentMinor: 0, previousMinor: 0 });
    }
    const each = (id: unknown, f: (s: ChurnSignals) => void) => {
      const s = out.get(toInt(id));
      if (s) f(s);
    };
    const paid: Array<Record<string, unknown>> = await this.db('loyalty_invoices').whereIn('member_id', ids).whereNotNull('paid_at').groupBy('member_id').select('member_id').max({ last: 'paid_at' });
    for (const r of paid) each(r.member_id, (s) => (s.lastPaidAt = toDateOrNull(r.last)));
    const cancelled: Array<Record<string, unknown>> = await this.db('loyalty_services')
      .whereIn('member_id', ids)
      .andWhere({ state: 'cancelled' })
      .andWhere('cancelled_at', '>=', windows.since)
      .groupBy('member_id')
      .select('member_id')
      .count({ n: '*' });
    for (const r of cancelled) each(r.member_id, (s) => (s.cancelledRecently = toInt(r.n)));
    const downgrades: Array<Record<string, unknown>> = await this.db('loyalty_member_history')
      .whereIn('member_id', ids)
      .andWhere({ kind: 'service_downgraded' })
      .andWhere('occurred_at', '>=', windows.since)
      .groupBy('member_id')
      .select('member_id')
      .countDistinct({ n: 'service_id' });
    for (const r of downgrades) each(r.member_id, (s) => (s.downgradedRecently = toInt(r.n)));
    const spend = await this.db('loyalty_spend_months')
      .whereIn('member_id', ids)
      .whereIn('month', [...windows.recent, ...windows.previous])
      .select('member_id', 'month', 'amount_minor');
    const recent = new Set(windows.recent);
    for (const r of spend) {
      each(r.member_id, (s) => {
        if (recent.has(String(r.month))) s.recentMinor += toInt(r.amount_minor);
        else s.previousMinor += toInt(r.amount_minor);
      });
    }
    return out;
  }

  async flagsFor(ids: readonly number[]): Promise<Map<number, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db(CHURN_FLAGS).whereIn('member_id', ids).select('member_id', 'reasons');
    return new Map(rows.map((r: Record<string, unknown>) => [toInt(r.member_id), String(r.reasons)]));
  }

  async upsert(memberId: number, reasons: string, now: Date, exists: boolean): Promise<void> {
    if (exists) await this.db(CHURN_FLAGS).where({ member_id: memberId }).update({ reasons, updated_at: now });
    else await this.db(CHURN_FLAGS).insert({ member_id: memberId, reasons, flagged_at: now, updated_at: now });
  }

  async clear(memberIds: readonly number[]): Promise<number> {
    if (memberIds.length === 0) return 0;
    return this.db(CHURN_FLAGS).whereIn('member_id', memberIds).delete();
  }

  /** One member's flag, or null when they are not flagged. */
  async flagOf(memberId: number): Promise<{ reasons: ChurnReason[]; flaggedAt: Date; updatedAt: Date } | null> {
    const row = await this.db(CHURN_FLAGS).where({ member_id: memberId }).first();
    return row ? { reasons: JSON.parse(String(row.reasons)) as ChurnReason[], flaggedAt: toDate(row.flagged_at), updatedAt: toDate(row.updated_at) } : null;
  }

  async list(): Promise<ChurnFlag[]> {
    const rows = await this.db(`${CHURN_FLAGS} as f`)
      .join('loyalty_members as m', 'm.id', 'f.member_id')
      .orderBy('f.member_id')
      .select('f.member_id', 'm.panel_client_id', 'f.reasons', 'f.flagged_at', 'f.updated_at');
    return rows.map((r: Record<string, unknown>) => ({
      memberId: toInt(r.member_id),
      panelClientId: String(r.panel_client_id),
      reasons: JSON.parse(String(r.reasons)) as ChurnReason[],
      flaggedAt: toDate(r.flagged_at),
      updatedAt: toDate(r.updated_at),
    }));
  }
}
