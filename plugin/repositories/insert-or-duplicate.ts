import { isDuplicateKey } from '../db/errors';
import { toInt } from './row-values';

/**
 * Runs a plain INSERT and resolves to the new row's id (an auto-increment id; meaningless for
 * a table keyed otherwise), or to null when a unique key already holds the row.
 *
 * DESIGN §10: never INSERT IGNORE (knex `.onConflict().ignore()` on MySQL), which turns every
 * error into a warning, truncation included; nor ON DUPLICATE KEY UPDATE, whose affected rows
 * can't tell an insert from a duplicate under mysql2. On both engines a duplicate fails only
 * the statement, so the caller's transaction and its other writes stand.
 */
export async function insertOrDuplicate(insert: PromiseLike<readonly unknown[]>): Promise<number | null> {
  try {
    const [id] = await insert;
    return toInt(id);
  } catch (err) {
    if (isDuplicateKey(err)) return null;
    throw err;
  }
}
