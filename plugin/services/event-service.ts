import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import type { Database } from '../db/database';
import { ConflictError } from '../errors';
import type { BillingEvent } from '../domain/billing-event';
import type { DomainEventBus, DomainEvents } from '../events/domain-events';
import type { HookContext, HookRegistry, HookResult } from '../events/hook';
import type { EarningService } from './earning-service';
import type { InvoiceService } from './invoice-service';
import type { LedgerService } from './ledger-service';
import type { MemberService } from './member-service';
import type { ProgramService } from './program-service';
import type { TierDiscountService } from './tier-discount-service';
import type { TierService } from './tier-service';

export interface IngestResult {
  event: string;
  outcome: 'applied' | 'ignored' | 'duplicate';
  points: number;
  /** Why no or few points, as a machine code (`no_earn_rate`, `not_yet_supported` …). */
  detail?: string;
  /** On a duplicate: what the first delivery did. */
  first_outcome?: 'applied' | 'ignored';
}

class DuplicateDelivery extends Error {}

const NOT_YET_SUPPORTED = async (): Promise<HookResult> => ({ outcome: 'ignored', points: 0, detail: 'not_yet_supported' });

/**
 * Turns a validated billing event into its effects, exactly once: the inbox row and every
 * ledger write share one transaction, and the unique (source, id) key rejects a second one.
 */
export class EventService {
  constructor(
    private readonly db: Database,
    private readonly deps: {
      hooks: HookRegistry;
      members: MemberService;
      earning: EarningService;
      invoices: InvoiceService;
      ledger: LedgerService;
      program: ProgramService;
      tiers: TierService;
      tierDiscounts: TierDiscountService;
      bus: DomainEventBus;
      clock: () => Date;
    },
  ) {}

  /** Hash of the event's JSON with sorted keys: a re-serialised retry is not a conflict. */
  static bodyHash(json: unknown): string {
    return createHash('sha256').update(stringify(json) ?? '').digest('hex');
  }

  async ingest(source: string, event: BillingEvent, json: unknown): Promise<IngestResult> {
    const bodyHash = EventService.bodyHash(json);
    // Read before the transaction: on SQLite it holds the only connection.
    const program = await this.deps.program.current();
    const { tiers } = await this.deps.tiers.config();
    const published: Array<[keyof DomainEvents, DomainEvents[keyof DomainEvents]]> = [];
    try {
      const result = await this.db.transaction(async (repos) => {
        published.length = 0;
        const now = this.deps.clock();
        const eventRowId = await repos.events.insert({
          source,
          externalId: event.id,
          type: event.type,
          occurredAt: event.occurredAt,
          bodyHash,
          payload: JSON.stringify(json),
          receivedAt: now,
        });
        if (eventRowId === null) throw new DuplicateDelivery();
        const locked = await this.deps.members.enrolLocked(repos, event.client, now);
        const { enrolled } = locked;
        // Points whose refund window has passed become spendable before this event acts, so
        // a reversal draws from the right pool.
        const member = await this.deps.ledger.releaseDue(repos, locked.member, now);
        const ctx: HookContext = {
          repos,
          member,
          enrolled,
          eventRowId,
          program,
          tier: this.deps.tiers.tierOf(tiers, member) ?? tiers[0] ?? null,
          now,
          services: { earning: this.deps.earning, invoices: this.deps.invoices, tierDiscounts: this.deps.tierDiscounts },
        };
        const handler = this.deps.hooks[event.type] ?? NOT_YET_SUPPORTED;
        const r = await handler(event, ctx);
        await repos.events.recordOutcome(eventRowId, { memberId: member.id, ...r });
        if (enrolled) published.push(['member.enrolled', { memberId: member.id, panelClientId: member.panelClientId }]);
        published.push([
          'billing-event.processed',
          { source, eventId: event.id, type: event.type, memberId: member.id, panelClientId: member.panelClientId, ...r },
        ]);
        return r;
      });
      for (const [name, payload] of published) this.deps.bus.publish(name, payload as never);
      return { event: event.id, outcome: result.outcome, points: result.points, ...(result.detail && { detail: result.detail }) };
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
    return {
      event: id,
      outcome: 'duplicate',
      points: first.points,
      first_outcome: first.outcome === 'ignored' ? 'ignored' : 'applied',
      ...(first.detail && { detail: first.detail }),
    };
  }
}
