import type { Knex } from 'knex';
import { migrations, type NamedMigration } from '../../migrations';

/**
 * Migrations are imported modules, not files found on disk: knex records the name we give,
 * without an extension, so a database migrated from sources (.ts) is current for the compiled
 * build (.js) and the other way round.
 */
export class PluginMigrationSource implements Knex.MigrationSource<NamedMigration> {
  constructor(private readonly list: NamedMigration[] = migrations) {}

  async getMigrations(): Promise<NamedMigration[]> {
    return this.list;
  }

  getMigrationName(migration: NamedMigration): string {
    return migration.name;
  }

  async getMigration(migration: NamedMigration): Promise<Knex.Migration> {
    return migration;
  }
}

export const MIGRATIONS_TABLE = 'loyalty_migrations';

export function migratorConfig(): Knex.MigratorConfig {
  return { migrationSource: new PluginMigrationSource(), tableName: MIGRATIONS_TABLE };
}
