import type { Knex } from 'knex';
import type { StreakBonus, StreakMilestone } from '../domain/rules';
import { toInt } from './row-values';

export const STREAK_BONUSES = 'loyalty_streak_bonuses';

function toRecord(row: Record<string, unknown>): StreakBonus {
  return {
    id: toInt(row.id),
    run: String(row.run_after),
    ruleId: toInt(row.rule_id),
    ordinal: toInt(row.ordinal),
    held: Boolean(Number(row.held)),
    points: toInt(row.points),
    ledgerId: row.ledger_id === null || row.ledger_id === undefined ? null : toInt(row.ledger_id),
  };
}

/** What a milestone's bonus now is: held with what it paid, or not held. */
export interface StreakBonusState {
  held: boolean;
  points: number;
  ledgerId: number | null;
  eventId?: number;
}

/** The streak milestones of a member's services, read and written under the member's row lock. */
export class StreakBonusRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /** The milestones kept for some runs of one service (a prefix of the unique key). */
  async forRuns(memberId: number, serviceId: string, runs: readonly string[]): Promise<StreakBonus[]> {
    if (runs.length === 0) return [];
    const rows = await this.db(STREAK_BONUSES).where({ member_id: memberId, service_id: serviceId }).whereIn('run_after', [...runs]).orderBy('id');
    return rows.map(toRecord);
  }

  async insert(memberId: number, serviceId: string, m: StreakMilestone, state: StreakBonusState, now: Date): Promise<void> {
    await this.db(STREAK_BONUSES).insert({
      member_id: memberId,
      service_id: serviceId,
      run_after: m.run,
      rule_id: m.ruleId,
      ordinal: m.ordinal,
      held: state.held,
      points: state.points,
      ledger_id: state.ledgerId,
      event_id: state.eventId ?? null,
      updated_at: now,
    });
  }

  async update(id: number, state: StreakBonusState, now: Date): Promise<void> {
    await this.db(STREAK_BONUSES)
      .where({ id })
      .update({ held: state.held, points: state.points, ledger_id: state.ledgerId, ...(state.eventId !== undefined && { event_id: state.eventId }), updated_at: now });
  }
}
