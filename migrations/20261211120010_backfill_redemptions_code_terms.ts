import type { Knex } from 'knex';

const REDEMPTIONS = 'loyalty_redemptions';
const OUTBOX = 'loyalty_outbox';
const BATCH = 500;

/**
 * The terms of the codes made before they were kept on the redemption (20261211120000): read
 * from the redemption's own `promo.create` action, written in the same transaction as the
 * redemption and never changed after (a retry sends the same payload), so it is what the member
 * was given. Only rows with a code and no terms are touched, so running this again does nothing;
 * a row whose action is missing or unreadable stays null and its page shows the code alone.
 */
export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(REDEMPTIONS, 'code_terms'))) return;
  let after = 0;
  for (;;) {
    const rows: Array<{ id: unknown; action_key: unknown }> = await knex(REDEMPTIONS)
      .whereNotNull('code')
      .whereNull('code_terms')
      .andWhere('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .select('id', 'action_key');
    const last = rows[rows.length - 1];
    if (!last) return;
    after = Number(last.id);
    const actions: Array<{ idempotency_key: unknown; payload: unknown }> = await knex(OUTBOX)
      .whereIn(
        'idempotency_key',
        rows.map((r) => String(r.action_key)),
      )
      .andWhere('action', 'promo.create')
      .select('idempotency_key', 'payload');
    const terms = new Map(actions.map((a) => [String(a.idempotency_key), termsOf(a.payload)]));
    for (const row of rows) {
      const found = terms.get(String(row.action_key));
      if (found) await knex(REDEMPTIONS).where({ id: Number(row.id) }).whereNull('code_terms').update({ code_terms: found });
    }
  }
}

/** Nothing to undo: the previous migration's `down` drops the column. */
export async function down(): Promise<void> {}

/** The payload's `discount` and `expiresAt` as `code_terms` stores them, or null if they are not what `promo.create` carries. */
function termsOf(payload: unknown): string | null {
  let p: unknown;
  try {
    p = JSON.parse(String(payload));
  } catch {
    return null;
  }
  if (typeof p !== 'object' || p === null) return null;
  const { discount, expiresAt } = p as { discount?: unknown; expiresAt?: unknown };
  if (expiresAt !== null && (typeof expiresAt !== 'string' || Number.isNaN(Date.parse(expiresAt)))) return null;
  const d = discount as { type?: unknown; percent?: unknown; amount?: { currency?: unknown; minor?: unknown } } | null | undefined;
  if (d?.type === 'percent' && typeof d.percent === 'number') return JSON.stringify({ discount: { type: 'percent', percent: d.percent }, expiresAt });
  if (d?.type === 'amount' && typeof d.amount?.currency === 'string' && Number.isSafeInteger(d.amount.minor)) {
    return JSON.stringify({ discount: { type: 'amount', amount: { currency: d.amount.currency, minor: d.amount.minor } }, expiresAt });
  }
  return null;
}
