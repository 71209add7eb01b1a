import type { Knex } from 'knex';
import { UnreadableSetting } from '../domain/settings';
import { insertOrDuplicate } from './insert-or-duplicate';

export const SETTINGS = 'loyalty_settings';

export class SettingsRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /**
   * Every stored value by key; one that is not JSON is an `UnreadableSetting`, for the reader to
   * name its key. With `forUpdate`, every row read stays locked until the transaction ends: an
   * admin's settings save merges its edits over the settings as read here, and a second save
   * waits to read what the first wrote. A key with no row has nothing to lock; a write that
   * inserts one learns from `setIfAbsent` that another got there first.
   */
  async all(options: { forUpdate?: boolean } = {}): Promise<Record<string, unknown>> {
    const q = this.db(SETTINGS).select('key', 'value');
    if (options.forUpdate) void q.forUpdate();
    const rows: Array<{ key: string; value: string }> = await q;
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
