import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_members';
const COLUMN = 'birthday_md';
const INDEX = 'loyalty_members_birthday_md_idx';

/**
 * The birthday's `MM-DD`, computed by the database from `birthday` (YYYY-MM-DD) and indexed
 * with the id, so the birthday job reads the members whose day it is, not every member, and
 * no writer of `birthday` has to remember a second column.
 */
export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, COLUMN))) {
    if (knex.client.config.client === 'mysql2') await knex.raw('ALTER TABLE ?? ADD COLUMN ?? CHAR(5) AS (SUBSTRING(??, 6, 5)) VIRTUAL', [TABLE, COLUMN, 'birthday']);
    else await knex.raw('ALTER TABLE ?? ADD COLUMN ?? TEXT GENERATED ALWAYS AS (substr(??, 6, 5)) VIRTUAL', [TABLE, COLUMN, 'birthday']);
  }
  if (!(await hasIndex(knex, TABLE, INDEX))) await knex.schema.alterTable(TABLE, (t) => t.index([COLUMN, 'id'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) await knex.schema.alterTable(TABLE, (t) => t.dropIndex([COLUMN, 'id'], INDEX));
  if (await knex.schema.hasColumn(TABLE, COLUMN)) await knex.raw('ALTER TABLE ?? DROP COLUMN ??', [TABLE, COLUMN]);
}
