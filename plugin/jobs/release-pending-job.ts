import type { Database } from '../db/database';
import type { Logger } from '../logger';
import type { LedgerService } from '../services/ledger-service';

const BATCH = 500;

/**
 * Releases pending points whose refund window has passed, member by member under each
 * member's row lock. Work is found through the (pending, available_at) index, so a run costs
 * what is due, not the size of the history; a second run finds nothing to do.
 */
export class ReleasePendingJob {
  constructor(
    private readonly db: Database,
    private readonly ledger: LedgerService,
    private readonly clock: () => Date,
    private readonly logger?: Logger,
  ) {}

  async run(): Promise<{ members: number; points: number }> {
    const now = this.clock();
    let members = 0;
    let points = 0;
    for (;;) {
      const ids = await this.db.repos.lots.membersWithDueLots(now, BATCH);
      if (ids.length === 0) break;
      for (const id of ids) {
        points += await this.db.transaction(async (repos) => {
          const member = await repos.members.findById(id, { forUpdate: true });
          if (!member) return 0;
          const next = await this.ledger.releaseDue(repos, member, now);
          return next.pointsAvailable - member.pointsAvailable;
        });
        members++;
      }
      this.logger?.info({ job: 'release-pending', members, points }, 'releasing pending points');
    }
    return { members, points };
  }
}
