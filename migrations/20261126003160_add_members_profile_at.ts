import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_members';

/** The instant of the `client.updated` last applied: an older update delivered late changes nothing. */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, 'profile_at')) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.datetime('profile_at', MS).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, 'profile_at'))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropColumn('profile_at');
  });
}
