import type { Database } from '../db/database';

/**
 * What a member chose about the program's emails. The statement opt-in is null until they
 * choose; the program's `statements_default_opt_in` applies meanwhile. A host sets it from its
 * own preference page or from the panel's client fields (`plugin.services.members`).
 */
export class MemberPreferencesService {
  constructor(private readonly db: Database) {}

  /** Records the member's choice; false when the panel client is not a member (yet). */
  async setStatementsOptIn(panelClientId: string, optIn: boolean): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const member = await tx.repos.members.findByPanelClientId(panelClientId, { forUpdate: true });
      return member ? tx.repos.statements.setOptIn(member.id, optIn, tx.now) : false;
    });
  }

  /** The member's own choice, or null when they never made one (or are not a member). */
  async statementsOptIn(panelClientId: string): Promise<boolean | null> {
    const member = await this.db.repos.members.findByPanelClientId(panelClientId);
    return member ? this.db.repos.statements.optIn(member.id) : null;
  }
}
