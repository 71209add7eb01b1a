import type { Database } from '../db/database';
import type { Logger } from '../logger';
import { MemberAccount } from '../services/member-account';

const BATCH = 500;

/**
 * Releases pending points whose refund window has passed, member by member under each
 * member's row lock. Work is found through the (pending, available_at) index, so a run costs
 * what is due, not the size of the history; a second run finds nothing to do.
 */
export class ReleasePendingJob {
  constructor(
    private readonly db: Database,
    private readonly logger?: Logger,
  ) {}

  async run(options: { dryRun?: boolean } = {}): Promise<{ members: number; points: number }> {
    if (options.dryRun) return this.db.repos.lots.pendingDue(this.db.now());
    let members = 0;
    let points = 0;
    for (;;) {
      const ids = await this.db.repos.lots.membersWithDueLots(this.db.now(), BATCH);
      if (ids.length === 0) break;
      for (const id of ids) {
        points += await this.db.transaction(async (tx) => {
          const account = await MemberAccount.lock(tx, { id });
          return account ? account.releaseDue() : 0;
        });
        members++;
      }
      this.logger?.info({ job: 'release-pending', members, points }, 'releasing pending points');
    }
    return { members, points };
  }
}
