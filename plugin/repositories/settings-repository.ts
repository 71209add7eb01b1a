import type { Knex } from 'knex';
import { UnreadableSetting } from '../domain/settings';
import { insertOrDuplicate } from './insert-or-duplicate';

export const SETTINGS = 'loyalty_settings';

export class SettingsRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /** Every stored value by key; one that is not JSON is an `UnreadableSetting`, for the reader to name its key. */
  async all(): Promise<Record<string, unknown>> {
    const rows: Array<{ key: string; value: string }> = await this.db(SETTINGS).select('key', 'value');
    return Object.fromEntries(rows.map((r) => [r.key, parseStored(r.value)]));
  }

  /** Insert, or update when the key exists: portable across both engines without upsert quirks. */
  async set(key: string, value: unknown, now: Date): Promise<void> {
    const row = { key, value: JSON.stringify(value), updated_at: now };
    if ((await insertOrDuplicate(this.db(SETTINGS).insert(row))) === null) await this.db(SETTINGS).where({ key }).update(row);
  }

  /** Sets the key only if it has never been set; returns whether it did. */
  async setIfAbsent(key: string, value: unknown, now: Date): Promise<boolean> {
    return (await insertOrDuplicate(this.db(SETTINGS).insert({ key, value: JSON.stringify(value), updated_at: now }))) !== null;
  }
}

function parseStored(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (err) {
    return new UnreadableSetting(err instanceof Error ? err.message : String(err));
  }
}
