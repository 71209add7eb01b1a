import type { Database } from '../db/database';
import { PanelError } from '../errors';
import type { Logger } from '../logger';
import { performPanelAction, type PanelApi } from '../panels/panel-api';
import type { OutboxEntry } from '../repositories/outbox-repository';

export interface OutboxDispatcherOptions {
  /** Attempts before a row is marked failed. */
  maxAttempts?: number;
  batchSize?: number;
  /** Delay after the first failure; it doubles per attempt up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How long a claim holds a row; far longer than an adapter call may take (axios timeout). */
  leaseMs?: number;
  /** In [0, 1); injected in tests to pin the jitter. */
  random?: () => number;
}

export interface DispatchResult {
  sent: number;
  retried: number;
  failed: number;
}

const DEFAULTS = {
  maxAttempts: 12,
  batchSize: 50,
  baseDelayMs: 60_000,
  maxDelayMs: 6 * 60 * 60_000,
  leaseMs: 5 * 60_000,
};

/**
 * Sends outbox rows to the panel. Each row is claimed atomically (OutboxRepository.claimDue),
 * so overlapping runs and several instances never send a row twice while its lease holds. The
 * panel is called outside any DB transaction (DESIGN §10): a claim commits first, the call
 * happens, then the outcome is written in its own statement.
 *
 * A run takes what is due at its start; a row that fails is rescheduled into the future, so a
 * run ends, and a run with nothing due writes nothing.
 */
export class OutboxDispatcher {
  private readonly o: Required<Omit<OutboxDispatcherOptions, 'random'>> & { random: () => number };
  private warnedNoPanel = false;

  constructor(
    private readonly db: Database,
    private readonly panel: PanelApi | undefined,
    private readonly clock: () => Date,
    private readonly logger?: Logger,
    options: OutboxDispatcherOptions = {},
  ) {
    this.o = { ...DEFAULTS, random: Math.random, ...stripUndefined(options) };
  }

  async run(): Promise<DispatchResult> {
    const result: DispatchResult = { sent: 0, retried: 0, failed: 0 };
    if (!this.panel) {
      // Rows stay pending, not failed: configuring PANEL_ACTIONS_URL later sends them.
      if (!this.warnedNoPanel) this.logger?.warn({ job: 'outbox' }, 'no panel adapter configured; outbox actions wait');
      this.warnedNoPanel = true;
      return result;
    }
    const now = this.clock();
    for (;;) {
      const batch = await this.db.repos.outbox.claimDue(now, this.o.batchSize, this.o.leaseMs);
      if (batch.length === 0) break;
      for (const entry of batch) result[await this.deliver(this.panel, entry, now)]++;
    }
    if (result.sent + result.retried + result.failed > 0) this.logger?.info({ job: 'outbox', ...result }, 'outbox dispatched');
    return result;
  }

  private async deliver(panel: PanelApi, entry: OutboxEntry, now: Date): Promise<keyof DispatchResult> {
    const log = { job: 'outbox', panel: panel.name, action: entry.action, idempotencyKey: entry.idempotencyKey, attempt: entry.attempts };
    let reference: string | null;
    try {
      ({ reference } = await performPanelAction(panel, entry.action, entry.payload, entry.idempotencyKey));
    } catch (err) {
      const error = describe(err);
      const retryable = !(err instanceof PanelError) || err.retryable;
      if (!retryable || entry.attempts >= this.o.maxAttempts) {
        await this.db.repos.outbox.markFailed(entry.id, entry.attempts, error);
        this.logger?.error({ ...log, error, retryable }, 'panel action failed; giving up');
        return 'failed';
      }
      const delayMs = this.backoff(entry.attempts);
      const nextAttemptAt = new Date(now.getTime() + delayMs);
      await this.db.repos.outbox.markRetry(entry.id, entry.attempts, nextAttemptAt, error);
      this.logger?.warn({ ...log, error, nextAttemptAt: nextAttemptAt.toISOString() }, 'panel action failed; will retry');
      return 'retried';
    }
    await this.db.repos.outbox.markSent(entry.id, reference, this.clock());
    this.logger?.info({ ...log, reference }, 'panel action sent');
    return 'sent';
  }

  /**
   * Exponential, capped, with "equal jitter" (half fixed, half random): instances retrying
   * after a panel outage spread out instead of arriving together, and a retry never comes
   * sooner than half the nominal delay.
   */
  backoff(attempt: number): number {
    const nominal = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** Math.max(0, attempt - 1));
    return Math.max(1, Math.round(nominal / 2 + (this.o.random() * nominal) / 2));
  }
}

/** A short, secret-free line for last_error and logs (an axios error carries signed headers). */
function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
