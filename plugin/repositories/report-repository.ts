import type { Knex } from 'knex';
import { LEDGER } from './ledger-repository';
import { MEMBERS } from './member-repository';
import { OUTBOX } from './outbox-repository';
import { REDEMPTIONS } from './redemption-repository';
import { REWARDS } from './reward-repository';
import { TIERS } from './tier-repository';
import { toDate, toInt } from './row-values';

/**
 * The admin area's reads over all members: the dashboard's aggregates (one GROUP BY each, no
 * per-member loop) and the CSV exports' keyset batches (each batch costs the same however far
 * into the table it is, and nothing holds a connection between batches). Plain reads, no locks.
 */
export interface OutstandingByCurrency {
  /** '' for members the panel never told a currency. */
  currency: string;
  members: number;
  /** Σ positive available balances. */
  available: number;
  pending: number;
  /** Σ of negative available balances, as a positive number. */
  debt: number;
}

export interface MemberExportRow {
  id: number;
  panelClientId: string;
  email: string | null;
  name: string | null;
  currency: string | null;
  tierName: string | null;
  pointsAvailable: number;
  pointsPending: number;
  pointsLifetime: number;
  status: string;
  joinedAt: Date;
}

export interface LedgerExportRow {
  id: number;
  createdAt: Date;
  panelClientId: string;
  kind: string;
  delta: number;
  balanceAfter: number;
  reasonCode: string;
  rule: string | null;
  reference: string | null;
  actor: string;
}

export interface RedemptionExportRow {
  id: number;
  createdAt: Date;
  updatedAt: Date;
  panelClientId: string;
  rewardId: number;
  /**
   * The reward's kind, read from the reward: a kind is fixed when the reward is made (the
   * editor and `RewardRepository.update` never change it, and rewards are never deleted), so
   * the reward's kind now is the kind it had when redeemed. '' should the reward row be gone.
   */
  rewardKind: string;
  /** The reward's names by language as the redemption kept them; null for rows from before they were kept. */
  rewardNames: Record<string, string> | null;
  /** The reward's names now: what an old row without its own names falls back to. */
  currentRewardNames: Record<string, string> | null;
  points: number;
  currency: string;
  valueMinor: number;
  state: string;
  panelReference: string | null;
}

export interface RecentEntry {
  id: number;
  createdAt: Date;
  memberId: number;
  panelClientId: string;
  memberName: string | null;
  kind: string;
  delta: number;
  actor: string;
  reasonCode: string;
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const namesOrNull = (v: unknown): Record<string, string> | null => (v === null || v === undefined ? null : (JSON.parse(String(v)) as Record<string, string>));

export class ReportRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async memberCount(): Promise<number> {
    const row = await this.db(MEMBERS).count({ n: '*' }).first();
    return toInt(row?.n);
  }

  async outstandingByCurrency(): Promise<OutstandingByCurrency[]> {
    const rows = await this.db(MEMBERS)
      .select(this.db.raw("COALESCE(currency, '') AS currency"))
      .count({ members: '*' })
      .select(this.db.raw('SUM(CASE WHEN points_available > 0 THEN points_available ELSE 0 END) AS available'))
      .sum({ pending: 'points_pending' })
      .select(this.db.raw('SUM(CASE WHEN points_available < 0 THEN -points_available ELSE 0 END) AS debt'))
      .groupByRaw("COALESCE(currency, '')")
      .orderBy('currency');
    return (rows as Array<Record<string, unknown>>).map((r) => ({
      currency: String(r.currency ?? ''),
      members: toInt(r.members),
      available: toInt(r.available),
      pending: toInt(r.pending),
      debt: toInt(r.debt),
    }));
  }

  /** Σ delta per ledger kind for entries in [from, to) (served by loyalty_ledger_created_idx). */
  async ledgerTotalsBetween(from: Date, to: Date): Promise<Map<string, number>> {
    const rows = await this.db(LEDGER).where('created_at', '>=', from).andWhere('created_at', '<', to).select('kind').sum({ points: 'delta' }).groupBy('kind');
    return new Map((rows as Array<Record<string, unknown>>).map((r) => [String(r.kind), toInt(r.points)]));
  }

  /** Points given back in [from, to) by redemptions that failed or were cancelled (their `reverse` entries). */
  async redemptionReturnsBetween(from: Date, to: Date): Promise<number> {
    const row = await this.db(LEDGER)
      .where('created_at', '>=', from)
      .andWhere('created_at', '<', to)
      .andWhere('kind', 'reverse')
      .andWhere('reference', 'like', 'redemption:%')
      .sum({ points: 'delta' })
      .first();
    return toInt(row?.points ?? 0);
  }

  async redemptionsByState(): Promise<Map<string, number>> {
    const rows = await this.db(REDEMPTIONS).select('state').count({ n: '*' }).groupBy('state');
    return new Map((rows as Array<Record<string, unknown>>).map((r) => [String(r.state), toInt(r.n)]));
  }

  /** Members per tier id (null: no tier). */
  async membersByTier(): Promise<Array<{ tierId: number | null; members: number }>> {
    const rows = await this.db(MEMBERS).select('tier_id').count({ n: '*' }).groupBy('tier_id');
    return (rows as Array<Record<string, unknown>>).map((r) => ({ tierId: r.tier_id === null || r.tier_id === undefined ? null : toInt(r.tier_id), members: toInt(r.n) }));
  }

  /** Panel actions not yet delivered: waiting (pending) or given up on (failed), by action. */
  async openActions(): Promise<Array<{ action: string; state: string; count: number }>> {
    const rows = await this.db(OUTBOX).whereIn('state', ['pending', 'failed']).select('action', 'state').count({ n: '*' }).groupBy('action', 'state').orderBy(['state', 'action']);
    return (rows as Array<Record<string, unknown>>).map((r) => ({ action: String(r.action), state: String(r.state), count: toInt(r.n) }));
  }

  async recentEntries(limit: number): Promise<RecentEntry[]> {
    const rows = await this.db(`${LEDGER} as l`)
      .join(`${MEMBERS} as m`, 'm.id', 'l.member_id')
      .orderBy('l.id', 'desc')
      .limit(limit)
      .select('l.id', 'l.created_at', 'l.member_id', 'm.panel_client_id', 'm.name', 'l.kind', 'l.delta', 'l.actor', 'l.reason_code');
    return (rows as Array<Record<string, unknown>>).map((r) => ({
      id: toInt(r.id),
      createdAt: toDate(r.created_at),
      memberId: toInt(r.member_id),
      panelClientId: String(r.panel_client_id),
      memberName: str(r.name),
      kind: String(r.kind),
      delta: toInt(r.delta),
      actor: String(r.actor),
      reasonCode: String(r.reason_code),
    }));
  }

  async membersAfter(afterId: number, limit: number): Promise<MemberExportRow[]> {
    const rows = await this.db(`${MEMBERS} as m`)
      .leftJoin(`${TIERS} as t`, 't.id', 'm.tier_id')
      .where('m.id', '>', afterId)
      .orderBy('m.id', 'asc')
      .limit(limit)
      .select('m.id', 'm.panel_client_id', 'm.email', 'm.name', 'm.currency', 't.name as tier_name', 'm.points_available', 'm.points_pending', 'm.points_lifetime', 'm.status', 'm.joined_at');
    return (rows as Array<Record<string, unknown>>).map((r) => ({
      id: toInt(r.id),
      panelClientId: String(r.panel_client_id),
      email: str(r.email),
      name: str(r.name),
      currency: str(r.currency),
      tierName: str(r.tier_name),
      pointsAvailable: toInt(r.points_available),
      pointsPending: toInt(r.points_pending),
      pointsLifetime: toInt(r.points_lifetime),
      status: String(r.status),
      joinedAt: toDate(r.joined_at),
    }));
  }

  /** Entries in [from, to) after the cursor, in (created_at, id) order: the export's keyset. */
  async ledgerAfter(range: { from: Date; to: Date }, after: { createdAt: Date; id: number } | null, limit: number): Promise<LedgerExportRow[]> {
    const q = this.db(`${LEDGER} as l`)
      .join(`${MEMBERS} as m`, 'm.id', 'l.member_id')
      .where('l.created_at', '>=', range.from)
      .andWhere('l.created_at', '<', range.to);
    if (after) q.andWhere((w) => w.where('l.created_at', '>', after.createdAt).orWhere((e) => e.where('l.created_at', '=', after.createdAt).andWhere('l.id', '>', after.id)));
    const rows = await q
      .orderBy([
        { column: 'l.created_at', order: 'asc' },
        { column: 'l.id', order: 'asc' },
      ])
      .limit(limit)
      .select('l.id', 'l.created_at', 'm.panel_client_id', 'l.kind', 'l.delta', 'l.balance_after', 'l.reason_code', 'l.rule', 'l.reference', 'l.actor');
    return (rows as Array<Record<string, unknown>>).map((r) => ({
      id: toInt(r.id),
      createdAt: toDate(r.created_at),
      panelClientId: String(r.panel_client_id),
      kind: String(r.kind),
      delta: toInt(r.delta),
      balanceAfter: toInt(r.balance_after),
      reasonCode: String(r.reason_code),
      rule: str(r.rule),
      reference: str(r.reference),
      actor: String(r.actor),
    }));
  }

  async redemptionsAfter(afterId: number, limit: number): Promise<RedemptionExportRow[]> {
    const rows = await this.db(`${REDEMPTIONS} as r`)
      .join(`${MEMBERS} as m`, 'm.id', 'r.member_id')
      .leftJoin(`${REWARDS} as w`, 'w.id', 'r.reward_id')
      .where('r.id', '>', afterId)
      .orderBy('r.id', 'asc')
      .limit(limit)
      .select('r.id', 'r.created_at', 'r.updated_at', 'm.panel_client_id', 'r.reward_id', 'w.kind as reward_kind', 'r.reward_names', 'w.names as current_reward_names', 'r.points', 'r.currency', 'r.value_minor', 'r.state', 'r.panel_reference');
    return (rows as Array<Record<string, unknown>>).map((r) => ({
      id: toInt(r.id),
      createdAt: toDate(r.created_at),
      updatedAt: toDate(r.updated_at),
      panelClientId: String(r.panel_client_id),
      rewardId: toInt(r.reward_id),
      rewardKind: String(r.reward_kind ?? ''),
      rewardNames: namesOrNull(r.reward_names),
      currentRewardNames: namesOrNull(r.current_reward_names),
      points: toInt(r.points),
      currency: String(r.currency),
      valueMinor: toInt(r.value_minor),
      state: String(r.state),
      panelReference: str(r.panel_reference),
    }));
  }

  /**
   * Which of these (client, reference) entries of `kind` exist: an import's preview. Members are
   * found by their unique panel id and entries by loyalty_ledger_member_reference_idx.
   */
  async existingEntries(kind: string, wanted: ReadonlyArray<{ panelClientId: string; reference: string }>): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < wanted.length; i += 500) {
      const batch = wanted.slice(i, i + 500);
      const rows = await this.db(`${LEDGER} as l`)
        .join(`${MEMBERS} as m`, 'm.id', 'l.member_id')
        .whereIn(
          'm.panel_client_id',
          batch.map((w) => w.panelClientId),
        )
        .whereIn(
          'l.reference',
          batch.map((w) => w.reference),
        )
        .andWhere('l.kind', kind)
        .select('l.reference');
      for (const r of rows as Array<Record<string, unknown>>) found.add(String(r.reference));
    }
    return found;
  }
}
