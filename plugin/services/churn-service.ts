import stringify from 'safe-stable-stringify';
import type { Database } from '../db/database';
import { churnReasons, signalsSince, spendWindows, type ChurnReason, type ChurnSettings } from '../domain/churn';
import type { SettingsService } from './settings-service';

/** One flagged member as the JSON export lists them. */
export interface ChurnFlagExport {
  member_id: number;
  panel_client_id: string;
  reasons: ChurnReason[];
  flagged_at: string;
  updated_at: string;
}

export interface ChurnBatchResult {
  /** The last member id of the batch (the job's progress marker); null when none was left. */
  lastId: number | null;
  members: number;
  flagged: number;
  cleared: number;
}

/**
 * Churn-risk flags: members with no paid invoice for N days, suspended services, services
 * cancelled or downgraded recently, or qualifying spend down sharply between two windows
 * (domain/churn.ts). Each flag keeps its reasons; a member whose signals are gone loses the
 * flag. Work goes by batches of members with grouped queries, so one batch costs a handful of
 * statements whatever its size, and a batch redone after a crash writes the same flags.
 */
export class ChurnService {
  constructor(
    private readonly db: Database,
    private readonly settings: SettingsService,
  ) {}

  async churnSettings(): Promise<ChurnSettings> {
    const s = await this.settings.snapshot();
    return { noPaymentDays: s.churn_no_payment_days, spendWindowMonths: s.churn_spend_window_months, spendDropPercent: s.churn_spend_drop_percent };
  }

  /** How many members `flagBatch` has left after `afterId` (a range of the primary key), for the job's progress. */
  async membersAfter(afterId: number): Promise<number> {
    return this.db.repos.churn.countMembers(afterId);
  }

  async flagBatch(input: { now: Date; afterId: number; limit: number; dryRun: boolean; settings: ChurnSettings }): Promise<ChurnBatchResult> {
    const { now, settings } = input;
    const ids = await this.db.repos.churn.memberIds(input.afterId, input.limit);
    const lastId = ids[ids.length - 1];
    if (lastId === undefined) return { lastId: null, members: 0, flagged: 0, cleared: 0 };
    const windows = { ...spendWindows(now, settings.spendWindowMonths), since: signalsSince(now, settings.spendWindowMonths) };
    const signals = await this.db.repos.churn.signals(ids, windows);
    const existing = await this.db.repos.churn.flagsFor(ids);
    const flag: Array<{ id: number; reasons: string }> = [];
    const clear: number[] = [];
    for (const id of ids) {
      const s = signals.get(id);
      const reasons = s ? churnReasons(s, settings, now) : [];
      if (reasons.length > 0) flag.push({ id, reasons: stringify(reasons) ?? '[]' });
      else if (existing.has(id)) clear.push(id);
    }
    // Only what changes is written, so a redone batch (or a quiet day) writes nothing.
    const changed = flag.filter((f) => existing.get(f.id) !== f.reasons);
    if (!input.dryRun && (changed.length > 0 || clear.length > 0)) {
      await this.db.transaction(async (tx) => {
        for (const f of changed) await tx.repos.churn.upsert(f.id, f.reasons, tx.now, existing.has(f.id));
        await tx.repos.churn.clear(clear);
      });
    }
    return { lastId, members: ids.length, flagged: flag.length, cleared: clear.length };
  }

  /** One member's churn flag with its reasons (their admin page), or null. */
  async flagOf(memberId: number): Promise<{ reasons: ChurnReason[]; flaggedAt: Date } | null> {
    return this.db.repos.churn.flagOf(memberId);
  }

  /** The flagged members with their reasons, for the admin area or a JSON export. */
  async export(): Promise<ChurnFlagExport[]> {
    const flags = await this.db.repos.churn.list();
    return flags.map((f) => ({
      member_id: f.memberId,
      panel_client_id: f.panelClientId,
      reasons: f.reasons,
      flagged_at: f.flaggedAt.toISOString(),
      updated_at: f.updatedAt.toISOString(),
    }));
  }
}
