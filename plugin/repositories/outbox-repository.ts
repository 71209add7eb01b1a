import type { Knex } from 'knex';
import type { PanelActionName, PanelActionPayloads } from '../domain/panel-actions';
import { insertOrDuplicate } from './insert-or-duplicate';
import { toDate, toDateOrNull, toInt } from './row-values';

export const OUTBOX = 'loyalty_outbox';

/**
 * `cancelled`: withdrawn before it was sent, e.g. the cashback of an invoice since refunded; the
 * cashback of a reversed payment is queued again by a re-payment (`reinstateCancelled`).
 */
export type OutboxState = 'pending' | 'sent' | 'failed' | 'cancelled';

export interface OutboxEntry {
  id: number;
  action: string;
  payload: unknown;
  state: OutboxState;
  /** Claims so far, this one included: a claim counts even if its sender then crashes. */
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  idempotencyKey: string;
  /** The panel client it is for, when its payload names one. */
  clientId: string | null;
  createdAt: Date;
  sentAt: Date | null;
  panelReference: string | null;
}

/**
 * Printable ASCII without spaces: the key travels as a `webhook-id` header and inside panel
 * descriptions. 190 characters is what a utf8mb4 unique index holds comfortably.
 */
const KEY = /^[\x21-\x7e]{1,190}$/;
const MAX_ERROR = 2000;

function toEntry(row: Record<string, unknown>): OutboxEntry {
  return {
    id: toInt(row.id),
    action: String(row.action),
    payload: JSON.parse(String(row.payload)),
    state: row.state as OutboxState,
    attempts: toInt(row.attempts),
    nextAttemptAt: toDate(row.next_attempt_at),
    lastError: (row.last_error as string | null) ?? null,
    idempotencyKey: String(row.idempotency_key),
    clientId: (row.client_id as string | null) ?? null,
    createdAt: toDate(row.created_at),
    sentAt: toDateOrNull(row.sent_at),
    panelReference: (row.panel_reference as string | null) ?? null,
  };
}

/** The panel client an action is for, when its payload names one (an invoice discount names the invoice). */
function clientIdOf(payload: unknown): string | null {
  const id = (payload as { clientId?: unknown } | null)?.clientId;
  return typeof id === 'string' ? id : null;
}

export class OutboxRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /**
   * Records an action for the panel in the caller's transaction, so it is sent if and only if
   * the change that calls for it commits. A key seen before is a no-op that returns the first
   * row, whatever its state: the key names one action, once.
   *
   * A plain INSERT whose duplicate-key error is caught (`insertOrDuplicate`): the caller's
   * other writes stand; test/integration/outbox.test.ts checks this on both engines.
   */
  async enqueue<A extends PanelActionName>(
    action: A,
    payload: PanelActionPayloads[A],
    idempotencyKey: string,
    now: Date,
  ): Promise<{ entry: OutboxEntry; created: boolean }> {
    if (!KEY.test(idempotencyKey)) throw new Error(`Outbox idempotency key must be 1–190 printable ASCII characters: ${JSON.stringify(idempotencyKey)}`);
    const id = await insertOrDuplicate(
      this.db(OUTBOX).insert({
        action,
        payload: JSON.stringify(payload),
        state: 'pending',
        attempts: 0,
        next_attempt_at: now,
        idempotency_key: idempotencyKey,
        created_at: now,
        client_id: clientIdOf(payload),
      }),
    );
    if (id === null) {
      const entry = await this.findByKey(idempotencyKey);
      if (!entry) throw new Error(`Outbox row for key ${idempotencyKey} vanished after a duplicate-key error`);
      return { entry, created: false };
    }
    const entry = await this.findById(id);
    if (!entry) throw new Error(`Outbox row ${String(id)} vanished after its insert`);
    return { entry, created: true };
  }

  async findById(id: number): Promise<OutboxEntry | null> {
    const row = await this.db(OUTBOX).where({ id }).first();
    return row ? toEntry(row) : null;
  }

  async findByKey(idempotencyKey: string): Promise<OutboxEntry | null> {
    const row = await this.db(OUTBOX).where({ idempotency_key: idempotencyKey }).first();
    return row ? toEntry(row) : null;
  }

  /**
   * Claims up to `limit` due rows for one dispatcher, pushing each row's next attempt out by
   * `leaseMs` and counting the attempt.
   *
   * Safe with several dispatchers (instances, or overlapping runs) because each row is taken
   * by one conditional UPDATE, checked by affected rows (the DESIGN §10 pattern for balances):
   * the UPDATE re-checks `state = 'pending' AND next_attempt_at <= now` on the row as it is
   * at that moment (InnoDB waits on the row lock and re-reads the committed row; SQLite has
   * one writer), and a successful claim leaves `next_attempt_at` in the future, so a second
   * claimer matches 0 rows. The candidate SELECT needs no lock: losing a race only skips the
   * row. Run outside a transaction, so each claim commits (and is visible) at once.
   *
   * A claim that is never settled (the process died) expires with its lease and the row is
   * sent again; adapters reconcile by key for that case. The lease must therefore be much
   * longer than an adapter call can take.
   */
  async claimDue(now: Date, limit: number, leaseMs: number): Promise<OutboxEntry[]> {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const claimed: number[] = [];
    // Losing every race of a batch means other dispatchers took those rows out of the due
    // set, so look again: the next candidates differ, and an empty answer means none is due.
    for (;;) {
      const candidates: Array<Record<string, unknown>> = await this.db(OUTBOX)
        .select('id')
        .where({ state: 'pending' })
        .andWhere('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at', 'asc')
        .orderBy('id', 'asc')
        .limit(limit);
      if (candidates.length === 0) return [];
      for (const { id } of candidates) {
        const n = await this.db(OUTBOX)
          .where({ id: toInt(id), state: 'pending' })
          .andWhere('next_attempt_at', '<=', now)
          .update({ next_attempt_at: leaseUntil, attempts: this.db.raw('?? + 1', ['attempts']) });
        if (n === 1) claimed.push(toInt(id));
      }
      if (claimed.length > 0) break;
    }
    const rows = await this.db(OUTBOX).whereIn('id', claimed).orderBy('id', 'asc');
    return rows.map(toEntry);
  }

  /**
   * The panel performed the action. Not fenced by attempt: if an expired lease let a second
   * dispatcher send too, the action did happen, and the second mark finds the row sent.
   */
  async markSent(id: number, panelReference: string | null, now: Date): Promise<boolean> {
    // A row cancelled while this send was in flight was still sent: record what happened.
    const n = await this.db(OUTBOX)
      .where({ id })
      .whereIn('state', ['pending', 'cancelled'])
      .update({ state: 'sent', sent_at: now, panel_reference: panelReference, last_error: null });
    return n === 1;
  }

  /** Withdraws an action not sent yet; false when there is none pending under that key. */
  async cancelPending(idempotencyKey: string, reason: string): Promise<boolean> {
    const n = await this.db(OUTBOX)
      .where({ idempotency_key: idempotencyKey, state: 'pending' })
      .update({ state: 'cancelled', last_error: reason.slice(0, MAX_ERROR) });
    return n === 1;
  }

  /**
   * Schedules another attempt. Fenced by `attempt` (the count this claim set), so a dispatcher
   * whose lease expired can't overwrite the schedule of the one that claimed the row since.
   */
  async markRetry(id: number, attempt: number, nextAttemptAt: Date, error: string): Promise<boolean> {
    const n = await this.db(OUTBOX)
      .where({ id, state: 'pending', attempts: attempt })
      .update({ next_attempt_at: nextAttemptAt, last_error: error.slice(0, MAX_ERROR) });
    return n === 1;
  }

  /**
   * Hands a claimed row back unattempted (its endpoint is paused, or the run stopped before
   * sending it): due at `at`, and the claim's attempt taken back, so a pause doesn't spend the
   * retry budget. Fenced like markRetry.
   */
  async release(id: number, attempt: number, at: Date, error: string | null): Promise<boolean> {
    const n = await this.db(OUTBOX)
      .where({ id, state: 'pending', attempts: attempt })
      .update({ next_attempt_at: at, attempts: Math.max(0, attempt - 1), ...(error !== null && { last_error: error.slice(0, MAX_ERROR) }) });
    return n === 1;
  }

  /** Gives up on the row (max attempts reached, or the panel refused it); fenced like markRetry. */
  async markFailed(id: number, attempt: number, error: string): Promise<boolean> {
    const n = await this.db(OUTBOX)
      .where({ id, state: 'pending', attempts: attempt })
      .update({ state: 'failed', last_error: error.slice(0, MAX_ERROR) });
    return n === 1;
  }

  /**
   * Dead letters back into the queue: failed rows of the given actions (and ids, when given)
   * become pending again with a fresh retry budget. Returns how many.
   */
  async requeueFailed(actions: readonly string[], ids: readonly number[] | null, now: Date): Promise<number> {
    if (actions.length === 0) return 0;
    const q = this.db(OUTBOX).where({ state: 'failed' }).whereIn('action', actions);
    if (ids !== null) q.whereIn('id', ids);
    return q.update({ state: 'pending', attempts: 0, next_attempt_at: now });
  }

  /** A panel client's actions, newest first (their admin page). */
  async forClient(clientId: string, limit: number): Promise<OutboxEntry[]> {
    const rows = await this.db(OUTBOX).where({ client_id: clientId }).orderBy('id', 'desc').limit(limit);
    return rows.map(toEntry);
  }

  /**
   * Withdraws an action that no dispatcher has claimed yet (`attempts = 0`) in one conditional
   * UPDATE: a claim counts its attempt in the same kind of UPDATE, so of a claim and this, one
   * wins and the other matches no row. False when the action was claimed (it may be on its
   * way to the panel) or is no longer pending.
   */
  async cancelUnclaimed(idempotencyKey: string, reason: string): Promise<boolean> {
    const n = await this.db(OUTBOX)
      .where({ idempotency_key: idempotencyKey, state: 'pending', attempts: 0 })
      .update({ state: 'cancelled', last_error: reason.slice(0, MAX_ERROR) });
    return n === 1;
  }

  /**
   * Changes what an action no dispatcher has claimed yet will send, in one conditional UPDATE
   * (of a claim and this, one wins, as with `cancelUnclaimed`). False when it was claimed (it
   * may have reached the panel: a retry is reconciled by key there, so a changed payload would
   * not be what the panel has) or is no longer pending.
   */
  async reviseUnclaimed<A extends PanelActionName>(action: A, idempotencyKey: string, payload: PanelActionPayloads[A]): Promise<boolean> {
    const n = await this.db(OUTBOX)
      .where({ idempotency_key: idempotencyKey, action, state: 'pending', attempts: 0 })
      .update({ payload: JSON.stringify(payload), client_id: clientIdOf(payload) });
    return n === 1;
  }

  /**
   * Queues a cancelled action again, as `payload`, with a fresh retry budget: the change that
   * withdrew it was undone (a re-payment after a reversal). Same key, so a panel that got the
   * first one after all (a send in flight when it was cancelled) reconciles the two into one.
   * False when the key's action isn't cancelled (pending, sent or failed: left as it is).
   */
  async reinstateCancelled<A extends PanelActionName>(action: A, idempotencyKey: string, payload: PanelActionPayloads[A], now: Date): Promise<boolean> {
    const n = await this.db(OUTBOX)
      .where({ idempotency_key: idempotencyKey, action, state: 'cancelled' })
      .update({ state: 'pending', payload: JSON.stringify(payload), client_id: clientIdOf(payload), attempts: 0, next_attempt_at: now, last_error: null });
    return n === 1;
  }

  async countByState(): Promise<Record<OutboxState, number>> {
    const rows = await this.db(OUTBOX).select('state').count({ n: '*' }).groupBy('state');
    const out: Record<OutboxState, number> = { pending: 0, sent: 0, failed: 0, cancelled: 0 };
    for (const r of rows as Array<Record<string, unknown>>) out[r.state as OutboxState] = toInt(r.n);
    return out;
  }

  /** Actions waiting or given up on, per action: what the metrics show as depth and failures. */
  async countOpenByAction(): Promise<Array<{ action: string; state: 'pending' | 'failed'; count: number }>> {
    const rows = await this.db(OUTBOX).whereIn('state', ['pending', 'failed']).select('action', 'state').count({ n: '*' }).groupBy('action', 'state');
    return (rows as Array<Record<string, unknown>>).map((r) => ({ action: String(r.action), state: r.state as 'pending' | 'failed', count: toInt(r.n) }));
  }
}
