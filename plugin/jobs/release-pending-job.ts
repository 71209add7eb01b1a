import type { Database } from '../db/database';
import type { BatchOptions } from './job-definition';
import { BatchProgress } from '../lib/batch-progress';
import type { Logger } from '../logger';
import { MemberAccount } from '../services/member-account';

const BATCH = 500;

/**
 * Releases pending points whose refund window has passed, member by member under each
 * member's row lock. Work is found through the (pending, available_at) index, so a run costs
 * what is due, not the size of the history; a second run finds nothing to do. Members are
 * walked once each in id order, so a member whose due lots can't be released (a cached
 * pending balance that disagrees with its lots) is reported, not retried for ever.
 */
export class ReleasePendingJob {
  constructor(
    private readonly db: Database,
    private readonly logger?: Logger,
  ) {}

  async run(options: { dryRun?: boolean } & BatchOptions = {}): Promise<{ members: number; points: number }> {
    if (options.dryRun) return this.db.repos.lots.pendingDue(this.db.now());
    const now = this.db.now();
    const batchSize = options.batchSize ?? BATCH;
    let members = 0;
    let points = 0;
    const stuck: number[] = [];
    let progress: BatchProgress | undefined;
    for (let after = 0; ; ) {
      const ids = await this.db.repos.lots.membersWithDueLots(now, batchSize, after);
      if (ids.length === 0) break;
      // Counted once there is work: the job runs every minute, mostly to find nothing.
      if (options.progress) progress ??= new BatchProgress(options.progress, 'members', (await this.db.repos.lots.pendingDue(now)).members);
      for (const id of ids) {
        const released = await this.db.transaction(async (tx) => {
          const account = await MemberAccount.lock(tx, { id });
          return account ? account.releaseDue() : 0;
        });
        if (released === 0) stuck.push(id);
        points += released;
        members++;
      }
      after = ids[ids.length - 1]!;
      progress?.batch(ids.length, { members: members - stuck.length, points });
      this.logger?.info({ job: 'release-pending', members, points }, 'releasing pending points');
    }
    progress?.finish({ members: members - stuck.length, points });
    if (stuck.length > 0) {
      this.logger?.warn(
        { job: 'release-pending', members: stuck.slice(0, 20), count: stuck.length },
        'pending lots are due but nothing was released for these members: their cached pending balance disagrees with their lots (loyalty_members.points_pending against loyalty_lots); look into them before the next run',
      );
    }
    return { members: members - stuck.length, points };
  }
}
