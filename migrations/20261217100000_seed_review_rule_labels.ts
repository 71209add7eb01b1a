import type { Knex } from 'knex';
import { parseJsonObject } from './helpers';

const TABLE = 'loyalty_rules';

/**
 * The seeded example action rule (20261126003150: a review, 25 points, once ever) named in the
 * five languages (`params.labels`), so "how you earn" and the history say "writing a review" in
 * the member's language instead of its kind, `review`. A rule is the seeded one only while its
 * params still say what was seeded (the defaults written out, as a save from the admin area may
 * do, change nothing) and name no action of their own: a rule the provider edited or labelled is
 * theirs, and left alone.
 */
const SEEDED = { kind: 'review', points: 25, per: 'ever', limit: 1 };
const DEFAULTS: Record<string, unknown> = { per: 'ever', limit: 1 };
const LABELS: Record<string, string> = {
  en: 'writing a review',
  ru: 'написание отзыва',
  tr: 'yorum yazma',
  vi: 'việc viết đánh giá',
  zh: '撰写评价',
};

export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE))) return;
  const now = new Date();
  for (const row of await knex(TABLE).where({ type: 'action' }).select('id', 'params')) {
    const params = parseJsonObject(row.params);
    if (!params || !isSeeded(params)) continue;
    await knex(TABLE).where({ id: row.id }).update({ params: JSON.stringify({ ...params, labels: LABELS }), updated_at: now });
  }
}

/** Removes the labels while they are still exactly ours on a rule still as seeded. */
export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE))) return;
  const now = new Date();
  for (const row of await knex(TABLE).where({ type: 'action' }).select('id', 'params')) {
    const params = parseJsonObject(row.params);
    if (!params) continue;
    const { labels, ...rest } = params;
    if (!isSeeded(rest) || !sameLabels(labels)) continue;
    await knex(TABLE).where({ id: row.id }).update({ params: JSON.stringify(rest), updated_at: now });
  }
}

/** Params that say what was seeded, and nothing else. */
function isSeeded(params: Record<string, unknown>): boolean {
  const keys = Object.keys(params);
  if (keys.some((k) => !(k in SEEDED))) return false;
  return Object.entries(SEEDED).every(([k, v]) => (params[k] ?? DEFAULTS[k]) === v);
}

function sameLabels(value: unknown): boolean {
  const labels = parseJsonObject(value);
  if (!labels) return false;
  const keys = Object.keys(labels);
  return keys.length === Object.keys(LABELS).length && keys.every((k) => labels[k] === LABELS[k]);
}
