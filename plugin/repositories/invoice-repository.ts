import type { Knex } from 'knex';
import type { InvoiceChanges, InvoiceRecord } from '../domain/invoice-record';
import { insertRows, selectIn } from './bulk';
import { insertOrDuplicate } from './insert-or-duplicate';
import { OUTBOX } from './outbox-repository';
import { toDateOrNull, toInt } from './row-values';

export const INVOICES = 'loyalty_invoices';
/** (member_id, paid_at, invoice_id): a member's invoices by payment, their ids in the index. */
const MEMBER_PAID_INDEX = 'loyalty_invoices_member_paid_invoice_idx';
const OUTBOX_KEY_INDEX = 'loyalty_outbox_idempotency_key_unique';

function toRecord(row: Record<string, unknown>): InvoiceRecord {
  return {
    id: toInt(row.id),
    memberId: toInt(row.member_id),
    invoiceId: String(row.invoice_id),
    number: row.display_number === null || row.display_number === undefined ? null : String(row.display_number),
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
    cashbackMinor: row.cashback_minor === null || row.cashback_minor === undefined ? null : toInt(row.cashback_minor),
    reversedThroughLedgerId: row.reversed_through_ledger_id === null || row.reversed_through_ledger_id === undefined ? null : toInt(row.reversed_through_ledger_id),
  };
}

/** A new invoice row: the member's invoice, with the values known when it is written. */
export interface NewInvoice {
  memberId: number;
  invoiceId: string;
  values: Required<Pick<InvoiceChanges, 'currency' | 'totalMinor'>> & InvoiceChanges;
}

function newRow(r: NewInvoice, now: Date): Record<string, unknown> {
  return { member_id: r.memberId, invoice_id: r.invoiceId, ...toColumns(r.values), updated_at: now };
}

function toColumns(c: InvoiceChanges): Record<string, unknown> {
  const cols: Record<string, unknown> = {
    display_number: c.number,
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
    cashback_minor: c.cashbackMinor,
    reversed_through_ledger_id: c.reversedThroughLedgerId,
  };
  return Object.fromEntries(Object.entries(cols).filter(([, v]) => v !== undefined));
}

/** Invoice rows are read and written under the member's row lock, like the ledger. */
export class InvoiceRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /**
   * The payloads of the outbox actions that reached the panel for the member's invoices paid
   * in [from, to), in outbox order: each action is keyed `<prefix><invoice id>` with one of
   * `keyPrefixes` (e.g. the tier discount of this year's invoices). One statement: the
   * invoices' ids come from the (member_id, paid_at, invoice_id) index, and each prefix is one
   * lookup on the outbox's unique key, so only the actions sent are returned.
   */
  async sentActionsForPaid(memberId: number, from: Date, to: Date, keyPrefixes: readonly string[]): Promise<unknown[]> {
    if (keyPrefixes.length === 0) return [];
    const mysql = this.db.client.config.client === 'mysql2';
    const key = mysql ? 'CONCAT(?, i.invoice_id)' : '(? || i.invoice_id)';
    // Indexes named: left to itself, MariaDB adds a rowid filter on `state` from the dispatcher's
    // (state, next_attempt_at) index, a read of every action ever sent.
    const indexed = mysql ? '?? AS ?? FORCE INDEX (??)' : '?? AS ?? INDEXED BY ??';
    const q = this.db.from(this.db.raw(indexed, [INVOICES, 'i', MEMBER_PAID_INDEX]));
    keyPrefixes.forEach((prefix, n) => {
      q.leftJoin(this.db.raw(indexed, [OUTBOX, `o${n}`, OUTBOX_KEY_INDEX]), (j) => {
        j.on(`o${n}.idempotency_key`, '=', this.db.raw(key, [prefix])).andOn(`o${n}.state`, '=', this.db.raw('?', ['sent']));
      });
      q.select({ [`id${n}`]: `o${n}.id`, [`payload${n}`]: `o${n}.payload` });
    });
    const rows: Array<Record<string, unknown>> = await q
      .where('i.member_id', memberId)
      .andWhere('i.paid_at', '>=', from)
      .andWhere('i.paid_at', '<', to)
      .andWhere((w) => keyPrefixes.forEach((_, n) => w.orWhereNotNull(`o${n}.id`)));
    const sent: Array<{ id: number; payload: unknown }> = [];
    for (const row of rows) {
      keyPrefixes.forEach((_, n) => {
        if (row[`id${n}`] !== null && row[`id${n}`] !== undefined) sent.push({ id: toInt(row[`id${n}`]), payload: JSON.parse(String(row[`payload${n}`])) });
      });
    }
    return sent.sort((a, b) => a.id - b.id).map((s) => s.payload);
  }

  async find(memberId: number, invoiceId: string): Promise<InvoiceRecord | null> {
    const row = await this.db(INVOICES).where({ member_id: memberId, invoice_id: invoiceId }).first();
    return row ? toRecord(row) : null;
  }

  async insert(memberId: number, invoiceId: string, values: NewInvoice['values'], now: Date): Promise<InvoiceRecord> {
    const [id] = await this.db(INVOICES).insert(newRow({ memberId, invoiceId, values }, now));
    // Built from what was written (column defaults filled in), not read back: this is on the
    // path of every paid invoice.
    return {
      id: toInt(id),
      memberId,
      invoiceId,
      number: null,
      earnedPoints: 0,
      reversedPoints: 0,
      refundedMinor: 0,
      chargedBack: false,
      paidAt: null,
      qualifyingMinor: 0,
      qualifyingRemovedMinor: 0,
      reversals: 0,
      reversalPendingAt: null,
      cashbackMinor: null,
      reversedThroughLedgerId: null,
      ...values,
    };
  }

  /**
   * Inserts an invoice not read first; false when the member has a row for it already (the
   * unique (member_id, invoice_id) key), and nothing is inserted.
   */
  async insertIfNew(invoice: NewInvoice, now: Date): Promise<boolean> {
    const id = await insertOrDuplicate(this.db(INVOICES).insert(newRow(invoice, now)));
    return id !== null;
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

  /**
   * Of these members, those with a purchase that stands: an invoice paid (and not reversed since)
   * that earned points not all taken back by refunds or a chargeback. A member with none makes
   * their first purchase with the next invoice that earns. Served by the (member_id, paid_at, …)
   * index; the first such invoice of a member ends its scan.
   */
  async withStandingPurchase(memberIds: readonly number[]): Promise<Set<number>> {
    const rows = await selectIn(memberIds, (slice) =>
      this.db(INVOICES).distinct('member_id').whereIn('member_id', slice).whereNotNull('paid_at').andWhereRaw('?? > ??', ['earned_points', 'reversed_points']),
    );
    return new Set((rows as Array<Record<string, unknown>>).map((r) => toInt(r.member_id)));
  }

  /** Invoices paid at once (a backfill's batch), each new, with the same columns set in every row: a row a live
   * event wrote first fails the statement. */
  async insertMany(rows: readonly NewInvoice[], now: Date): Promise<void> {
    await insertRows(
      this.db,
      INVOICES,
      rows.map((r) => newRow(r, now)),
    );
  }

  async update(id: number, changes: InvoiceChanges, now: Date): Promise<void> {
    await this.db(INVOICES).where({ id }).update({ ...toColumns(changes), updated_at: now });
  }
}
