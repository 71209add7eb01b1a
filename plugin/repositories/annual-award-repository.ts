import type { Knex } from 'knex';
import type { AnnualAward } from '../domain/annual-awards';
import { insertOrDuplicate } from './insert-or-duplicate';
import { MEMBERS } from './member-repository';
import { toInt } from './row-values';

export const ANNUAL_AWARDS = 'loyalty_annual_awards';

/** What decides who celebrates on a day: the birthday, or the day of joining (UTC). */
const MONTH_DAY_COLUMN: Record<AnnualAward, string> = { birthday: 'birthday_md', anniversary: 'joined_md' };

export class AnnualAwardRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /**
   * Active members whose birthday (or joining day) falls on `monthDay` (`MM-DD`), in id order
   * after `afterId`, read along the (month-day, id) index: the day's work, not every member.
   */
  async celebrants(award: AnnualAward, monthDay: string, afterId: number, limit: number): Promise<number[]> {
    const rows = await this.celebrantsAfter(award, monthDay, afterId).select('id').orderBy('id').limit(limit);
    return rows.map((r: Record<string, unknown>) => toInt(r.id));
  }

  /** How many `celebrants` has after `afterId`: the same range of the same index, for the job's progress. */
  async countCelebrants(award: AnnualAward, monthDay: string, afterId: number): Promise<number> {
    const row = await this.celebrantsAfter(award, monthDay, afterId).count({ n: '*' }).first();
    return toInt(row?.n);
  }

  private celebrantsAfter(award: AnnualAward, monthDay: string, afterId: number): Knex.QueryBuilder {
    return this.db(MEMBERS).where(MONTH_DAY_COLUMN[award], monthDay).andWhere('id', '>', afterId).andWhere('status', 'active');
  }

  /**
   * Claims the member's award for the year, in the transaction that credits it; false when it
   * was claimed before. The unique key is the guard, whatever runs it and however often.
   */
  async claim(memberId: number, award: AnnualAward, year: number, points: number, now: Date): Promise<boolean> {
    const id = await insertOrDuplicate(this.db(ANNUAL_AWARDS).insert({ member_id: memberId, award, year, points, awarded_at: now }));
    return id !== null;
  }

  async countFor(memberId: number): Promise<number> {
    const row = await this.db(ANNUAL_AWARDS).where({ member_id: memberId }).count({ n: '*' }).first();
    return toInt(row?.n);
  }
}
