import type { Knex } from 'knex';

const LEDGER = 'loyalty_ledger';
const RULES = 'loyalty_rules';
const RENEWALS = 'loyalty_service_renewals';
const BONUSES = 'loyalty_streak_bonuses';
const BATCH = 500;

/**
 * The streak bonuses paid before milestones were kept (20261209120010): each `renewal_streak`
 * bonus entry becomes the held milestone it paid for, named as domain/rules/lifecycle.ts names
 * it: the run of the renewal whose event paid it (the late renewal before it, from the renewals
 * 20261209120020 kept), its rule, and the time within the run its recorded counts give under the
 * rule's params. So a late renewal delivered after this upgrade moves or takes back these
 * bonuses like any other, and never pays one twice. An entry whose rule or renewal can't be
 * found is left as it is; a milestone already kept is skipped, so running this again adds
 * nothing.
 */
export async function up(knex: Knex): Promise<void> {
  for (const table of [LEDGER, RULES, RENEWALS, BONUSES]) if (!(await knex.schema.hasTable(table))) return;
  const rules = new Map<number, { streak?: number; months?: number; repeat: boolean }>();
  for (const r of await knex(RULES).where({ type: 'renewal_streak' }).select('id', 'params')) {
    const p = parseObject(r.params);
    if (p) rules.set(Number(r.id), { ...(typeof p.streak === 'number' && { streak: p.streak }), ...(typeof p.months === 'number' && { months: p.months }), repeat: p.repeat === true });
  }
  let after = 0;
  for (;;) {
    const entries: Array<Record<string, unknown>> = await knex(LEDGER)
      .where('kind', 'bonus')
      .andWhere('rule', 'like', 'renewal_streak:%')
      .andWhere('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .select('id', 'member_id', 'delta', 'rule', 'reference', 'reason_params', 'event_id');
    const lastEntry = entries[entries.length - 1];
    if (!lastEntry) break;
    after = Number(lastEntry.id);
    for (const e of entries) {
      const ruleId = Number(String(e.rule).slice('renewal_streak:'.length));
      const rule = rules.get(ruleId);
      const reference = String(e.reference ?? '');
      const counts = parseObject(e.reason_params);
      if (!rule || !reference.startsWith('service:') || !counts || e.event_id === null || e.event_id === undefined) continue;
      const [length, count] = rule.streak !== undefined ? [rule.streak, Number(counts.streak)] : [rule.months ?? 0, Number(counts.months)];
      if (!(length > 0) || !Number.isSafeInteger(count) || count < length) continue;
      const memberId = Number(e.member_id);
      const serviceId = reference.slice('service:'.length);
      const ofService = () => knex(RENEWALS).where({ member_id: memberId, service_id: serviceId });
      const renewal = await ofService().andWhere({ event_id: e.event_id }).first();
      if (!renewal) continue;
      const late = await ofService()
        .andWhere({ on_time: false })
        .andWhere((w) =>
          w
            .where('period', '<', renewal.period)
            .orWhere((x) => x.where('period', renewal.period).andWhere('renewed_at', '<', renewal.renewed_at))
            .orWhere((x) => x.where('period', renewal.period).andWhere('renewed_at', renewal.renewed_at).andWhere('id', '<', renewal.id)),
        )
        .orderBy([{ column: 'period', order: 'desc' }, { column: 'renewed_at', order: 'desc' }, { column: 'id', order: 'desc' }])
        .first();
      const milestone = {
        member_id: memberId,
        service_id: serviceId,
        run_after: late ? String(late.due_date ?? late.period) : '',
        rule_id: ruleId,
        ordinal: rule.repeat ? Math.floor(count / length) : 1,
      };
      if (await knex(BONUSES).where(milestone).first()) continue;
      await knex(BONUSES).insert({ ...milestone, held: true, points: Number(e.delta), ledger_id: Number(e.id), event_id: e.event_id, updated_at: new Date() });
    }
  }
}

/** The rows go with the table (20261209120010's down). */
export async function down(): Promise<void> {}

function parseObject(value: unknown): Record<string, unknown> | null {
  if (value === null || value === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(String(value));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
