import type { Knex } from 'knex';
import type { CodeTerms, Redemption, RedemptionState, SpentLot } from '../domain/redemption';
import type { Reward } from '../domain/rewards';
import { insertOrDuplicate } from './insert-or-duplicate';
import { toDate, toDateOrNull, toInt } from './row-values';

export const REDEMPTIONS = 'loyalty_redemptions';

/** `code_terms` as stored: the action's discount, and its expiry as an ISO instant. */
interface StoredCodeTerms {
  discount: CodeTerms['discount'];
  expiresAt: string | null;
}

function toCodeTerms(value: unknown): CodeTerms | null {
  if (value === null || value === undefined) return null;
  const stored = JSON.parse(String(value)) as StoredCodeTerms;
  return { discount: stored.discount, expiresAt: toDateOrNull(stored.expiresAt) };
}

function toRedemption(row: Record<string, unknown>): Redemption {
  const spent = JSON.parse(String(row.spent_lots)) as Array<{ points: number; earnedAt: string; expiresAt: string | null }>;
  return {
    id: toInt(row.id),
    memberId: toInt(row.member_id),
    rewardId: toInt(row.reward_id),
    rewardNames: row.reward_names === null || row.reward_names === undefined ? null : (JSON.parse(String(row.reward_names)) as Record<string, string>),
    points: toInt(row.points),
    value: { currency: String(row.currency), minor: toInt(row.value_minor) },
    state: String(row.state) as RedemptionState,
    idempotencyKey: String(row.idempotency_key),
    actionKey: String(row.action_key),
    panelReference: (row.panel_reference as string | null) ?? null,
    code: (row.code as string | null) ?? null,
    codeTerms: toCodeTerms(row.code_terms),
    spentLots: spent.map((l) => ({ points: l.points, earnedAt: new Date(l.earnedAt), expiresAt: toDateOrNull(l.expiresAt) })),
    tookStock: Boolean(toInt(row.took_stock)),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

export type NewRedemption = Omit<Redemption, 'id' | 'state' | 'panelReference' | 'updatedAt'>;

/** The admin list's filters. */
export interface RedemptionFilter {
  state?: RedemptionState;
  panelClientId?: string;
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/** A redemption with whom it was for, as the admin list shows it. */
export interface RedemptionListItem extends Redemption {
  panelClientId: string;
  memberName: string | null;
}

/** Redemption rows are written under the member's row lock; their state moves forward only. */
export class RedemptionRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /** Null when the idempotency key was used before (the caller reads that redemption). */
  async insert(r: NewRedemption): Promise<number | null> {
    return insertOrDuplicate(
      this.db(REDEMPTIONS).insert({
        member_id: r.memberId,
        reward_id: r.rewardId,
        reward_names: r.rewardNames === null ? null : JSON.stringify(r.rewardNames),
        points: r.points,
        currency: r.value.currency,
        value_minor: r.value.minor,
        state: 'pending',
        idempotency_key: r.idempotencyKey,
        action_key: r.actionKey,
        code: r.code,
        code_terms: r.codeTerms === null ? null : JSON.stringify({ discount: r.codeTerms.discount, expiresAt: r.codeTerms.expiresAt?.toISOString() ?? null } satisfies StoredCodeTerms),
        spent_lots: JSON.stringify(r.spentLots satisfies SpentLot[]),
        took_stock: r.tookStock,
        created_at: r.createdAt,
        updated_at: r.createdAt,
      }),
    );
  }

  async findByKey(idempotencyKey: string): Promise<Redemption | null> {
    const row = await this.db(REDEMPTIONS).where({ idempotency_key: idempotencyKey }).first();
    return row ? toRedemption(row) : null;
  }

  async findByActionKey(actionKey: string): Promise<Redemption | null> {
    const row = await this.db(REDEMPTIONS).where({ action_key: actionKey }).first();
    return row ? toRedemption(row) : null;
  }

  /** A member's own redemption; another member's id answers null, as if it did not exist. */
  async findForMember(memberId: number, id: number): Promise<Redemption | null> {
    const row = await this.db(REDEMPTIONS).where({ id, member_id: memberId }).first();
    return row ? toRedemption(row) : null;
  }

  async listForMember(memberId: number, limit: number): Promise<Redemption[]> {
    const rows = await this.db(REDEMPTIONS).where({ member_id: memberId }).orderBy('id', 'desc').limit(limit);
    return rows.map(toRedemption);
  }

  /**
   * A page of a member's redemptions, newest first, below `beforeId` (a keyset page on the
   * (member_id, id) index: no offset to scan past). A plain read, which takes no locks; one
   * extra row tells whether an older page exists. Only the member's own rows are read,
   * whoever's id `beforeId` is.
   */
  async pageForMember(memberId: number, options: { beforeId?: number; limit: number }): Promise<{ redemptions: Redemption[]; hasOlder: boolean }> {
    const q = this.db(REDEMPTIONS).where({ member_id: memberId }).orderBy('id', 'desc').limit(options.limit + 1);
    if (options.beforeId !== undefined) q.andWhere('id', '<', options.beforeId);
    const rows: Array<Record<string, unknown>> = await q;
    return { redemptions: rows.slice(0, options.limit).map(toRedemption), hasOlder: rows.length > options.limit };
  }

  /**
   * The member's redemptions of a reward that count against its limits (failed and cancelled
   * ones gave their points back): in `month`, and in all; a limit the reward doesn't have isn't read.
   */
  async limitCounts(
    memberId: number,
    reward: Pick<Reward, 'id' | 'limitPerMonth' | 'limitTotal'>,
    month: { from: Date; to: Date },
  ): Promise<{ redeemedThisMonth: number; redeemedInTotal: number }> {
    const count = async (within: typeof month | null) => {
      const q = this.db(REDEMPTIONS).where({ member_id: memberId, reward_id: reward.id }).whereNotIn('state', ['failed', 'cancelled']);
      if (within) q.andWhere('created_at', '>=', within.from).andWhere('created_at', '<', within.to);
      return toInt((await q.count({ n: '*' }).first())?.n);
    };
    return {
      redeemedThisMonth: reward.limitPerMonth === null ? 0 : await count(month),
      redeemedInTotal: reward.limitTotal === null ? 0 : await count(null),
    };
  }

  /** Newest first, `limit` of them below `beforeId` (a keyset page). */
  async page(filter: RedemptionFilter, beforeId: number | null, limit: number): Promise<RedemptionListItem[]> {
    const q = this.db(`${REDEMPTIONS} as r`)
      .join('loyalty_members as m', 'm.id', 'r.member_id')
      .select('r.*', 'm.panel_client_id as member_panel_client_id', 'm.name as member_name')
      .orderBy('r.id', 'desc')
      .limit(limit);
    if (beforeId !== null) q.where('r.id', '<', beforeId);
    if (filter.state !== undefined) q.andWhere('r.state', filter.state);
    if (filter.panelClientId !== undefined) q.andWhere('m.panel_client_id', filter.panelClientId);
    if (filter.from !== undefined) q.andWhere('r.created_at', '>=', filter.from);
    if (filter.to !== undefined) q.andWhere('r.created_at', '<', filter.to);
    const rows: Array<Record<string, unknown>> = await q;
    return rows.map((row) => ({ ...toRedemption(row), panelClientId: String(row.member_panel_client_id), memberName: (row.member_name as string | null) ?? null }));
  }

  async findById(id: number): Promise<Redemption | null> {
    const row = await this.db(REDEMPTIONS).where({ id }).first();
    return row ? toRedemption(row) : null;
  }

  /**
   * A failed redemption whose action is sent again: pending once more, paid with the lots just
   * spent and holding the stock just taken (if any). False when it was not failed (a second
   * retry lost the race).
   */
  async reopen(id: number, spentLots: readonly SpentLot[], tookStock: boolean, now: Date): Promise<boolean> {
    const n = await this.db(REDEMPTIONS)
      .where({ id, state: 'failed' })
      .update({ state: 'pending', spent_lots: JSON.stringify(spentLots), took_stock: tookStock, panel_reference: null, updated_at: now });
    return n === 1;
  }

  /** Moves a pending redemption on; false when it had already left `pending` (a second dispatcher). */
  async settle(id: number, state: Exclude<RedemptionState, 'pending'>, panelReference: string | null, now: Date): Promise<boolean> {
    const n = await this.db(REDEMPTIONS).where({ id, state: 'pending' }).update({ state, panel_reference: panelReference, updated_at: now });
    return n === 1;
  }
}
