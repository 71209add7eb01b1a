import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_members';
const COLUMN = 'joined_md';
const INDEX = 'loyalty_members_joined_md_idx';

/**
 * The `MM-DD` (UTC) of `joined_at`, computed by the database and indexed with the id: the
 * anniversary job reads the members whose day it is. MariaDB refuses DATE_FORMAT in a
 * generated column, hence MONTH/DAYOFMONTH; SQLite stores DATETIME as epoch milliseconds.
 */
export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, COLUMN))) {
    if (knex.client.config.client === 'mysql2') {
      await knex.raw("ALTER TABLE ?? ADD COLUMN ?? CHAR(5) AS (CONCAT(LPAD(MONTH(??), 2, '0'), '-', LPAD(DAYOFMONTH(??), 2, '0'))) VIRTUAL", [
        TABLE,
        COLUMN,
        'joined_at',
        'joined_at',
      ]);
    } else {
      await knex.raw("ALTER TABLE ?? ADD COLUMN ?? TEXT GENERATED ALWAYS AS (strftime('%m-%d', ?? / 1000, 'unixepoch')) VIRTUAL", [TABLE, COLUMN, 'joined_at']);
    }
  }
  if (!(await hasIndex(knex, TABLE, INDEX))) await knex.schema.alterTable(TABLE, (t) => t.index([COLUMN, 'id'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) await knex.schema.alterTable(TABLE, (t) => t.dropIndex([COLUMN, 'id'], INDEX));
  if (await knex.schema.hasColumn(TABLE, COLUMN)) await knex.raw('ALTER TABLE ?? DROP COLUMN ??', [TABLE, COLUMN]);
}
