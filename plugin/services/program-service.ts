import type { Database } from '../db/database';
import { ConfigError, ValidationError } from '../errors';
import { programFromSettings, programSettingsSchema, type Program, type ProgramSettings } from '../domain/program';
import { parseRule, type CapPeriod, type Rule, type RuleParams, type RuleType, type StoredRule } from '../domain/rules';
import type { RuleRow } from '../repositories/rule-repository';

/** Settings are read by every event; a short cache keeps that off the hot path. */
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

const RULE_HELP =
  'Correct the row in loyalty_rules (the rule types and their params are described in plugin/domain/rules.ts), or delete it. Events are refused until then, so none earns by a wrong rule.';

export class ProgramService {
  private cached: { program: Program; at: number } | null = null;

  constructor(
    private readonly db: Database,
    private readonly clock: () => Date,
  ) {}

  async init(): Promise<void> {
    await this.current();
  }

  async current(): Promise<Program> {
    const now = this.clock().getTime();
    if (this.cached && now - this.cached.at < CACHE_MS) return this.cached.program;
    const [raw, stored] = await Promise.all([this.db.repos.settings.all(), this.db.repos.rules.all()]);
    const parsed = programSettingsSchema.safeParse(raw);
    if (!parsed.success) {
      const where = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new ConfigError(`Program settings are invalid: ${where}`, 'Correct the row in loyalty_settings.');
    }
    const program = programFromSettings(parsed.data, stored.map(validRule));
    this.cached = { program, at: now };
    return program;
  }

  /** Stores settings only where none exist yet, so a provider's own changes are never overwritten. */
  async seed(settings: ProgramSettings): Promise<void> {
    const valid = programSettingsSchema.parse(settings);
    await this.db.transaction(async ({ repos }) => {
      for (const [key, value] of Object.entries(valid)) {
        if (value !== undefined) await repos.settings.setIfAbsent(key, value, this.clock());
      }
    });
    this.cached = null;
  }

  async update(settings: ProgramSettings): Promise<void> {
    const valid = programSettingsSchema.parse(settings);
    await this.db.transaction(async ({ repos }) => {
      for (const [key, value] of Object.entries(valid)) {
        if (value !== undefined) await repos.settings.set(key, value, this.clock());
      }
    });
    this.cached = null;
  }

  /** Adds a rule; refuses one that would not pass validation when read. Returns its id. */
  async addRule(input: RuleInput): Promise<number> {
    const row = checkedRow(input);
    const id = await this.db.transaction(({ repos }) => repos.rules.insert(row, this.clock()));
    this.cached = null;
    return id;
  }

  /** Replaces a rule's definition (type, params, flag, window, cap). */
  async updateRule(id: number, input: RuleInput): Promise<void> {
    const row = checkedRow(input, id);
    const found = await this.db.transaction(({ repos }) => repos.rules.update(id, row, this.clock()));
    if (!found) throw new ValidationError([{ path: 'id', message: `no rule #${id}` }], 'List the rules to find the right id.');
    this.cached = null;
  }

  async setRuleActive(id: number, active: boolean): Promise<void> {
    const found = await this.db.transaction(({ repos }) => repos.rules.update(id, { active }, this.clock()));
    if (!found) throw new ValidationError([{ path: 'id', message: `no rule #${id}` }], 'List the rules to find the right id.');
    this.cached = null;
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
