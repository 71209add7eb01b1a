import type { Database } from '../db/database';
import type { Tx } from '../db/unit-of-work';
import type { Actor } from '../domain/actor';
import { ConfigError, ValidationError } from '../errors';
import { programFromSettings, type Program, type ProgramSettings } from '../domain/program';
import { parseRule, type CapPeriod, type Rule, type RuleParams, type RuleType, type StoredRule } from '../domain/rules';
import type { Settings } from '../domain/settings';
import type { RuleRow } from '../repositories/rule-repository';
import type { SettingsService } from './settings-service';
import { ShortCache } from '../lib/short-cache';

/** Rules are read by every event; a short cache keeps that off the hot path (settings have their own). */
const CACHE_MS = 5_000;

/** A rule as a caller writes it; params are checked against the rule type before storing. */
export interface RuleInput<K extends RuleType = RuleType> {
  type: K;
  params: RuleParams[K] | Record<string, unknown>;
  active: boolean;
  startsAt?: Date | null;
  endsAt?: Date | null;
  cap?: { points: number; period: CapPeriod } | null;
}

/** A write made by an admin: who acts, and what else commits with it (the audit row). */
export interface AdminWrite {
  within?: (tx: Tx) => Promise<void>;
  actor?: Actor;
}

/** What an edit makes of a rule as it is now: the rule to write (none: nothing written), and the caller's answer. */
export interface RuleDecision<A> {
  write?: RuleInput;
  answer: A;
}

/** An admin's edit: who acts, and its audit row, written with the decision's answer in its transaction. */
export interface AdminEdit<A> {
  within?: (tx: Tx, answer: A) => Promise<void>;
  actor?: Actor;
}

/** An admin's new rule: who acts, and its audit row, written with the rule's id in its transaction. */
export interface AdminCreate {
  within?: (tx: Tx, id: number) => Promise<void>;
  actor?: Actor;
}

const RULE_HELP =
  'Correct the row in loyalty_rules (the rule types and their params are described in plugin/domain/rules.ts), or delete it. Events are refused until then, so none earns by a wrong rule.';

/**
 * The program: settings (through the settings service) plus the earning rules. Reads go through
 * the pool: call `current()` before a transaction, never inside one.
 */
export class ProgramService {
  private readonly rules = new ShortCache(async (): Promise<readonly Rule[]> => (await this.db.repos.rules.all()).map(validRule), CACHE_MS);
  private built: { settings: Settings; rules: readonly Rule[]; program: Program } | null = null;

  constructor(
    private readonly db: Database,
    private readonly settings: SettingsService,
    private readonly clock: () => Date,
  ) {}

  async init(): Promise<void> {
    await this.current();
  }

  /** Throws `InvalidSettingsError` (naming the keys) or a ConfigError naming a bad rule. */
  async current(): Promise<Program> {
    const [settings, rules] = await Promise.all([this.settings.snapshot(), this.rules.get()]);
    if (this.built?.settings !== settings || this.built.rules !== rules) this.built = { settings, rules, program: programFromSettings(settings, rules) };
    return this.built.program;
  }

  /** Stores settings only where none exist yet, so a provider's own changes are never overwritten. */
  async seed(settings: ProgramSettings): Promise<void> {
    await this.settings.seed(settings);
  }

  /** Stores the given settings; `update({})` just drops the caches, as any admin write does. */
  async update(settings: ProgramSettings): Promise<void> {
    this.forgetRules();
    await this.settings.update(settings);
  }

  /** Adds a rule; refuses one that would not pass validation when read. Returns its id. */
  async addRule(input: RuleInput): Promise<number> {
    const row = checkedRow(input);
    const id = await this.db.transaction(({ repos }) => repos.rules.insert(row, this.clock()));
    this.forgetRules();
    return id;
  }

  /**
   * Adds a rule made by an admin form, once per form key: the same form posted again (a double
   * click, a reload) finds the rule the first post made, and `within` (its audit row) runs only
   * with the insert. The unique key, not a read first, decides: two posts at once make one rule.
   */
  async addRuleOnce(formKey: string, input: RuleInput, options: AdminCreate = {}): Promise<{ rule: StoredRule; repeated: boolean }> {
    const row = checkedRow(input);
    const id = await this.db.transaction(async (tx) => {
      const inserted = await tx.repos.rules.insertKeyed(row, formKey, tx.now);
      if (inserted !== null) await options.within?.(tx, inserted);
      return inserted;
    }, { actor: options.actor });
    this.forgetRules();
    if (id !== null) return { rule: { id, ...row }, repeated: false };
    // Read after the refused insert's transaction: the first post's commit is visible by now.
    const earlier = await this.db.repos.rules.findByFormKey(formKey);
    if (!earlier) throw new Error(`rule form key ${formKey} collided, but no rule holds it`);
    return { rule: earlier, repeated: true };
  }

  /**
   * Replaces a rule's definition (type, params, flag, window, cap) with what `decide` makes of
   * the rule as read, locked, in the write's own transaction: an admin's edits merge over the
   * rule as it is there, never as it was when the form opened, and no second save slips between
   * the read and the write. `decide` (pure; run again if the transaction is retried) answers with
   * a rule to write, or with none to write nothing; `within` runs after a write, in its
   * transaction (an audit row). Null when there is no such rule.
   */
  async updateRule<A>(id: number, decide: (current: StoredRule) => RuleDecision<A>, options: AdminEdit<A> = {}): Promise<A | null> {
    const decided = await this.db.transaction(async (tx) => {
      const current = await tx.repos.rules.find(id, { forUpdate: true });
      if (!current) return null;
      const decision = decide(current);
      if (decision.write) {
        await tx.repos.rules.update(id, checkedRow(decision.write, id), tx.now);
        await options.within?.(tx, decision.answer);
      }
      return decision;
    }, { actor: options.actor });
    if (decided?.write) this.forgetRules();
    return decided ? decided.answer : null;
  }

  async setRuleActive(id: number, active: boolean, options: AdminWrite = {}): Promise<void> {
    const found = await this.db.transaction(async (tx) => {
      const updated = await tx.repos.rules.update(id, { active }, this.clock());
      if (updated) await options.within?.(tx);
      return updated;
    }, { actor: options.actor });
    if (!found) throw new ValidationError([{ path: 'id', message: `no rule #${id}` }], 'List the rules to find the right id.');
    this.forgetRules();
  }

  /** After a rule write in this process: the next event reads the rules again. */
  private forgetRules(): void {
    this.rules.invalidate();
  }
}

function validRule(row: StoredRule): Rule {
  const r = parseRule(row);
  if (!r.ok) throw new ConfigError(`Earning rule #${row.id} (${row.type}) is invalid: ${r.problems.join('; ')}`, RULE_HELP);
  return r.rule;
}

function checkedRow(input: RuleInput, id = 0): RuleRow {
  const row: RuleRow = {
    type: input.type,
    params: JSON.stringify(input.params),
    active: input.active,
    startsAt: input.startsAt ?? null,
    endsAt: input.endsAt ?? null,
    capPoints: input.cap?.points ?? null,
    capPeriod: input.cap?.period ?? null,
  };
  const r = parseRule({ id, ...row });
  if (!r.ok) {
    throw new ValidationError(
      r.problems.map((p) => {
        const [path, ...rest] = p.split(': ');
        return { path: path ?? '', message: rest.join(': ') };
      }),
      'Fix the listed fields of the rule and save it again.',
    );
  }
  return row;
}
