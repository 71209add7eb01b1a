import type { Knex } from 'knex';

const TABLE = 'loyalty_expiry_warnings';
const LOTS = 'loyalty_lots';

/**
 * Fills `expires_at` on the warnings written before it was recorded, in one statement, only
 * where it is still NULL (so a rerun does nothing).
 *
 * A warning at T days is written only while its lot expires within T days, and deadlines only
 * ever move later. So when the lot's deadline now is within T days of the warning, the warning
 * was (almost surely) about it. When it is later, the lot was moved on after it was warned (the
 * inactivity policy) and the deadline warned about is not known: such a row gets its own
 * `warned_at`, an instant before any deadline the lot can have now, so the lot is warned again
 * before its new one. (A lot moved to a deadline still within T days of the old warning, which
 * takes an inactivity period shorter than T, is taken as warned already: rare, and said once.)
 */
export async function up(knex: Knex): Promise<void> {
  // MySQL DATETIMEs are compared as dates; SQLite holds them as epoch milliseconds.
  const within =
    knex.client.config.client === 'mysql2'
      ? `l.expires_at <= ${TABLE}.warned_at + INTERVAL ${TABLE}.threshold_days DAY`
      : `l.expires_at <= ${TABLE}.warned_at + ${TABLE}.threshold_days * 86400000`;
  await knex.raw(
    `UPDATE ${TABLE} SET expires_at = COALESCE((SELECT l.expires_at FROM ${LOTS} l WHERE l.id = ${TABLE}.lot_id AND ${within}), ${TABLE}.warned_at) WHERE expires_at IS NULL`,
  );
}

/** Nothing to undo: the previous migration's `down` drops the column. */
export async function down(): Promise<void> {}
