import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import type { Database } from '../db/database';
import type { DecidedInboxEvent } from '../repositories/event-repository';
import { isUnavailable } from '../db/errors';
import type { Tx } from '../db/unit-of-work';
import type { BillingEvent } from '../domain/billing-event';
import type { Member } from '../domain/member';
import { ConflictError } from '../errors';
import { GroupCommit, type Waiting } from '../lib/group-commit';
import type { Logger } from '../logger';
import type { PaymentPlan } from './invoice-service';
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

/**
 * The set-based twin of the `invoice.paid` handler (`InvoiceService.paidMany`): decides a batch
 * of payments in one unit of work and writes their effects once told their inbox rows.
 */
export type PaymentsHandler = (
  tx: Tx,
  payments: ReadonlyArray<{ event: BillingEvent }>,
  snapshot: ProgramSnapshot,
  knownMembers: ReadonlyMap<string, number>,
  options: { readInvoices: boolean },
) => Promise<PaymentPlan>;

/** How many payments share a transaction at most, and how many such transactions run at once. */
export interface GroupCommitLimits {
  maxBatch: number;
  maxInFlight: number;
}

/** A delivery as the inbox stores it. */
interface Delivery {
  source: string;
  event: BillingEvent;
  /** The body's JSON text. */
  payload: string;
  bodyHash: string;
  requestId?: string;
}

class DuplicateDelivery extends Error {}

/**
 * Rolls back a lone payment's batch that met what it didn't read first (its inbox row, its
 * invoice's row): the delivery then goes alone, which reads them.
 */
class GoAlone extends Error {}

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

/** What the rest of the plugin hears of an applied event, once its transaction commits. */
function announce(tx: Tx, delivery: Delivery, account: MemberAccount, r: UseCaseResult): void {
  const { member } = account;
  if (account.enrolled && !announced.has(account)) {
    announced.add(account);
    tx.afterCommit('member.enrolled', { memberId: member.id, panelClientId: member.panelClientId });
  }
  tx.afterCommit('billing-event.processed', {
    source: delivery.source,
    eventId: delivery.event.id,
    type: delivery.event.type,
    memberId: member.id,
    panelClientId: member.panelClientId,
    ...r,
  });
}

/** The inbox row of a batch's only delivery (if the batch applies it), or `GoAlone` when it is there already. */
async function insertSingle(tx: Tx, source: string, row: DecidedInboxEvent | undefined): Promise<Map<string, number>> {
  if (!row) return new Map();
  const id = await tx.repos.events.insertWithOutcome(source, row);
  if (id === null) throw new GoAlone();
  return new Map([[row.externalId, id]]);
}

/** Accounts whose enrolment is announced already: a batch may apply several payments of a new member. */
const announced = new WeakSet<MemberAccount>();

/**
 * Turns a validated billing event into its effects, exactly once: the inbox row and every
 * ledger write share one transaction, and the unique (source, id) key rejects a second one.
 * Concurrent payments share transactions (a group commit), each still answered on its own.
 */
export class EventService {
  /** Payments waiting for a transaction, by inbox source (a batch writes one source's inbox rows). */
  private readonly queues = new Map<string, GroupCommit<Delivery, IngestResult>>();
  /** Member ids by panel client id, which never change: a batch of known payers skips looking them up. */
  private readonly memberIds = new Map<string, number>();
  /** New clients a batch in flight is enrolling. */
  private readonly enrolling = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly deps: {
      handle: EventHandler;
      /** The program as the event finds it; read before the transaction opens. */
      snapshot: () => Promise<ProgramSnapshot>;
      /** With it, concurrent `invoice.paid` deliveries are group-committed (issue 14). */
      payments?: { handle: PaymentsHandler; limits: GroupCommitLimits };
      logger?: Logger;
    },
  ) {}

  /** Hash of the event's JSON with sorted keys: a re-serialised retry is not a conflict. */
  static bodyHash(json: unknown): string {
    return createHash('sha256').update(stringify(json) ?? '').digest('hex');
  }

  /** `requestId` is stored on the inbox row, to find the delivery's log lines. */
  async ingest(source: string, event: BillingEvent, json: unknown, options: { requestId?: string } = {}): Promise<IngestResult> {
    const delivery: Delivery = { source, event, payload: JSON.stringify(json), bodyHash: EventService.bodyHash(json), requestId: options.requestId };
    const payments = this.deps.payments;
    if (event.type !== 'invoice.paid' || !payments) return this.ingestAlone(delivery);
    let queue = this.queues.get(source);
    if (!queue) {
      queue = new GroupCommit((batch) => this.ingestPayments(source, batch), payments.limits);
      this.queues.set(source, queue);
    }
    return queue.submit(delivery);
  }

  /**
   * One event in its own unit of work: the inbox row and every ledger write share one
   * transaction, and the unique (source, id) key rejects a second delivery.
   */
  private async ingestAlone(delivery: Delivery): Promise<IngestResult> {
    const { source, event, bodyHash } = delivery;
    const snapshot = await this.deps.snapshot();
    try {
      const result = await this.db.transaction(async (tx) => {
        const eventRowId = await tx.repos.events.insert({
          source,
          externalId: event.id,
          type: event.type,
          occurredAt: event.occurredAt,
          bodyHash,
          payload: delivery.payload,
          receivedAt: tx.now,
          requestId: delivery.requestId,
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
        announce(tx, delivery, account, r);
        return r;
      });
      return answer(event.id, result);
    } catch (err) {
      if (!(err instanceof DuplicateDelivery)) throw err;
      return this.answerDuplicate(source, event.id, bodyHash);
    }
  }

  /**
   * A batch of payments in one unit of work: the new ones decided and written set-based, each
   * answered once the commit holds it. Those the batch can't decide (already in the inbox, a
   * second delivery of an id in the batch, those `paidMany` leaves) go alone after it, each
   * client's in arrival order; and if the batch fails, every payment goes alone, so one bad
   * event gets its own answer and the others still apply.
   */
  private async ingestPayments(source: string, batch: ReadonlyArray<Waiting<Delivery, IngestResult>>): Promise<void> {
    const deliveries = batch.map((w) => w.item);
    let results: Array<IngestResult | null>;
    try {
      results = await this.applyPayments(source, deliveries);
      // `committed`: the payments the batch applied; the others go alone now (those it left, or
      // a lone payment whose batch rolled back on finding its inbox row or invoice there already).
      const committed = results.filter((r) => r !== null).length;
      this.deps.logger?.debug({ events: deliveries.length, committed, alone: deliveries.length - committed }, 'payments batch done');
    } catch (err) {
      // Whatever failed the batch, an id it went by might be why (a database restored from a backup).
      this.memberIds.clear();
      // Each alone would only meet the same outage: every delivery answers 503, and the panel retries.
      if (isUnavailable(err)) throw err;
      this.deps.logger?.warn({ err, events: deliveries.length }, 'a batch of payments failed; applying each alone');
      results = deliveries.map(() => null);
    }
    // Those the batch left go alone now, each client's in the order they came.
    const chains = new Map<string, Promise<void>>();
    batch.forEach((w, i) => {
      const result = results[i];
      if (result) return w.resolve(result);
      const client = w.item.event.client.id;
      const alone = (chains.get(client) ?? Promise.resolve()).then(() => this.ingestAlone(w.item).then(w.resolve, w.reject));
      chains.set(client, alone);
    });
    await Promise.all(chains.values());
  }

  private async applyPayments(source: string, deliveries: readonly Delivery[]): Promise<Array<IngestResult | null>> {
    // Through the pool, before the transaction: member ids never change, and the transaction
    // then locks by id, in id order (see `MemberAccount.lockMany`).
    const clients = [...new Set(deliveries.map((d) => d.event.client.id))];
    const unknown = clients.filter((c) => !this.memberIds.has(c));
    if (unknown.length > 0) for (const [client, id] of await this.db.repos.members.idsByPanelClientIds(unknown)) this.rememberMember(client, id);
    const known = new Map(clients.flatMap((c) => (this.memberIds.has(c) ? [[c, this.memberIds.get(c) as number] as const] : [])));
    // A new client the other batch in flight is enrolling (a first order's invoices paid at
    // once): enrolling them here too would fail this batch on the unique key. Their payments go
    // alone after it, and find the member there.
    const newClients = clients.filter((c) => !known.has(c));
    const elsewhere = new Set(newClients.filter((c) => this.enrolling.has(c)));
    const mine = newClients.filter((c) => !elsewhere.has(c));
    for (const c of mine) this.enrolling.add(c);
    try {
      return await this.commitPayments(source, deliveries, known, elsewhere);
    } finally {
      for (const c of mine) this.enrolling.delete(c);
    }
  }

  private async commitPayments(
    source: string,
    deliveries: readonly Delivery[],
    known: ReadonlyMap<string, number>,
    elsewhere: ReadonlySet<string>,
  ): Promise<Array<IngestResult | null>> {
    const { handle } = this.deps.payments as NonNullable<typeof this.deps.payments>;
    const snapshot = await this.deps.snapshot();
    // A delivery alone in its batch (most of them, under light load) isn't looked up in the
    // inbox first, nor its invoice: their inserts' unique keys say whether they are there, and
    // if one is, the delivery goes alone once the transaction has rolled back, as those the
    // batch leaves do.
    const single = deliveries.length === 1;
    let results: { answers: Array<IngestResult | null>; enrolled: Member[] };
    try {
      results = await this.db.transaction(async (tx) => {
        // The known members locked first: an id whose delivery commits while we wait for its
        // member is then read as in the inbox, and goes alone rather than failing the batch.
        await MemberAccount.lockMany(tx, [...known.values()]);
        const inInbox = single
          ? new Map<string, string>()
          : await tx.repos.events.bodyHashes(
              source,
              deliveries.map((d) => d.event.id),
            );
        // The first delivery of each id not in the inbox yet; the others are answered alone after the commit.
        const firsts = new Map<string, Delivery>();
        for (const d of deliveries) if (!inInbox.has(d.event.id) && !firsts.has(d.event.id) && !elsewhere.has(d.event.client.id)) firsts.set(d.event.id, d);
        const fresh = [...firsts.values()];
        const plan = await handle(tx, fresh, snapshot, known, { readInvoices: !single });
        const applied = fresh.flatMap((d, i) => {
          const decided = plan.decided[i];
          return decided ? [{ delivery: d, ...decided }] : [];
        });
        const rows = applied.map(({ delivery: d, result, account }) => ({
          externalId: d.event.id,
          type: d.event.type,
          occurredAt: d.event.occurredAt,
          bodyHash: d.bodyHash,
          payload: d.payload,
          receivedAt: tx.now,
          requestId: d.requestId,
          memberId: account.member.id,
          ...result,
        }));
        const rowIds = single ? await insertSingle(tx, source, rows[0]) : await tx.repos.events.insertManyWithOutcome(source, rows);
        if (!(await plan.write(fresh.map((d) => rowIds.get(d.event.id))))) throw new GoAlone();
        const answers = new Map<Delivery, IngestResult>();
        for (const { delivery, result, account } of applied) {
          announce(tx, delivery, account, result);
          answers.set(delivery, answer(delivery.event.id, result));
        }
        return { answers: deliveries.map((d) => answers.get(d) ?? null), enrolled: applied.filter((a) => a.account.enrolled).map((a) => a.account.member) };
      });
    } catch (err) {
      if (!(err instanceof GoAlone)) throw err;
      return [null];
    }
    for (const m of results.enrolled) this.rememberMember(m.panelClientId, m.id);
    return results.answers;
  }

  private rememberMember(panelClientId: string, memberId: number): void {
    // Bounded: past this many payers it starts over, and a batch looks its payers up again.
    if (this.memberIds.size >= 50_000) this.memberIds.clear();
    this.memberIds.set(panelClientId, memberId);
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
