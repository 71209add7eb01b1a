import type { Knex } from 'knex';
import { toDateOrNull, toInt } from './row-values';

export const LOTS = 'loyalty_lots';

export interface NewLot {
  memberId: number;
  ledgerId: number;
  points: number;
  earnedAt: Date;
  availableAt: Date;
  expiresAt: Date | null;
}

export class LotRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async insert(lot: NewLot): Promise<number> {
    const [id] = await this.db(LOTS).insert({
      member_id: lot.memberId,
      ledger_id: lot.ledgerId,
      points: lot.points,
      remaining: lot.points,
      earned_at: lot.earnedAt,
      available_at: lot.availableAt,
      expires_at: lot.expiresAt,
    });
    return toInt(id);
  }

  /** Points still unspent that expire in [from, to), and the first date they do. */
  async expiringBetween(memberId: number, from: Date, to: Date): Promise<{ points: number; firstExpiry: Date | null }> {
    const row = await this.db(LOTS)
      .where({ member_id: memberId })
      .andWhere('remaining', '>', 0)
      .andWhere('expires_at', '>=', from)
      .andWhere('expires_at', '<', to)
      .sum({ points: 'remaining' })
      .min({ first: 'expires_at' })
      .first();
    return { points: toInt(row?.points), firstExpiry: toDateOrNull(row?.first) };
  }
}
