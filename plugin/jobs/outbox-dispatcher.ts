import type { Database } from '../db/database';
import { PANEL_ACTIONS, type CompensationName, type FailedPanelAction, type PanelActionTable } from '../domain/panel-actions';
import { ConfigError, PanelError } from '../errors';
import type { Logger } from '../logger';
import { panelActionCall, type PanelApi } from '../panels/panel-api';
import type { Tx } from '../db/unit-of-work';
import type { OutboxEntry } from '../repositories/outbox-repository';

/**
 * Undoes our side of an action that failed for good (e.g. gives back a redemption's points).
 * Runs in the unit of work that marks the row failed, so it commits exactly once with it (it
 * may lock a member and write to the ledger); it should still be idempotent (keyed by
 * `failed.idempotencyKey`), as any undo step should.
 */
export type CompensationHandler = (tx: Tx, failed: FailedPanelAction) => Promise<void>;
export type CompensationHandlers = Readonly<Partial<Record<CompensationName, CompensationHandler>>>;

/**
 * Records what the panel did on our side (e.g. a redemption becomes applied, with the panel's
 * reference). Runs in the unit of work that marks the row sent, so the two commit together.
 */
export type SentHandler = (tx: Tx, sent: { action: string; idempotencyKey: string; reference: string | null }) => Promise<void>;

export interface OutboxDispatcherOptions {
  /** Attempts before a row is marked failed. */
  maxAttempts?: number;
  batchSize?: number;
  /** Delay after the first failure; it doubles per attempt up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How long a claim holds a row; far longer than an adapter call may take (axios timeout). */
  leaseMs?: number;
  /**
   * Actions in flight at once: a receiver that hangs on one action (until the adapter's
   * timeout) holds one slot, and the others are delivered meanwhile.
   */
  concurrency?: number;
  /** In [0, 1); injected in tests to pin the jitter. */
  random?: () => number;
  /** The actions rows may name; defaults to the built-in ones. */
  actions?: PanelActionTable;
  /** A handler for every compensation an action names (checked when the dispatcher is built). */
  compensations?: CompensationHandlers;
  onSent?: SentHandler;
}

export interface DispatchResult {
  sent: number;
  retried: number;
  failed: number;
  /** Present when the panel endpoint is paused (it answered 410 Gone): nothing more is sent until it is resumed. */
  paused?: true;
}

const DEFAULTS = {
  maxAttempts: 12,
  batchSize: 50,
  baseDelayMs: 60_000,
  maxDelayMs: 6 * 60 * 60_000,
  leaseMs: 5 * 60_000,
  concurrency: 8,
};

type Outcome = 'sent' | 'retried' | 'failed' | 'paused';

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
  private readonly o: Required<Omit<OutboxDispatcherOptions, 'random' | 'actions' | 'compensations' | 'onSent'>> & { random: () => number };
  private readonly actions: PanelActionTable;
  private readonly compensations: CompensationHandlers;
  private readonly onSent: SentHandler | undefined;
  private warnedNoPanel = false;

  constructor(
    private readonly db: Database,
    private readonly panel: PanelApi | undefined,
    private readonly clock: () => Date,
    private readonly logger?: Logger,
    options: OutboxDispatcherOptions = {},
  ) {
    const { actions = PANEL_ACTIONS, compensations = {}, onSent, ...rest } = options;
    this.o = { ...DEFAULTS, random: Math.random, ...stripUndefined(rest) };
    this.actions = actions;
    this.compensations = compensations;
    this.onSent = onSent;
    // At start-up rather than when an action first fails: by then its points would be stuck.
    const missing = Object.entries(actions).filter(([, d]) => d.onFailed !== null && !compensations[d.onFailed]);
    if (missing.length > 0) {
      throw new ConfigError(
        `No handler for the compensation of ${missing.map(([name, d]) => `${name} (${String(d.onFailed)})`).join(', ')}`,
        'Pass a handler for each compensation the panel actions name in the dispatcher options.',
      );
    }
  }

  /** The endpoint a 410 pauses: the adapter's, or its name. */
  static endpointOf(panel: Pick<PanelApi, 'name' | 'endpoint'>): string {
    return panel.endpoint ?? panel.name;
  }

  async run(): Promise<DispatchResult> {
    const result: DispatchResult = { sent: 0, retried: 0, failed: 0 };
    const panel = this.panel;
    if (!panel) {
      // Rows stay pending, not failed: configuring PANEL_ACTIONS_URL later sends them.
      if (!this.warnedNoPanel) this.logger?.warn({ job: 'outbox' }, 'no panel adapter configured; outbox actions wait');
      this.warnedNoPanel = true;
      return result;
    }
    const now = this.clock();
    const endpoint = OutboxDispatcher.endpointOf(panel);
    // Claimed rows waiting for a free slot. Claims are refilled one batch at a time, and the
    // pause is read again before each, so an endpoint another instance paused gets no more.
    const queue: OutboxEntry[] = [];
    let exhausted = false;
    let stopped = false;
    let refill: Promise<void> | null = null;
    const claim = async (): Promise<void> => {
      if (await this.isPaused(endpoint)) {
        stopped = true;
        result.paused = true;
        return;
      }
      const batch = await this.db.repos.outbox.claimDue(now, this.o.batchSize, this.o.leaseMs);
      if (batch.length === 0) exhausted = true;
      queue.push(...batch);
    };
    const next = async (): Promise<OutboxEntry | undefined> => {
      for (;;) {
        if (stopped) return undefined;
        const entry = queue.shift();
        if (entry) return entry;
        if (exhausted) return undefined;
        refill ??= claim().finally(() => (refill = null));
        await refill;
      }
    };
    const worker = async (): Promise<void> => {
      for (let entry = await next(); entry; entry = await next()) {
        const outcome = await this.deliver(panel, entry, now);
        if (outcome === 'paused') {
          stopped = true;
          result.paused = true;
        } else {
          result[outcome]++;
        }
      }
    };
    const settled = await Promise.allSettled(Array.from({ length: Math.max(1, this.o.concurrency) }, worker));
    // Claimed but never started (the endpoint was paused meanwhile): back in the queue, unspent.
    for (const entry of queue.splice(0)) await this.db.repos.outbox.release(entry.id, entry.attempts, now, null);
    const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (rejected) throw rejected.reason;
    if (result.sent + result.retried + result.failed > 0 || result.paused) this.logger?.info({ job: 'outbox', ...result }, 'outbox dispatched');
    return result;
  }

  private async isPaused(endpoint: string): Promise<boolean> {
    return ((await this.db.repos.panelEndpoints.find(endpoint))?.pausedAt ?? null) !== null;
  }

  private async deliver(panel: PanelApi, entry: OutboxEntry, now: Date): Promise<Outcome> {
    const log = { job: 'outbox', panel: panel.name, action: entry.action, idempotencyKey: entry.idempotencyKey, attempt: entry.attempts };
    let reference: string | null;
    try {
      // A claim counts its attempt, so a second one means an earlier claim may have reached the
      // panel; an error beside a first claim, that the row was requeued (attempts start over).
      const delivery = { retry: entry.attempts > 1 || entry.lastError !== null, requeued: entry.attempts === 1 && entry.lastError !== null, queuedAt: entry.createdAt };
      const call = panelActionCall(this.actions, panel, entry.action, entry.payload, entry.idempotencyKey, delivery);
      ({ reference } = await panel.perform(call));
    } catch (err) {
      const error = describe(err);
      if (err instanceof PanelError && err.endpointGone) {
        // The receiver retired the endpoint: every action waits (unspent) until it is resumed.
        const endpoint = OutboxDispatcher.endpointOf(panel);
        await this.db.repos.panelEndpoints.pause(endpoint, panel.name, error, this.clock());
        await this.db.repos.outbox.release(entry.id, entry.attempts, now, error);
        this.logger?.error({ ...log, endpoint, error }, 'panel endpoint answered 410 Gone; paused until resumed (plugin.jobs.resumePanel)');
        return 'paused';
      }
      const retryable = !(err instanceof PanelError) || err.retryable;
      if (!retryable || entry.attempts >= this.o.maxAttempts) {
        const compensation = this.compensationFor(entry.action);
        try {
          await this.giveUp(entry, error);
        } catch (compensationError) {
          // The row stays claimed and is tried again when its lease ends (it may even be sent
          // then); failed-without-compensation is the one outcome it must never reach.
          this.logger?.error({ ...log, error, compensation, compensationError: describe(compensationError) }, 'compensation failed; the action stays pending');
          return 'retried';
        }
        this.logger?.error({ ...log, error, retryable, compensation }, 'panel action failed; giving up');
        return 'failed';
      }
      // The receiver's Retry-After is the next attempt's time, bounded by the longest backoff and
      // by a second, so "Retry-After: 0" can't make this run claim the row again at once.
      const asked = err instanceof PanelError ? err.retryAfterMs : undefined;
      const delayMs = asked === undefined ? this.backoff(entry.attempts) : Math.min(this.o.maxDelayMs, Math.max(1000, asked));
      const nextAttemptAt = new Date(Math.max(now.getTime(), this.clock().getTime()) + delayMs);
      await this.db.repos.outbox.markRetry(entry.id, entry.attempts, nextAttemptAt, error);
      this.logger?.warn({ ...log, error, nextAttemptAt: nextAttemptAt.toISOString() }, 'panel action failed; will retry');
      return 'retried';
    }
    await this.db.transaction(async (tx) => {
      const first = await tx.repos.outbox.markSent(entry.id, reference, tx.now);
      if (first && this.onSent) await this.onSent(tx, { action: entry.action, idempotencyKey: entry.idempotencyKey, reference });
    });
    this.logger?.info({ ...log, reference }, 'panel action sent');
    return 'sent';
  }

  /**
   * Marks the row failed and runs its action's compensation in one transaction: the fence on
   * `attempts` lets one dispatcher win, so the compensation commits exactly once, and never
   * without the row being failed (or the other way round).
   */
  private async giveUp(entry: OutboxEntry, error: string): Promise<void> {
    const name = this.compensationFor(entry.action);
    const handler = name === null ? undefined : this.compensations[name];
    if (!handler) {
      await this.db.repos.outbox.markFailed(entry.id, entry.attempts, error);
      return;
    }
    await this.db.transaction(async (tx) => {
      if (!(await tx.repos.outbox.markFailed(entry.id, entry.attempts, error))) return;
      await handler(tx, { action: entry.action, payload: entry.payload, idempotencyKey: entry.idempotencyKey, error });
    });
  }

  private compensationFor(action: string): CompensationName | null {
    return Object.hasOwn(this.actions, action) ? (this.actions[action]?.onFailed ?? null) : null;
  }

  /**
   * Sends dead letters again (after the panel was fixed, say): failed actions whose failure
   * undid nothing. An action with a compensation (a redemption's credit) already gave its
   * points back when it failed; sending it now would deliver it twice over, so it stays failed.
   * `ids` limits it to those rows; returns how many were queued again.
   */
  async retryFailed(ids: readonly number[] | null = null): Promise<number> {
    const retriable = Object.entries(this.actions).filter(([, d]) => d.onFailed === null).map(([name]) => name);
    const n = await this.db.repos.outbox.requeueFailed(retriable, ids, this.clock());
    if (n > 0) this.logger?.info({ job: 'outbox', requeued: n }, 'failed panel actions queued again');
    return n;
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
