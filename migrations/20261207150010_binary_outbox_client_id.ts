import type { Knex } from 'knex';
import { collationOf } from './helpers';

const TABLE = 'loyalty_outbox';

/** A panel client id compares as written, as `loyalty_members.panel_client_id` does: client `AB` is not `ab`. MySQL/MariaDB only. */
export async function up(knex: Knex): Promise<void> {
  const collation = await collationOf(knex, TABLE, 'client_id');
  if (collation === null || collation === 'utf8mb4_bin') return;
  await knex.raw('ALTER TABLE ?? MODIFY ?? VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL', [TABLE, 'client_id']);
}

export async function down(knex: Knex): Promise<void> {
  if ((await collationOf(knex, TABLE, 'client_id')) !== 'utf8mb4_bin') return;
  await knex.raw('ALTER TABLE ?? MODIFY ?? VARCHAR(64) NULL', [TABLE, 'client_id']);
}
