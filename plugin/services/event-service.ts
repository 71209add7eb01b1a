import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import type { Database } from '../db/database';
import type { Tx } from '../db/unit-of-work';
import type { BillingEvent } from '../domain/billing-event';
import { ConflictError } from '../errors';
import { MemberAccount } from './member-account';
import { tierOf, type ProgramSnapshot, type UseCaseContext, type UseCaseResult } from './use-case-context';

export interface IngestResult {
  event: string;
  outcome: 'applied' | 'ignored' | 'duplicate';
  points: number;
  /** Of that, points of a debt the program's `write_off` policy forgave (the member did not lose them). */
  written_off?: number;
  /** Why no or few points, as a machine code (`no_earn_rate`, `not_yet_supported` …). */
  detail?: string;
  /** On a duplicate: what the first delivery did. */
  first_outcome?: 'applied' | 'ignored';
}

/** What the handler of one billing event works with: its unit of work and the locked member. */
export interface EventScope {
  tx: Tx;
  account: MemberAccount;
  context: UseCaseContext;
}

/** Applies one event inside its unit of work (the hooks, wired by `createPlugin`). */
export type EventHandler = (event: BillingEvent, scope: EventScope) => Promise<UseCaseResult>;

class DuplicateDelivery extends Error {}

/** The webhook's answer for an event's effect; a redelivery repeats it from the inbox row. */
function answer(id: string, r: UseCaseResult): IngestResult {
  return {
    event: id,
    outcome: r.outcome,
    points: r.points,
    ...(r.writtenOff ? { written_off: r.writtenOff } : {}),
    ...(r.detail && { detail: r.detail }),
  };
}

/**
 * Turns a validated billing event into its effects, exactly once: the inbox row and every
 * ledger write share one transaction, and the unique (source, id) key rejects a second one.
 */
export class EventService {
  constructor(
    private readonly db: Database,
    private readonly deps: {
      handle: EventHandler;
      /** The program as the event finds it; read before the transaction opens. */
      snapshot: () => Promise<ProgramSnapshot>;
    },
  ) {}

  /** Hash of the event's JSON with sorted keys: a re-serialised retry is not a conflict. */
  static bodyHash(json: unknown): string {
    return createHash('sha256').update(stringify(json) ?? '').digest('hex');
  }

  /** `requestId` is stored on the inbox row, to find the delivery's log lines. */
  async ingest(source: string, event: BillingEvent, json: unknown, options: { requestId?: string } = {}): Promise<IngestResult> {
    const bodyHash = EventService.bodyHash(json);
    const snapshot = await this.deps.snapshot();
    try {
      const result = await this.db.transaction(async (tx) => {
        const eventRowId = await tx.repos.events.insert({
          source,
          externalId: event.id,
          type: event.type,
          occurredAt: event.occurredAt,
          bodyHash,
          payload: JSON.stringify(json),
          receivedAt: tx.now,
          requestId: options.requestId,
        });
        if (eventRowId === null) throw new DuplicateDelivery();
        const account = await MemberAccount.enrol(tx, event.client);
        // Points whose refund window has passed become spendable before this event acts, so
        // a reversal draws from the right pool.
        await account.releaseDue();
        const { member } = account;
        const context: UseCaseContext = { snapshot, tier: tierOf(snapshot, member.tierId) ?? snapshot.tiers[0] ?? null, eventId: eventRowId };
        const r = await this.deps.handle(event, { tx, account, context });
        await tx.repos.events.recordOutcome(eventRowId, { memberId: member.id, ...r });
        if (account.enrolled) tx.afterCommit('member.enrolled', { memberId: member.id, panelClientId: member.panelClientId });
        tx.afterCommit('billing-event.processed', {
          source,
          eventId: event.id,
          type: event.type,
          memberId: member.id,
          panelClientId: member.panelClientId,
          ...r,
        });
        return r;
      });
      return answer(event.id, result);
    } catch (err) {
      if (!(err instanceof DuplicateDelivery)) throw err;
      return this.answerDuplicate(source, event.id, bodyHash);
    }
  }

  private async answerDuplicate(source: string, id: string, bodyHash: string): Promise<IngestResult> {
    const first = await this.db.repos.events.find(source, id);
    if (!first) throw new Error(`Inbox row ${source}/${id} vanished after a duplicate-key error`);
    if (first.bodyHash !== bodyHash) {
      throw new ConflictError('event_id_conflict', {
        message: `Event ${id} was already received with a different body`,
        help: 'An event id names one event. Give a changed or new event a new id (add a discriminator such as the paid date or transaction id).',
        fields: [{ path: 'id', message: 'was already used for a different event body' }],
      });
    }
    const firstOutcome = first.outcome === 'ignored' ? 'ignored' : 'applied';
    return { ...answer(id, { ...first, outcome: firstOutcome, detail: first.detail ?? undefined }), outcome: 'duplicate', first_outcome: firstOutcome };
  }
}
