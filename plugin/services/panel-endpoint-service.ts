import type { Database } from '../db/database';
import { actorLabel, SYSTEM_ACTOR, type Actor } from '../domain/actor';
import type { Logger } from '../logger';

/** What the admin area (and /healthz) shows about where panel actions go. */
export type PanelEndpointStatus =
  | { configured: false; panel: null; endpoint: null; paused: false }
  | {
      configured: true;
      panel: string;
      endpoint: string;
      paused: false;
    }
  | {
      configured: true;
      panel: string;
      endpoint: string;
      paused: true;
      pausedAt: Date;
      /** The receiver's answer that paused it (410 Gone). */
      reason: string | null;
      /** What to do, for the operator. */
      help: string;
    };

export const PAUSED_HELP =
  'The panel endpoint answered 410 Gone (retired), so panel actions are paused and wait in the outbox. Fix PANEL_ACTIONS_URL or the receiver, then resume: plugin.jobs.resumePanel() (the admin area will get a button).';

/**
 * The panel endpoint the outbox dispatcher sends to, and its pause (a 410 Gone answer pauses
 * it for every instance, see OutboxDispatcher). `endpoint` is null when no adapter can send.
 */
export class PanelEndpointService {
  constructor(
    private readonly db: Database,
    private readonly target: { panel: string; endpoint: string } | null,
    private readonly clock: () => Date,
    private readonly logger?: Logger,
  ) {}

  async status(): Promise<PanelEndpointStatus> {
    if (!this.target) return { configured: false, panel: null, endpoint: null, paused: false };
    const state = await this.db.repos.panelEndpoints.find(this.target.endpoint);
    if (!state?.pausedAt) return { configured: true, ...this.target, paused: false };
    return { configured: true, ...this.target, paused: true, pausedAt: state.pausedAt, reason: state.reason, help: PAUSED_HELP };
  }

  /** Sends panel actions again; the next dispatcher run picks up what waited. False when it wasn't paused. */
  async resume(actor: Actor = SYSTEM_ACTOR): Promise<boolean> {
    if (!this.target) return false;
    const resumed = await this.db.repos.panelEndpoints.resume(this.target.endpoint, this.clock());
    if (resumed) this.logger?.warn({ endpoint: this.target.endpoint, actor: actorLabel(actor) }, 'panel endpoint resumed');
    return resumed;
  }
}
