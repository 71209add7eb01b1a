import type { Knex } from 'knex';
import { RateLimiterMemory, RateLimiterMySQL, RateLimiterRes, RateLimiterSQLite, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Dialect } from './connection';

export const RATE_LIMITS_TABLE = 'loyalty_rate_limits';

/** One limit: at most `points` per `durationSeconds` per key. */
export interface RateLimitRule {
  /** Prefix of the keys it counts (`sign-in-ip`); one table holds every limit. */
  name: string;
  points: number;
  durationSeconds: number;
}

export type RateLimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Counts attempts per key; what web/rate-limit.ts needs, without knex or the library. */
export interface RateLimiter {
  readonly rule: RateLimitRule;
  /** Counts one attempt; refused once the key has used up its points in the window. */
  consume(key: string): Promise<RateLimitVerdict>;
}

function verdict(res: RateLimiterRes, points: number): RateLimitVerdict {
  if (res.consumedPoints <= points) return { allowed: true };
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
}

/**
 * A limiter whose counters live in the plugin's database, so several instances on one
 * database share them (rate-limiter-flexible's MySQL or SQLite store, through knex; the table
 * comes from our migrations). Should the store fail, a per-process memory limiter of the same
 * rule stands in rather than failing the request.
 */
export function createRateLimiter(knex: Knex, dialect: Dialect, rule: RateLimitRule): RateLimiter {
  const base = { keyPrefix: rule.name, points: rule.points, duration: rule.durationSeconds };
  const store = { ...base, storeClient: knex, storeType: 'knex', tableName: RATE_LIMITS_TABLE, tableCreated: true, insuranceLimiter: new RateLimiterMemory(base) };
  const limiter: RateLimiterAbstract =
    dialect === 'mysql'
      ? new RateLimiterMySQL({ ...store, dbName: databaseName(knex) })
      : new RateLimiterSQLite(store);
  return {
    rule,
    async consume(key) {
      try {
        await limiter.consume(key);
        return { allowed: true };
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return verdict(rejection, rule.points);
        throw rejection;
      }
    },
  };
}

function databaseName(knex: Knex): string {
  const connection = knex.client.config.connection as { database?: unknown } | undefined;
  if (typeof connection?.database !== 'string' || connection.database === '') throw new Error('The MySQL DATABASE_URL names no database');
  return connection.database;
}
