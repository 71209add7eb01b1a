import type { Database } from '../db/database';
import type { Tx } from '../db/unit-of-work';
import { adminActor, type AdminContext } from '../domain/audit';
import { judgeTierEdit } from '../domain/catalog-edits';
import { sameJson } from '../domain/json-object';
import { editsSince } from '../domain/form-edits';
import { judgeRewardForm, rewardFormValues, type RewardFormContext } from '../domain/reward-form';
import type { Reward } from '../domain/rewards';
import { judgeRuleForm, ruleFormValues, type RuleEdit } from '../domain/rule-edits';
import type { StoredRule } from '../domain/rules';
import { changesAsInput, parseSettingsForm, problemKey, settingsFormValues, type SettingChange } from '../domain/settings-form';
import type { Settings } from '../domain/settings';
import { tierFormValues } from '../domain/tier-form';
import { judgeTierNames } from '../domain/tier-name-edits';
import type { Tier } from '../domain/tiers';
import { problem, type FieldProblem } from '../domain/validation';
import { ValidationError } from '../errors';
import { LANGUAGES } from '../i18n';
import { FORM_KEY_PATTERN } from './admin-member-service';
import type { ProgramService } from './program-service';
import type { SettingsService } from './settings-service';
import type { TierService } from './tier-service';

/** The audit log as this service needs it (services/audit-service.ts). */
export interface AuditRecorder {
  record(tx: Tx, ctx: AdminContext, entry: { action: string; target: string | null; before?: unknown; after?: unknown }): Promise<unknown>;
}

/** What the program page shows: every setting, tier, rule and reward as stored now. */
export interface ProgramState {
  settings: Settings;
  tiers: Tier[];
  rules: StoredRule[];
  rewards: Reward[];
}

/** A save's answer: what changed (before and after), or the fields at fault, nothing written. */
export type SaveResult = { ok: true; changes: Array<{ target: string; before: unknown; after: unknown }> } | { ok: false; problems: FieldProblem[] };

/** A reward save's answer: as any save's, with the reward's id when it holds. */
export type RewardSaveResult = (Extract<SaveResult, { ok: true }> & { id: number }) | Extract<SaveResult, { ok: false }>;

/**
 * The owner's program editing: settings (through the settings service, whose registry the form
 * is generated from), tiers, earning rules and the rewards catalog. Every change commits with
 * its audit row, carries its before and after, and applies to events from then on: nothing
 * here touches the ledger, lots or members, so history is never rewritten.
 */
export class ProgramAdminService {
  constructor(
    private readonly db: Database,
    private readonly settings: SettingsService,
    private readonly program: ProgramService,
    private readonly tiers: TierService,
    private readonly audit: AuditRecorder,
  ) {}

  /** Fresh from the database (not the 5-second caches): an owner sees what they just saved. */
  async state(): Promise<ProgramState> {
    this.settings.invalidate();
    const [settings, tiers, rules, rewards] = await Promise.all([
      this.settings.snapshot(),
      this.db.repos.tiers.list(),
      this.db.repos.rules.all(),
      this.db.repos.rewards.list(),
    ]);
    return { settings, tiers, rules, rewards };
  }

  /** The settings as stored now (not the 5-second cache), read through the pool. */
  private async freshSettings(): Promise<Settings> {
    this.settings.invalidate();
    return this.settings.snapshot();
  }

  /**
   * The settings form. As with a tier or rule, only the settings the owner changed on the form
   * are written, over the settings as they are in the write's transaction (`editsSince`, every
   * row locked: SettingsService.updateWith): another owner may save while the form is open, and
   * is never reverted. A setting changed both ways is refused with its value now.
   */
  async saveSettings(ctx: AdminContext, body: Readonly<Record<string, unknown>>): Promise<SaveResult> {
    let result: SaveResult;
    try {
      result = await this.settings.updateWith<SaveResult>(
        (current) => {
          const { edits, conflicts } = editsSince(body, settingsFormValues(current));
          if (conflicts.length > 0) return { answer: { ok: false, problems: conflicts } };
          const form = parseSettingsForm(edits, current);
          if (form.problems.length > 0) return { answer: { ok: false, problems: form.problems } };
          const changes = form.changes.map((c: SettingChange) => ({ target: `setting:${c.key}`, before: c.before, after: c.after }));
          return changes.length === 0 ? { answer: { ok: true, changes } } : { write: changesAsInput(form.changes), answer: { ok: true, changes } };
        },
        {
          actor: adminActor(ctx.admin),
          within: async (tx, answer) => {
            for (const c of answer.ok ? answer.changes : []) await this.audit.record(tx, ctx, { action: 'settings.update', ...c });
          },
        },
      );
    } catch (err) {
      // Checks beyond the schemas (a job schedule naming no job) come back as a ValidationError.
      if (err instanceof ValidationError) return { ok: false, problems: err.fields.map((f) => ({ path: f.path || problemKey(f.path), message: f.message, reason: f.reason ?? { code: 'invalid' } })) };
      throw err;
    }
    // Tier settings and rules are cached apart from the settings snapshot.
    if (result.ok && result.changes.length > 0) this.tiers.invalidate();
    return result;
  }

  /**
   * A tier's threshold, multiplier, renewal discount and names. Only the fields the admin changed
   * on the form are written, over the tier as it is in the write's transaction (`editsSince`):
   * another admin may save while the form is open, and is never reverted. A field changed both
   * ways is refused with its value now. Every tier is locked while it is judged, as a threshold
   * must stay between the tiers either side of it.
   */
  async saveTier(ctx: AdminContext, id: number, body: Readonly<Record<string, unknown>>): Promise<SaveResult | null> {
    // Settings are read through the pool: before the transaction, never inside it.
    const currency = (await this.freshSettings()).tier_base_currency;
    const result = await this.db.transaction(
      async (tx): Promise<SaveResult | null> => {
        const tiers = await tx.repos.tiers.list({ forUpdate: true });
        const tier = tiers.find((t) => t.id === id);
        if (!tier) return null;
        const now = tierFormValues(tier, currency, LANGUAGES);
        const { edits, conflicts } = editsSince(body, now);
        if (conflicts.length > 0) return { ok: false, problems: conflicts };
        // The edit's judge reads every field; a name not posted keeps the tier's own names as they are.
        const judged = judgeTierEdit({ ...now, ...edits }, tier, tiers, currency);
        const names = judgeTierNames(edits, tier, LANGUAGES);
        if (!judged.ok || !names.ok) return { ok: false, problems: [...(judged.ok ? [] : judged.problems), ...(names.ok ? [] : names.problems)] };
        const before = { thresholdMinor: tier.thresholdMinor, earnMultiplier: tier.earnMultiplier, renewalDiscountBp: tier.renewalDiscountBp, names: tier.names };
        const after = { ...judged.value, names: names.value };
        if (sameJson(before, after)) return { ok: true, changes: [] };
        await tx.repos.tiers.update(id, after, tx.now);
        await this.audit.record(tx, ctx, { action: 'tier.update', target: `tier:${id}`, before, after });
        return { ok: true, changes: [{ target: `tier:${id}`, before, after }] };
      },
      { actor: adminActor(ctx.admin) },
    );
    if (result?.ok && result.changes.length > 0) this.tiers.invalidate();
    return result;
  }

  /**
   * A rule's switch, params (JSON, judged by the rule type's own schema), active window (wall
   * times in the program's time zone) and cap. As with a tier, only the fields changed on the
   * form are written, over the rule as it is in the write's transaction; a field changed both
   * ways is refused with its value now. The engine reads the rule afresh for the next event;
   * what earlier events earned stays as it is.
   */
  async saveRule(ctx: AdminContext, id: number, body: Readonly<Record<string, unknown>>): Promise<SaveResult | null> {
    const timeZone = (await this.freshSettings()).time_zone;
    try {
      return await this.program.updateRule<SaveResult>(
        id,
        (current) => {
          const { edits, conflicts } = editsSince(body, ruleFormValues(current, timeZone));
          if (conflicts.length > 0) return { answer: { ok: false, problems: conflicts } };
          const judged = judgeRuleForm(edits, { timeZone, current });
          if (!judged.ok) return { answer: { ok: false, problems: judged.problems } };
          const before = storedRuleView(current);
          const after = ruleView(judged.value);
          if (sameJson(before, after)) return { answer: { ok: true, changes: [] } };
          return { write: judged.value, answer: { ok: true, changes: [{ target: `rule:${id}`, before, after }] } };
        },
        {
          actor: adminActor(ctx.admin),
          within: async (tx, answer) => {
            for (const c of answer.ok ? answer.changes : []) await this.audit.record(tx, ctx, { action: 'rule.update', ...c });
          },
        },
      );
    } catch (err) {
      if (err instanceof ValidationError) return { ok: false, problems: storedRuleProblems(err) };
      throw err;
    }
  }

  /**
   * A new rule of one of the registered types, judged as an edit is. The form's one-time `key`
   * makes it once: the same form posted again answers with the rule the first post made, and
   * writes nothing (no second rule, no second audit row).
   */
  async createRule(ctx: AdminContext, body: Readonly<Record<string, unknown>>): Promise<SaveResult> {
    const { settings } = await this.state();
    const key = typeof body.key === 'string' ? body.key : '';
    const keyProblems = FORM_KEY_PATTERN.test(key) ? [] : [problem('key', 'must be the one-time key of the new rule form', 'invalid')];
    const judged = judgeRuleForm(body, { timeZone: settings.time_zone });
    if (!judged.ok || keyProblems.length > 0) return { ok: false, problems: [...keyProblems, ...(judged.ok ? [] : judged.problems)] };
    const after = ruleView(judged.value);
    try {
      const { rule, repeated } = await this.program.addRuleOnce(key, judged.value, {
        actor: adminActor(ctx.admin),
        within: (tx, id) => this.audit.record(tx, ctx, { action: 'rule.create', target: `rule:${id}`, before: null, after }).then(() => undefined),
      });
      return { ok: true, changes: [{ target: `rule:${rule.id}`, before: null, after: repeated ? storedRuleView(rule) : after }] };
    } catch (err) {
      if (err instanceof ValidationError) return { ok: false, problems: storedRuleProblems(err) };
      throw err;
    }
  }

  reward(id: number): Promise<Reward | null> {
    return this.db.repos.rewards.find(id);
  }

  /** What the reward editor needs beside the reward: the languages, currencies, tiers and clock its fields are in. */
  async rewardFormContext(reward?: Reward): Promise<RewardFormContext & { tiers: Tier[] }> {
    const { settings, tiers } = await this.state();
    return {
      reward,
      languages: LANGUAGES.includes(settings.default_language) ? LANGUAGES : [settings.default_language, ...LANGUAGES],
      defaultLanguage: settings.default_language,
      currencies: [...new Set([...Object.keys(settings.earn_rates), settings.tier_base_currency])].sort(),
      tierRanks: tiers.map((t) => t.rank),
      timeZone: settings.time_zone,
      tiers,
    };
  }

  /**
   * Adds a reward to the catalog, with its audit row. The form's one-time key makes a second
   * post of it (a double click, a reload) answer with the reward the first made.
   */
  async createReward(ctx: AdminContext, body: Readonly<Record<string, unknown>>): Promise<RewardSaveResult> {
    const key = typeof body.key === 'string' ? body.key : '';
    const judged = judgeRewardForm(body, await this.rewardFormContext());
    const problems = [...(FORM_KEY_PATTERN.test(key) ? [] : [problem('key', 'must be the one-time key of the new reward form; reload the page', 'invalid')]), ...(judged.ok ? [] : judged.problems)];
    if (problems.length > 0 || !judged.ok) return { ok: false, problems };
    const draft = judged.value;
    return this.db.transaction(
      async (tx) => {
        const id = await tx.repos.rewards.create(draft, key, tx.now);
        if (id === null) {
          const earlier = await tx.repos.rewards.findByFormKey(key);
          if (!earlier) throw new Error(`Reward form key ${key} is taken but no reward holds it`);
          return { ok: true as const, id: earlier.id, changes: [] };
        }
        await this.audit.record(tx, ctx, { action: 'reward.create', target: `reward:${id}`, before: null, after: draft });
        return { ok: true as const, id, changes: [{ target: `reward:${id}`, before: null, after: draft }] };
      },
      { actor: adminActor(ctx.admin) },
    );
  }

  /**
   * Saves a reward's fields, with its audit row. Only the fields the owner changed on the form
   * are written, over the reward as it is now (`editsSince`): redemptions take stock and another
   * owner may save while the form is open, and neither is reverted. A field changed both ways
   * is refused with its value now.
   */
  async saveReward(ctx: AdminContext, id: number, body: Readonly<Record<string, unknown>>): Promise<RewardSaveResult | null> {
    const reward = await this.db.repos.rewards.find(id);
    if (!reward) return null;
    // Settings and tiers are read through the pool: before the transaction, never inside it.
    const formContext = await this.rewardFormContext(reward);
    return this.db.transaction(
      async (tx) => {
        // Locked so the reward the edits apply over is the one replaced: a redemption takes
        // stock with an UPDATE of this row, which waits for this lock (and this read for its).
        const current = await tx.repos.rewards.find(id, { forUpdate: true });
        if (!current) return null;
        const { edits, conflicts } = editsSince(body, rewardFormValues(current, formContext));
        if (conflicts.length > 0) return { ok: false as const, problems: conflicts };
        const judged = judgeRewardForm(edits, { ...formContext, reward: current });
        if (!judged.ok) return { ok: false as const, problems: judged.problems };
        const { id: _id, ...before } = current;
        const after = judged.value;
        if (sameJson(before, after)) return { ok: true as const, id, changes: [] };
        const { kind: _kind, ...fields } = after;
        await tx.repos.rewards.update(id, fields, tx.now);
        await this.audit.record(tx, ctx, { action: 'reward.update', target: `reward:${id}`, before, after });
        return { ok: true as const, id, changes: [{ target: `reward:${id}`, before, after }] };
      },
      { actor: adminActor(ctx.admin) },
    );
  }
}

/** A rule as a change shows it (and its audit row keeps it): instants as ISO strings in JSON. */
function ruleView(r: RuleEdit): { type: string; active: boolean; params: unknown; startsAt: Date | null; endsAt: Date | null; cap: RuleEdit['cap'] } {
  return { type: r.type, active: r.active, params: r.params, startsAt: r.startsAt, endsAt: r.endsAt, cap: r.cap };
}

function storedRuleView(r: StoredRule): ReturnType<typeof ruleView> {
  const cap = r.capPoints !== null && r.capPeriod !== null ? ({ points: r.capPoints, period: r.capPeriod } as RuleEdit['cap']) : null;
  return { type: r.type, active: r.active, params: JSON.parse(r.params) as unknown, startsAt: r.startsAt, endsAt: r.endsAt, cap };
}

/** The stored-row check's refusal (the form judged the same rules first, so rarely reached), per field. */
function storedRuleProblems(err: ValidationError): FieldProblem[] {
  return err.fields.map((f) => ({ path: /^(params|starts_at|ends_at|cap_points|cap_period)/.test(f.path) ? f.path : 'params', message: f.path ? `${f.path}: ${f.message}` : f.message, reason: f.reason ?? { code: 'invalid' } }));
}
