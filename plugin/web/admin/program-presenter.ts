import { LANGUAGES, type Translator } from '../../i18n';
import { formatInteger, formatLanguage } from '../../i18n/format';
import { formAfterPost } from '../../domain/form-edits';
import { ruleFormValues } from '../../domain/rule-edits';
import { CAP_PERIODS, RULE_TYPES } from '../../domain/rules';
import { REQUIRED_NAME_LANGUAGE, tierNameField } from '../../domain/tier-name-edits';
import { SETTING_FIELDS, problemKey, settingsFormValues } from '../../domain/settings-form';
import { tierFormValues } from '../../domain/tier-form';
import { localized } from '../../domain/tiers';
import { WALL_DATE_TIME_FORMAT } from '../../domain/time-zone';
import type { FieldProblem } from '../../domain/validation';
import type { ProgramState } from '../../services/program-admin-service';
import { mountUrl } from '../urls';
import { problemText } from './field-errors';

/** Which form a page render answers: its posted values and problems go back beside its fields. */
export interface ProgramFormState {
  form?: { kind: 'settings' | 'tier' | 'rule' | 'new_rule'; id?: number; problems: FieldProblem[]; posted: Record<string, unknown> };
  /** The new rule form's one-time key (web/admin/program-router.ts). */
  newRuleKey?: string;
  /** What a save changed, each with its before and after. */
  changes?: Array<{ target: string; before: unknown; after: unknown }>;
}

const json = (v: unknown) => JSON.stringify(v ?? null);

/** A field's problems in the admin's language, each naming the field (and the part inside its value). */
function errorsFor(i18n: Translator, problems: readonly FieldProblem[], field: string, label: string): string[] {
  return problems.filter((p) => problemKey(p.path) === field).map((p) => problemText(i18n, p, p.path.includes('.') ? `${label} (${p.path.slice(field.length + 1)})` : label));
}

/** A setting's label in the admin's language; one added later without a label yet shows its key. */
const settingLabel = (i18n: Translator, key: string): string => i18n.t(`program_admin.setting_${key}`, { defaultValue: key });

/**
 * The program page's view model: the settings form generated from the registry (a field per
 * setting, its control from the setting's schema), one small form per tier and rule, and the
 * rewards catalog with a link to each reward's editor. After a refused save, the posted text
 * and the field's errors show beside the field.
 */
export function programView(i18n: Translator, state: ProgramState, form: ProgramFormState, mount: string): object {
  const postedFor = (kind: string, id: number | undefined) => (form.form?.kind === kind && form.form.id === id ? form.form.posted : undefined);
  const posted = (kind: string, id: number | undefined, name: string): string | undefined => {
    const v = postedFor(kind, id)?.[name];
    return typeof v === 'string' ? v : undefined;
  };
  const problems = (kind: string, id?: number) => (form.form?.kind === kind && form.form.id === id ? form.form.problems : []);
  const yesNo = (value: string) => [
    { value: 'true', label: i18n.t('program_admin.yes'), selected: value === 'true' },
    { value: 'false', label: i18n.t('program_admin.no'), selected: value === 'false' },
  ];
  const settingProblems = problems('settings');
  // After a refused save, what the owner typed stays and the rest shows the settings now (form-edits.ts).
  const settingsForm = formAfterPost(settingsFormValues(state.settings), postedFor('settings', undefined), settingProblems);
  const settings = SETTING_FIELDS.map((field) => {
    const value = settingsForm.value(field.key);
    const c = field.control;
    const label = settingLabel(i18n, field.key);
    const errors = errorsFor(i18n, settingProblems, field.key, label);
    return {
      key: field.key,
      id: `setting-${field.key}`,
      label,
      // The registry's English description is for the README and manifest; the page has its own.
      description: i18n.t(`settings_help.${field.key}`, { defaultValue: field.description }),
      value,
      errors,
      invalid: errors.length > 0,
      isBoolean: c.kind === 'boolean',
      isNumber: c.kind === 'number',
      isSelect: c.kind === 'select',
      isText: c.kind === 'text',
      isJson: c.kind === 'json',
      min: c.kind === 'number' ? c.min : undefined,
      max: c.kind === 'number' ? c.max : undefined,
      // 0 is a bound too (handlebars' #if would drop it).
      hasMin: c.kind === 'number' && c.min !== undefined,
      hasMax: c.kind === 'number' && c.max !== undefined,
      required: (c.kind === 'number' || c.kind === 'json') && !c.nullable,
      options:
        c.kind === 'boolean'
          ? yesNo(value)
          : c.kind === 'select'
            ? [...(c.nullable ? [{ value: '', label: i18n.t('program_admin.unset'), selected: value === '' }] : []), ...c.options.map((o) => ({ value: o, label: o, selected: value === o }))]
            : [],
    };
  });
  const currency = state.settings.tier_base_currency;
  const tiers = state.tiers.map((t) => {
    const p = problems('tier', t.id);
    // After a refused save, what the admin typed stays and the rest shows the tier now (form-edits.ts).
    const form = formAfterPost(tierFormValues(t, currency, LANGUAGES), postedFor('tier', t.id), p);
    return {
      id: t.id,
      name: localized(t.names, [i18n.language]) ?? t.name,
      action: mountUrl(mount, `admin/settings/tiers/${t.id}`),
      shown: JSON.stringify(form.shown),
      threshold: form.value('threshold'),
      multiplier: form.value('earn_multiplier'),
      discount: form.value('renewal_discount_percent'),
      names: LANGUAGES.map((language) => {
        const field = tierNameField(language);
        const label = i18n.t('program_admin.tier_name', { language: formatLanguage(i18n.locale, language) });
        const errors = errorsFor(i18n, p, field, label);
        return { field, id: `tier-${t.id}-${field}`, label, value: form.value(field), required: language === REQUIRED_NAME_LANGUAGE, errors, invalid: errors.length > 0 };
      }),
      errors: {
        threshold: errorsFor(i18n, p, 'threshold', i18n.t('program_admin.tier_threshold')),
        earn_multiplier: errorsFor(i18n, p, 'earn_multiplier', i18n.t('program_admin.tier_multiplier')),
        renewal_discount_percent: errorsFor(i18n, p, 'renewal_discount_percent', i18n.t('program_admin.tier_discount')),
      },
    };
  });
  const timeZone = state.settings.time_zone;
  const rules = state.rules.map((r) => {
    const p = problems('rule', r.id);
    const form = formAfterPost(ruleFormValues(r, timeZone), postedFor('rule', r.id), p);
    return {
      id: r.id,
      type: r.type,
      typeName: ruleTypeName(i18n, r.type),
      action: mountUrl(mount, `admin/settings/rules/${r.id}`),
      shown: JSON.stringify(form.shown),
      ...ruleFields(i18n, `rule-${r.id}`, form.value, p),
    };
  });
  const newProblems = problems('new_rule');
  const newPosted = (name: string) => posted('new_rule', undefined, name);
  const newType = newPosted('type') ?? '';
  const typeErrors = errorsFor(i18n, newProblems, 'type', i18n.t('program_admin.rule_type'));
  const keyErrors = errorsFor(i18n, newProblems, 'key', i18n.t('program_admin.rule_form_key'));
  const newRule = {
    action: mountUrl(mount, 'admin/settings/rules'),
    key: form.newRuleKey ?? '',
    types: [
      { value: '', label: i18n.t('program_admin.rule_type_choose'), selected: newType === '' },
      ...RULE_TYPES.map((type) => ({ value: type, label: `${ruleTypeName(i18n, type)} (${type})`, selected: newType === type })),
    ],
    typeErrors,
    typeInvalid: typeErrors.length > 0,
    keyErrors,
    ...ruleFields(i18n, 'rule-new', formAfterPost(ruleFormValues(null, timeZone), postedFor('new_rule', undefined), newProblems).value, newProblems),
  };
  const rewards = state.rewards.map((w) => ({
    id: w.id,
    name: localized(w.names, [i18n.language, state.settings.default_language]) ?? `#${w.id}`,
    kind: i18n.t(`reward_admin.kind_${w.kind}`),
    price: w.costPoints !== null ? formatInteger(i18n.locale, w.costPoints) : i18n.t('reward_admin.price_flexible', { step: formatInteger(i18n.locale, w.stepPoints ?? 0) }),
    active: w.active,
    stock: w.stock === null ? i18n.t('reward_admin.unlimited') : formatInteger(i18n.locale, w.stock),
    editUrl: mountUrl(mount, `admin/settings/rewards/${w.id}`),
  }));
  const refused = form.form && form.form.problems.length > 0;
  return {
    settingsAction: mountUrl(mount, 'admin/settings'),
    settingsShown: JSON.stringify(settingsForm.shown),
    settings,
    tiers,
    tierCurrency: currency,
    rules,
    newRule,
    ruleTimeZone: timeZone,
    rewards,
    newRewardUrl: mountUrl(mount, 'admin/settings/rewards/new'),
    refused,
    saved: form.changes !== undefined,
    changes: (form.changes ?? []).map((c) => ({ target: c.target, before: json(c.before), after: json(c.after) })),
  };
}

/** A rule type's name in the admin's language; a type added later without one shows its code. */
const ruleTypeName = (i18n: Translator, type: string): string => i18n.t(`program_admin.rule_type_${type}`, { defaultValue: type });

/**
 * The fields an existing rule's form and the new rule form share: switch, params, window (wall
 * times in the program's zone, as a `datetime-local` input takes them) and cap, each with the
 * posted text and its errors after a refusal.
 */
function ruleFields(i18n: Translator, id: string, value: (name: string) => string, problems: readonly FieldProblem[]) {
  const active = value('active');
  const capPeriod = value('cap_period');
  const field = (name: string, label: string) => {
    const errors = errorsFor(i18n, problems, name, label);
    return { id: `${id}-${name.replace(/_/g, '-')}`, errors, invalid: errors.length > 0 };
  };
  return {
    options: [
      { value: 'true', label: i18n.t('program_admin.yes'), selected: active === 'true' },
      { value: 'false', label: i18n.t('program_admin.no'), selected: active !== 'true' },
    ],
    params: value('params'),
    startsAt: value('starts_at'),
    endsAt: value('ends_at'),
    capPoints: value('cap_points'),
    capPeriods: [
      { value: '', label: i18n.t('program_admin.rule_cap_none'), selected: capPeriod === '' },
      ...CAP_PERIODS.map((p) => ({ value: p, label: i18n.t(`program_admin.cap_period_${p}`), selected: capPeriod === p })),
    ],
    dateFormat: WALL_DATE_TIME_FORMAT,
    fields: {
      active: field('active', i18n.t('program_admin.active')),
      params: field('params', i18n.t('program_admin.rule_params')),
      starts_at: field('starts_at', i18n.t('program_admin.rule_starts')),
      ends_at: field('ends_at', i18n.t('program_admin.rule_ends')),
      cap_points: field('cap_points', i18n.t('program_admin.rule_cap_points')),
      cap_period: field('cap_period', i18n.t('program_admin.rule_cap_period')),
    },
  };
}
