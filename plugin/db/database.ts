import type { Knex } from 'knex';
import type { Logger } from '../logger';
import { createRepositories, type Repositories } from '../repositories';
import { createKnex, dialectOf, type Dialect } from './connection';
import { isRetryable } from './errors';
import { migratorConfig } from './migration-source';

const MAX_ATTEMPTS = 5;

/**
 * The one object services use to reach storage: repositories for reads, and `transaction` for
 * writes. Services never see knex.
 */
export class Database {
  readonly dialect: Dialect;
  readonly repos: Repositories;

  constructor(
    readonly knex: Knex,
    url: string,
    private readonly logger?: Logger,
  ) {
    this.dialect = dialectOf(url);
    this.repos = createRepositories(knex);
  }

  static connect(url: string, options: { poolMax?: number; logger?: Logger } = {}): Database {
    return new Database(createKnex(url, { poolMax: options.poolMax }), url, options.logger);
  }

  /**
   * Runs `work` in one transaction and runs it again from the start on a deadlock, lock wait
   * timeout or snapshot conflict. `work` must therefore have no effects outside the database.
   */
  async transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.knex.transaction((trx) => work(createRepositories(trx)));
      } catch (err) {
        if (!isRetryable(err) || attempt >= MAX_ATTEMPTS) throw err;
        this.logger?.debug({ err, attempt }, 'transaction conflict, retrying');
        await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
      }
    }
  }

  async migrateLatest(): Promise<string[]> {
    const [, applied] = await this.knex.migrate.latest(migratorConfig());
    return applied as string[];
  }

  async pendingMigrations(): Promise<string[]> {
    const [, pending] = await this.knex.migrate.list(migratorConfig());
    return (pending as Array<{ name?: string } | string>).map((m) => (typeof m === 'string' ? m : String(m.name)));
  }

  async ping(): Promise<void> {
    await this.knex.raw('select 1');
  }

  async close(): Promise<void> {
    await this.knex.destroy();
  }
}
