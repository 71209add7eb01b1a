import type { Knex } from 'knex';

const HISTORY = 'loyalty_member_history';
const SERVICES = 'loyalty_services';
const RENEWALS = 'loyalty_service_renewals';
const BATCH = 1000;
/** Rows per INSERT: 11 columns each stays under SQLite's bound-variable limit. */
const INSERT_ROWS = 200;

/**
 * The renewals counted before each renewed period was kept (20261209100000): every
 * `service_renewed` history entry the streak counted becomes its renewal row, so a renewal
 * delivered out of order after this upgrade replays the service's real history, not only what
 * came since. Entries the earlier code left uncounted (an older renewal delivered late) stay
 * history only: counting them now would move streaks and points inside a migration. A service
 * that has renewal rows already is left alone, so running this again adds nothing.
 */
export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(HISTORY)) || !(await knex.schema.hasTable(RENEWALS))) return;
  const services = new Map<string, ServiceFacts | null>();
  let after = 0;
  for (;;) {
    const rows: Array<Record<string, unknown>> = await knex(HISTORY)
      .where('kind', 'service_renewed')
      .andWhere('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .select('id', 'member_id', 'service_id', 'details', 'event_id', 'occurred_at');
    const lastRow = rows[rows.length - 1];
    if (!lastRow) break;
    after = Number(lastRow.id);
    await loadServices(knex, services, rows);
    const inserts: Array<Record<string, unknown>> = [];
    for (const row of rows) {
      const details = parseObject(row.details);
      if (details?.counted !== true || row.service_id === null || row.service_id === undefined) continue;
      const service = services.get(keyOf(row.member_id, row.service_id));
      if (!service) continue;
      const due = typeof details.due_date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(details.due_date) ? details.due_date : null;
      // The earlier code counted due dates in rising order only; a repeat would break the unique key.
      if (due !== null && service.dueDates.has(due)) continue;
      if (due !== null) service.dueDates.add(due);
      const renewedAt = toDate(row.occurred_at);
      inserts.push({
        member_id: Number(row.member_id),
        service_id: String(row.service_id),
        due_date: due,
        period: due ?? renewedAt.toISOString().slice(0, 10),
        renewed_at: renewedAt,
        on_time: details.on_time !== false,
        months: service.months,
        currency: service.currency,
        amount_minor: service.amountMinor,
        event_id: row.event_id ?? null,
        updated_at: new Date(),
      });
    }
    for (let i = 0; i < inserts.length; i += INSERT_ROWS) await knex(RENEWALS).insert(inserts.slice(i, i + INSERT_ROWS));
  }
}

/** The rows go with the table (20261209100000's down). */
export async function down(): Promise<void> {}

interface ServiceFacts {
  months: number;
  currency: string | null;
  amountMinor: number | null;
  dueDates: Set<string>;
}

const keyOf = (memberId: unknown, serviceId: unknown) => `${String(memberId)}/${String(serviceId)}`;

/**
 * The services of a batch not seen yet: their cycle and price (what the streak counted them
 * with), or null for a service that has renewal rows already, or has no row.
 */
async function loadServices(knex: Knex, services: Map<string, ServiceFacts | null>, rows: ReadonlyArray<Record<string, unknown>>): Promise<void> {
  const members = [...new Set(rows.filter((r) => !services.has(keyOf(r.member_id, r.service_id))).map((r) => Number(r.member_id)))];
  if (members.length === 0) return;
  const wanted = new Set(rows.map((r) => keyOf(r.member_id, r.service_id)));
  const kept = new Set(
    (await knex(RENEWALS).whereIn('member_id', members).distinct('member_id', 'service_id')).map((r: Record<string, unknown>) => keyOf(r.member_id, r.service_id)),
  );
  for (const s of await knex(SERVICES).whereIn('member_id', members).select('member_id', 'service_id', 'billing_cycle', 'currency', 'amount_minor')) {
    const key = keyOf(s.member_id, s.service_id);
    if (!wanted.has(key) || services.has(key)) continue;
    const priced = s.currency !== null && s.amount_minor !== null;
    services.set(
      key,
      kept.has(key) ? null : { months: cycleMonths(s.billing_cycle ?? undefined), currency: priced ? String(s.currency) : null, amountMinor: priced ? Number(s.amount_minor) : null, dueDates: new Set() },
    );
  }
  for (const key of wanted) if (!services.has(key)) services.set(key, null);
}

/** domain/service-streak.ts `cycleMonths` as of this migration. */
function cycleMonths(cycle: string | undefined): number {
  const named: Record<string, number> = { monthly: 1, quarterly: 3, semiannually: 6, annually: 12, biennially: 24, triennially: 36 };
  if (cycle === undefined) return 0;
  if (cycle in named) return named[cycle] ?? 0;
  const m = /^([1-9]\d{0,2})([dwmy])$/.exec(cycle);
  if (!m) return 0;
  const n = Number(m[1]);
  return m[2] === 'm' ? n : m[2] === 'y' ? n * 12 : 0;
}

function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  return new Date(/^\d+$/.test(String(value)) ? Number(value) : String(value));
}

function parseObject(value: unknown): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(String(value));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
