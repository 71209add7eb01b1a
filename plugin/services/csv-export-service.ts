import type { Database } from '../db/database';
import { csvCell } from '../domain/csv-cell';
import { toDecimalString } from '../domain/money';
import { rewardNameOf } from '../domain/redemption';

/** Rows per query: big enough to amortise a round trip, small enough to keep memory flat. */
const BATCH = 500;

export const EXPORTS = ['members', 'ledger', 'redemptions'] as const;
export type ExportName = (typeof EXPORTS)[number];

/** The widest ledger range one export may cover (a typo'd year would walk all history). */
export const MAX_LEDGER_DAYS = 366 * 5;

export type CsvRow = Array<string | number>;

/**
 * The admin's CSV exports as rows, produced a keyset batch at a time: the web layer streams
 * them through the CSV library into the response, so an export of a million rows holds one
 * batch in memory, never the whole file. Every text cell is made spreadsheet-safe here
 * (domain/csv-cell.ts), whatever the member typed as their name.
 */
export class CsvExportService {
  constructor(
    private readonly db: Database,
    /** The program's default language (setting `default_language`): the language of the reward names exported. */
    private readonly defaultLanguage: () => Promise<string>,
  ) {}

  async *members(): AsyncGenerator<CsvRow> {
    yield ['panel_client_id', 'email', 'name', 'currency', 'tier', 'points_available', 'points_pending', 'points_lifetime', 'status', 'joined_at'];
    let after = 0;
    for (;;) {
      const batch = await this.db.repos.reports.membersAfter(after, BATCH);
      for (const m of batch) {
        yield [m.panelClientId, m.email, m.name, m.currency, m.tierName, m.pointsAvailable, m.pointsPending, m.pointsLifetime, m.status, m.joinedAt].map(csvCell);
      }
      const last = batch.at(-1);
      if (!last || batch.length < BATCH) return;
      after = last.id;
    }
  }

  /** Entries in [from, to), oldest first. */
  async *ledger(range: { from: Date; to: Date }): AsyncGenerator<CsvRow> {
    yield ['id', 'created_at', 'panel_client_id', 'kind', 'delta', 'balance_after', 'reason', 'rule', 'reference', 'actor'];
    let after: { createdAt: Date; id: number } | null = null;
    for (;;) {
      const batch = await this.db.repos.reports.ledgerAfter(range, after, BATCH);
      for (const e of batch) yield [e.id, e.createdAt, e.panelClientId, e.kind, e.delta, e.balanceAfter, e.reasonCode, e.rule, e.reference, e.actor].map(csvCell);
      const last = batch.at(-1);
      if (!last || batch.length < BATCH) return;
      after = { createdAt: last.createdAt, id: last.id };
    }
  }

  /**
   * What each redemption was: `reward_name` is the name it kept when it was made, in the
   * program's default language (`rewardNameOf`: the reward's name now for rows from before
   * names were kept). It comes last so files read by column position keep their columns.
   */
  async *redemptions(): AsyncGenerator<CsvRow> {
    yield ['id', 'created_at', 'updated_at', 'panel_client_id', 'reward_id', 'reward_kind', 'points', 'currency', 'value', 'state', 'panel_reference', 'reward_name'];
    const languages = [await this.defaultLanguage()];
    let after = 0;
    for (;;) {
      const batch = await this.db.repos.reports.redemptionsAfter(after, BATCH);
      for (const r of batch) {
        const value = toDecimalString({ currency: r.currency, minor: r.valueMinor });
        const name = rewardNameOf(r, r.currentRewardNames && { names: r.currentRewardNames }, languages);
        yield [r.id, r.createdAt, r.updatedAt, r.panelClientId, r.rewardId, r.rewardKind, r.points, r.currency, value, r.state, r.panelReference, name].map(csvCell);
      }
      const last = batch.at(-1);
      if (!last || batch.length < BATCH) return;
      after = last.id;
    }
  }
}
