import type { Knex } from 'knex';
import { SYSTEM_ACTOR, type Actor } from '../domain/actor';
import type { QueuedDomainEvent } from '../domain/domain-events';
import type { Logger } from '../logger';
import { createRepositories, type Repositories } from '../repositories';
import { createKnex, dialectOf, type Dialect } from './connection';
import { isDuplicateKey, isRetryable } from './errors';
import { MIGRATIONS_TABLE, migratorConfig } from './migration-source';
import { TransactionAttempt, type Tx } from './unit-of-work';

export interface DatabaseOptions {
  poolMax?: number;
  logger?: Logger;
  /** The instant each transaction attempt runs at (`tx.now`); injected in tests. */
  clock?: () => Date;
  /** Receives a transaction's domain events once it has committed. */
  publish?: (event: QueuedDomainEvent) => void;
}

const MAX_ATTEMPTS = 5;
/** How long start-up waits for another instance's migrations before giving up. */
const MIGRATION_LOCK_WAIT_MS = 120_000;

/** What knex's pool (tarn) tells about itself. */
interface PoolLike {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  max: number;
}

/** Another instance is migrating, or has just created knex's migration tables or lock row before us. */
function isMigrationRace(err: unknown): boolean {
  const e = err as { name?: string; errno?: number; message?: string };
  if (e?.name === 'MigrationLocked') return true;
  const aboutMigrationTables = typeof e?.message === 'string' && e.message.includes('loyalty_migrations');
  return aboutMigrationTables && (e.errno === 1050 || isDuplicateKey(err) || /already exists/.test(e.message ?? ''));
}

/**
 * The one object services use to reach storage: repositories for reads, and `transaction` for
 * writes. Services never see knex.
 */
export class Database {
  readonly dialect: Dialect;
  readonly repos: Repositories;

  private readonly clock: () => Date;

  constructor(
    readonly knex: Knex,
    url: string,
    private readonly options: DatabaseOptions = {},
  ) {
    this.dialect = dialectOf(url);
    this.repos = createRepositories(knex);
    this.clock = options.clock ?? (() => new Date());
  }

  static connect(url: string, options: DatabaseOptions = {}): Database {
    return new Database(createKnex(url, { poolMax: options.poolMax }), url, options);
  }

  /**
   * Runs `work` as one unit of work and runs it again from the start on a deadlock, lock wait
   * timeout or snapshot conflict. `work` must therefore have no effects outside the database:
   * what should happen after the commit is queued with `tx.afterCommit`, published here once
   * the commit succeeded, and dropped with a failed attempt.
   */
  async transaction<T>(work: (tx: Tx) => Promise<T>, options: { actor?: Actor } = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let tx: TransactionAttempt | undefined;
      try {
        const result = await this.knex.transaction((trx) => {
          tx = new TransactionAttempt(createRepositories(trx), this.clock(), options.actor ?? SYSTEM_ACTOR);
          return work(tx);
        });
        for (const event of tx?.queued ?? []) this.publish(event);
        return result;
      } catch (err) {
        if (!isRetryable(err) || attempt >= MAX_ATTEMPTS) throw err;
        this.options.logger?.debug({ err, attempt }, 'transaction conflict, retrying');
        await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
      }
    }
  }

  /** The clock transactions run by: jobs pick their work by the same instant. */
  now(): Date {
    return this.clock();
  }

  /** A subscriber's failure is logged, never turned into a failure of what already committed. */
  private publish(event: QueuedDomainEvent): void {
    try {
      this.options.publish?.(event);
    } catch (err) {
      this.options.logger?.error({ err, event: event.name }, 'domain event subscriber failed');
    }
  }

  /**
   * Runs pending migrations. Instances started together all try: knex's lock row lets one
   * through, and the others (refused with knex's MigrationLocked; on Galera the lock row's
   * write conflict, 1213, arrives wrapped the same way) wait for it and then find nothing to do.
   * On an empty database they also race to create knex's own two tables and lock row.
   */
  async migrateLatest(options: { lockWaitMs?: number } = {}): Promise<string[]> {
    const deadline = Date.now() + (options.lockWaitMs ?? MIGRATION_LOCK_WAIT_MS);
    await this.ensureMigrationLockRow(deadline);
    for (;;) {
      try {
        const [, applied] = await this.knex.migrate.latest(migratorConfig());
        return applied as string[];
      } catch (err) {
        if (!isMigrationRace(err) || Date.now() > deadline) throw err;
        this.options.logger?.info('another instance is migrating the database; waiting for it');
        await new Promise((r) => setTimeout(r, 250 + Math.random() * 250));
      }
    }
  }

  /**
   * knex makes its lock table and inserts the one lock row on first use. Instances starting
   * together on an empty database can each insert a row, and with two rows knex's lock update
   * matches both and reports "already locked" to everyone, for ever. So the table is made here
   * first, with its row at a fixed key: a second instance's insert is a duplicate key, not a
   * second row. An existing lock row (any key) is left as it is.
   */
  private async ensureMigrationLockRow(deadline: number): Promise<void> {
    const table = `${MIGRATIONS_TABLE}_lock`;
    for (;;) {
      try {
        if (!(await this.knex.schema.hasTable(table))) {
          // The shape knex itself gives the table (knex/lib/migrations/migrate/table-creator.js).
          await this.knex.schema.createTable(table, (t) => {
            t.increments('index').primary();
            t.integer('is_locked');
          });
        }
        await this.knex
          .insert(this.knex.select(this.knex.raw('1 as ??, 0 as ??', ['index', 'is_locked'])).whereNotExists(this.knex(table).select('index')))
          .into(this.knex.raw('?? (??, ??)', [table, 'index', 'is_locked']));
        return;
      } catch (err) {
        // Another instance made the table or the row between our check and our write.
        const raced = isDuplicateKey(err) || (err as { errno?: number }).errno === 1050 || /already exists/.test((err as Error).message ?? '');
        if (!raced || Date.now() > deadline) throw err;
      }
    }
  }

  async pendingMigrations(): Promise<string[]> {
    const [, pending] = await this.knex.migrate.list(migratorConfig());
    return (pending as Array<{ name?: string } | string>).map((m) => (typeof m === 'string' ? m : String(m.name)));
  }

  async ping(): Promise<void> {
    await this.knex.raw('select 1');
  }

  /** The connection pool now: connections in use, idle, and callers waiting for one. */
  poolStats(): { used: number; free: number; pending: number; max: number } {
    const pool = (this.knex.client as { pool?: PoolLike }).pool;
    if (!pool) return { used: 0, free: 0, pending: 0, max: 0 };
    return { used: pool.numUsed(), free: pool.numFree(), pending: pool.numPendingAcquires(), max: pool.max };
  }

  async close(): Promise<void> {
    await this.knex.destroy();
  }
}
