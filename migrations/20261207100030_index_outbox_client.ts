import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_outbox';
const INDEX = 'loyalty_outbox_client_idx';

/** A member's panel actions, newest first, on their admin page. */
export async function up(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['client_id', 'id'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['client_id', 'id'], INDEX));
}
