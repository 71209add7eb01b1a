import type { Knex } from 'knex';
import type { InvoiceChanges, InvoiceRecord } from '../domain/invoice-record';
import { insertRows } from './bulk';
import { toDateOrNull, toInt } from './row-values';

export const INVOICES = 'loyalty_invoices';

function toRecord(row: Record<string, unknown>): InvoiceRecord {
  return {
    id: toInt(row.id),
    memberId: toInt(row.member_id),
    invoiceId: String(row.invoice_id),
    currency: String(row.currency),
    totalMinor: toInt(row.total_minor),
    earnedPoints: toInt(row.earned_points),
    reversedPoints: toInt(row.reversed_points),
    refundedMinor: toInt(row.refunded_minor),
    chargedBack: Boolean(toInt(row.charged_back)),
    paidAt: toDateOrNull(row.paid_at),
    qualifyingMinor: toInt(row.qualifying_minor),
    qualifyingRemovedMinor: toInt(row.qualifying_removed_minor),
    reversals: toInt(row.reversals),
    reversalPendingAt: toDateOrNull(row.reversal_pending_at),
  };
}

function toColumns(c: InvoiceChanges): Record<string, unknown> {
  const cols: Record<string, unknown> = {
    currency: c.currency,
    total_minor: c.totalMinor,
    earned_points: c.earnedPoints,
    reversed_points: c.reversedPoints,
    refunded_minor: c.refundedMinor,
    charged_back: c.chargedBack,
    paid_at: c.paidAt,
    qualifying_minor: c.qualifyingMinor,
    qualifying_removed_minor: c.qualifyingRemovedMinor,
    reversals: c.reversals,
    reversal_pending_at: c.reversalPendingAt,
  };
  return Object.fromEntries(Object.entries(cols).filter(([, v]) => v !== undefined));
}

/** Invoice rows are read and written under the member's row lock, like the ledger. */
export class InvoiceRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /** The member's invoices paid in [from, to): e.g. the tier discounts of this year. */
  async paidBetween(memberId: number, from: Date, to: Date): Promise<InvoiceRecord[]> {
    const rows = await this.db(INVOICES).where({ member_id: memberId }).andWhere('paid_at', '>=', from).andWhere('paid_at', '<', to).orderBy([{ column: 'paid_at' }, { column: 'id' }]);
    return rows.map(toRecord);
  }

  async find(memberId: number, invoiceId: string): Promise<InvoiceRecord | null> {
    const row = await this.db(INVOICES).where({ member_id: memberId, invoice_id: invoiceId }).first();
    return row ? toRecord(row) : null;
  }

  async insert(memberId: number, invoiceId: string, values: Required<Pick<InvoiceChanges, 'currency' | 'totalMinor'>> & InvoiceChanges, now: Date): Promise<InvoiceRecord> {
    const [id] = await this.db(INVOICES).insert({ member_id: memberId, invoice_id: invoiceId, ...toColumns(values), updated_at: now });
    // Built from what was written (column defaults filled in), not read back: this is on the
    // path of every paid invoice.
    return {
      id: toInt(id),
      memberId,
      invoiceId,
      earnedPoints: 0,
      reversedPoints: 0,
      refundedMinor: 0,
      chargedBack: false,
      paidAt: null,
      qualifyingMinor: 0,
      qualifyingRemovedMinor: 0,
      reversals: 0,
      reversalPendingAt: null,
      ...values,
    };
  }

  /** The rows of these (member, invoice) pairs that exist: a backfill's duplicates. */
  async findMany(pairs: ReadonlyArray<{ memberId: number; invoiceId: string }>): Promise<InvoiceRecord[]> {
    const out: InvoiceRecord[] = [];
    // OR of equalities on the unique (member_id, invoice_id) key: point lookups on both engines.
    for (let i = 0; i < pairs.length; i += 500) {
      const slice = pairs.slice(i, i + 500);
      const rows = await this.db(INVOICES).where((q) => {
        for (const p of slice) q.orWhere((w) => w.where({ member_id: p.memberId, invoice_id: p.invoiceId }));
      });
      out.push(...rows.map(toRecord));
    }
    return out;
  }

  /** Invoices paid at once (a backfill's batch), each new, with the same columns set in every row: a row a live
   * event wrote first fails the statement. */
  async insertMany(rows: ReadonlyArray<{ memberId: number; invoiceId: string; values: Required<Pick<InvoiceChanges, 'currency' | 'totalMinor'>> & InvoiceChanges }>, now: Date): Promise<void> {
    await insertRows(
      this.db,
      INVOICES,
      rows.map((r) => ({ member_id: r.memberId, invoice_id: r.invoiceId, ...toColumns(r.values), updated_at: now })),
    );
  }

  async update(id: number, changes: InvoiceChanges, now: Date): Promise<void> {
    await this.db(INVOICES).where({ id }).update({ ...toColumns(changes), updated_at: now });
  }
}
