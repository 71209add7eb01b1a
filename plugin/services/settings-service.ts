import type { Database } from '../db/database';
import type { Tx } from '../db/unit-of-work';
import type { Actor } from '../domain/actor';
import {
  isSettingKey,
  parseSettings,
  settingsInputSchema,
  type SettingKey,
  type SettingProblem,
  type Settings,
  type SettingsCheck,
  type SettingsInput,
} from '../domain/settings';
import { tierSettingsFrom, type TierSettings } from '../domain/tiers';
import { fieldProblems } from '../domain/validation';
import { ConfigError, ValidationError } from '../errors';
import { ShortCache } from '../lib/short-cache';

/** Every event reads the settings; a short cache keeps that off the hot path. */
const CACHE_MS = 5_000;

/**
 * Stored settings that can't be used, each named by key. Thrown rather than falling back to a
 * default: a setting the provider meant would otherwise be skipped without a word.
 */
export class InvalidSettingsError extends ConfigError {
  constructor(readonly problems: readonly SettingProblem[]) {
    super(
      `Program settings are invalid: ${problems.map((p) => `${p.path ? `${p.key}.${p.path}` : p.key}: ${p.message}`).join('; ')}`,
      'Correct or delete these rows in loyalty_settings (README "The program" lists the keys and their values). Events are refused until then, so none is processed under a setting you did not mean; the panel redelivers them.',
    );
  }

  /** The keys at fault, each once. */
  get keys(): string[] {
    return [...new Set(this.problems.map((p) => p.key))];
  }
}

/** Stored settings, validated and defaults filled in; throws `InvalidSettingsError` naming the keys. */
export function settingsFrom(stored: Readonly<Record<string, unknown>>, checks: readonly SettingsCheck[] = []): Settings {
  const parsed = parseSettings(stored, checks);
  if (!parsed.ok) throw new InvalidSettingsError(parsed.problems);
  return parsed.settings;
}

/** What an edit makes of the settings as they are now: the values to write (none: nothing written), and the caller's answer. */
export interface SettingsDecision<A> {
  write?: SettingsInput;
  answer: A;
}

/** An edit's audit row, written with the decision's answer in its transaction, and who acts. */
export interface SettingsEdit<A> {
  within?: (tx: Tx, answer: A) => Promise<void>;
  actor?: Actor;
}

/**
 * A key the edit read as having no row got one from another save before the edit's insert:
 * what the edit was decided over is out of date, so it is decided again over the rows now.
 */
class SettingAppeared extends Error {
  constructor(readonly key: string) {
    super(`setting ${key} was stored by another save meanwhile`);
  }
}

/** Each rerun finds one more key with a row, so a few suffice; past them, something else is wrong. */
const MAX_DECISIONS = 5;

export interface SettingsServiceOptions {
  /** Monotonic milliseconds for the cache's age; the injected business clock may move backwards in tests. */
  monotonic?: () => number;
  /** Checks beyond the schemas, from layers above (createPlugin passes the jobs' schedule check). */
  checks?: readonly SettingsCheck[];
}

/**
 * The one reader and writer of program settings (domain/settings.ts declares them). Reads go
 * through the pool, so call `snapshot()` before opening a transaction, never inside one: on
 * SQLite the transaction holds the only connection. Writes invalidate the cache at once in this
 * process; other instances see them within the cache's 5 seconds.
 */
export class SettingsService {
  private readonly cache: ShortCache<Settings>;
  private readonly checks: readonly SettingsCheck[];

  constructor(
    private readonly db: Database,
    private readonly clock: () => Date,
    options: SettingsServiceOptions = {},
  ) {
    this.checks = options.checks ?? [];
    this.cache = new ShortCache(async () => settingsFrom(await this.db.repos.settings.all(), this.checks), CACHE_MS, options.monotonic);
  }

  /** All settings, validated; throws `InvalidSettingsError` while any stored row is unusable. */
  snapshot(): Promise<Settings> {
    return this.cache.get();
  }

  async get<K extends SettingKey>(key: K): Promise<Settings[K]> {
    return (await this.snapshot())[key];
  }

  /** The tier settings of the current snapshot. */
  async tierSettings(): Promise<TierSettings> {
    return tierSettingsFrom(await this.snapshot());
  }

  /**
   * Stores the given keys; refuses unknown keys and invalid values, naming each. `within` runs
   * in the same transaction (an admin change's audit row commits with it, or neither does).
   */
  async update(values: SettingsInput, options: { within?: (tx: Tx) => Promise<void>; actor?: Actor } = {}): Promise<void> {
    await this.write(values, 'overwrite', options);
  }

  /**
   * Stores what `decide` makes of the settings as stored now, read with every row locked in
   * the write's own transaction: an admin's edits merge over the settings as they are there,
   * never as they were when the form opened, and no second save slips between the read and the
   * write. `decide` (pure; run again if the transaction is) answers with values to write, checked
   * as `update` checks them (a `ValidationError` writes nothing), or with none to write nothing;
   * `within` runs after a write, in its transaction (an audit row).
   */
  async updateWith<A>(decide: (current: Settings) => SettingsDecision<A>, options: SettingsEdit<A> = {}): Promise<A> {
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.db.transaction(
            async (tx) => {
              const stored = await tx.repos.settings.all({ forUpdate: true });
              const decision = decide(settingsFrom(stored, this.checks));
              if (!decision.write) return decision.answer;
              for (const [key, value] of this.checked(decision.write)) {
                if (Object.hasOwn(stored, key)) await tx.repos.settings.set(key, value, tx.now);
                // No row to lock when read: another save may have inserted one since.
                else if (!(await tx.repos.settings.setIfAbsent(key, value, tx.now))) throw new SettingAppeared(key);
              }
              await options.within?.(tx, decision.answer);
              return decision.answer;
            },
            { actor: options.actor },
          );
        } catch (err) {
          if (!(err instanceof SettingAppeared) || attempt >= MAX_DECISIONS) throw err;
        }
      }
    } finally {
      this.invalidate();
    }
  }

  /** Stores the given keys only where they have no row, so a provider's own changes stand. */
  async seed(values: SettingsInput): Promise<void> {
    await this.write(values, 'if_absent');
  }

  /** For code that wrote loyalty_settings some other way (tests, a migration run in-process). */
  invalidate(): void {
    this.cache.invalidate();
  }

  private async write(values: SettingsInput, mode: 'overwrite' | 'if_absent', options: { within?: (tx: Tx) => Promise<void>; actor?: Actor } = {}): Promise<void> {
    const entries = this.checked(values);
    try {
      await this.db.transaction(
        async (tx) => {
          for (const [key, value] of entries) {
            if (mode === 'overwrite') await tx.repos.settings.set(key, value, tx.now);
            else await tx.repos.settings.setIfAbsent(key, value, tx.now);
          }
          await options.within?.(tx);
        },
        { actor: options.actor },
      );
    } finally {
      this.invalidate();
    }
  }

  /** The values to store, as stored; throws a `ValidationError` naming unknown keys and invalid values. */
  private checked(values: SettingsInput): Array<[string, unknown]> {
    const unknown = Object.keys(values).filter((key) => !isSettingKey(key));
    const parsed = settingsInputSchema.safeParse(values);
    const checked = parsed.success && unknown.length === 0 ? this.checks.flatMap((check) => check(parsed.data)) : [];
    if (unknown.length > 0 || !parsed.success || checked.length > 0) {
      throw new ValidationError(
        [
          ...unknown.map((key) => ({ path: key, message: 'is not a known setting' })),
          ...(parsed.success ? [] : fieldProblems(parsed.error, values).filter((p) => p.path !== '')),
          ...checked.map((p) => ({ path: p.path ? `${p.key}.${p.path}` : p.key, message: p.message })),
        ],
        'Fix the listed settings and save them again (README "The program" lists them).',
      );
    }
    return Object.entries(parsed.data).filter(([, v]) => v !== undefined);
  }
}
