import type { Translator } from '../../i18n';
import { formatLanguage } from '../../i18n/format';
import { REWARD_KINDS, type Reward } from '../../domain/rewards';
import { formAfterPost } from '../../domain/form-edits';
import { PROMO_TYPES, REWARD_PRICINGS, pricingOf, rewardFormValues, type RewardFormContext } from '../../domain/reward-form';
import { localized, type Tier } from '../../domain/tiers';
import type { FieldProblem } from '../../domain/validation';
import { mountUrl } from '../urls';
import { problemText } from './field-errors';

/** What an editor render answers: the reward (none: a new one), and after a post its problems or changes. */
export interface RewardEditorState {
  reward?: Reward;
  /** The one-time key of a new reward's form. */
  key?: string;
  problems?: readonly FieldProblem[];
  posted?: Readonly<Record<string, unknown>>;
  changes?: ReadonlyArray<{ target: string; before: unknown; after: unknown }>;
}

interface Field {
  name: string;
  id: string;
  label: string;
  value: string;
  errors: string[];
  invalid: boolean;
}

const json = (v: unknown) => JSON.stringify(v ?? null);

/**
 * The reward editor's view model: every field of the reward with its label in the admin's
 * language, its value (what was posted, after a refused save; else what is stored) and its
 * errors; names and descriptions per language; a value per currency.
 */
export function rewardEditorView(i18n: Translator, ctx: RewardFormContext & { tiers: readonly Tier[] }, state: RewardEditorState, mount: string): object {
  const { reward } = state;
  const stored = rewardFormValues(reward, ctx);
  const problems = state.problems ?? [];
  // After a refused save, what the owner typed stays and the rest shows the reward now (form-edits.ts).
  const { value: valueOf, shown } = formAfterPost(stored, state.posted, problems);
  const field = (name: string, label: string): Field => {
    const errors = problems.filter((p) => p.path === name).map((p) => problemText(i18n, p, label));
    return { name, id: `reward-${name}`, label, value: valueOf(name), errors, invalid: errors.length > 0 };
  };
  const label = (key: string, options?: Record<string, string>) => i18n.t(`reward_admin.${key}`, options);
  const select = (f: Field, options: ReadonlyArray<{ value: string; label: string }>) => ({
    ...f,
    options: options.map((o) => ({ ...o, selected: o.value === f.value })),
  });
  const pricing = reward ? pricingOf(reward) : valueOf('pricing');
  const kind = reward ? reward.kind : valueOf('kind');
  const name = reward ? (localized(reward.names, [i18n.language, ctx.defaultLanguage]) ?? `#${reward.id}`) : label('new_heading');

  return {
    heading: name,
    isNew: !reward,
    action: mountUrl(mount, reward ? `admin/settings/rewards/${reward.id}` : 'admin/settings/rewards'),
    programUrl: mountUrl(mount, 'admin/settings'),
    key: state.key,
    shown: reward ? JSON.stringify(shown) : undefined,
    kindLabel: label(`kind_${kind}`),
    pricingLabel: label(`pricing_${pricing}`),
    kind: select(
      field('kind', label('kind')),
      REWARD_KINDS.map((k) => ({ value: k, label: label(`kind_${k}`) })),
    ),
    pricing: select(
      field('pricing', label('pricing')),
      REWARD_PRICINGS.map((p) => ({ value: p, label: label(`pricing_${p}`) })),
    ),
    texts: ctx.languages.map((language) => ({
      language,
      required: language === ctx.defaultLanguage,
      name: field(`name_${language}`, `${label('name')} (${formatLanguage(i18n.locale, language)})`),
      description: field(`description_${language}`, `${label('description')} (${formatLanguage(i18n.locale, language)})`),
    })),
    showFixed: !reward || pricing === 'fixed',
    showFlexible: !reward || pricing === 'flexible',
    cost: field('cost_points', label('cost_points')),
    step: field('step_points', label('step_points')),
    min: field('min_points', label('min_points')),
    valuesErrors: problems.filter((p) => p.path === 'values').map((p) => problemText(i18n, p, label('values'))),
    values: Object.keys(stored)
      .filter((n) => n.startsWith('value_'))
      .map((n) => ({ currency: n.slice('value_'.length), ...field(n, `${label('values')} (${n.slice('value_'.length)})`) })),
    minTier: select(field('min_tier_rank', label('min_tier')), [
      { value: '', label: label('everyone') },
      ...ctx.tiers.map((t) => ({ value: String(t.rank), label: localized(t.names, [i18n.language]) ?? t.name })),
    ]),
    stock: field('stock', label('stock')),
    limitPerMonth: field('limit_per_month', label('limit_per_month')),
    limitTotal: field('limit_total', label('limit_total')),
    startsAt: field('starts_at', label('starts_at')),
    endsAt: field('ends_at', label('ends_at')),
    timeZone: ctx.timeZone,
    active: select(field('active', label('active')), [
      { value: 'true', label: i18n.t('program_admin.yes') },
      { value: 'false', label: i18n.t('program_admin.no') },
    ]),
    showPromo: !reward || kind !== 'credit',
    promoType: select(field('promo_type', label('promo_type')), [
      ...(reward?.kind === 'promo_code' ? [] : [{ value: '', label: label('promo_type_none') }]),
      ...PROMO_TYPES.map((t) => ({ value: t, label: label(`promo_type_${t}`) })),
    ]),
    promoPercent: field('promo_percent', label('promo_percent')),
    promoValidDays: field('promo_valid_days', label('promo_valid_days')),
    otherErrors: problems.filter((p) => p.path === 'key').map((p) => problemText(i18n, p, label('form'))),
    refused: problems.length > 0,
    saved: state.changes !== undefined,
    changes: (state.changes ?? []).map((c) => ({ target: c.target, before: json(c.before), after: json(c.after) })),
  };
}
