import type { Database } from '../db/database';
import { isDuplicateKey, isRetryable } from '../db/errors';
import type { Tx } from '../db/unit-of-work';
import type { BillingEvent, ClientInfo } from '../domain/billing-event';
import { monthKey, tierRecheckAt, windowMonths } from '../domain/tiers';
import type { FieldProblem } from '../domain/validation';
import { AppError } from '../errors';
import { parseCanonicalEvent } from '../events/canonical-event';
import { depthProblem } from '../events/event-input';
import { EventService } from './event-service';
import { decideFirstPayment, fresh, loadStates, type AwardMode, type FirstPayment, type MemberState } from './first-payment';
import { MemberAccount } from './member-account';
import type { UpgradeInvoices } from './upgrade-invoices';
import { tierOf, type ProgramSnapshot } from './use-case-context';

export { AWARD_MODES, type AwardMode } from './first-payment';

export const DEFAULT_BATCH_SIZE = 1_000;

export interface BackfillOptions {
  award: AwardMode;
  /** Only events that occurred at or after this instant; earlier ones are skipped (not refused). */
  since?: Date;
  /** Validate and plan everything, write nothing. */
  dryRun?: boolean;
  /** Invoices per transaction. */
  batchSize?: number;
  /**
   * The history is read from the panel today, not replayed from what it sent (`--from whmcs`):
   * an event id already in the inbox is that event, a duplicate, even where today's body
   * differs from the one sent live (a client's email changed since, a product renamed).
   */
  rereadFromPanel?: boolean;
}

/** One row of a history file: a canonical event's JSON, or a row the reader could not make one of. */
export type HistoryRow = (
  | {
      json: unknown;
      /** A problem as the input names and tells it (a CSV's columns and date forms); the event's own by default. */
      problemOf?: (problem: FieldProblem) => FieldProblem;
    }
  | { problems: FieldProblem[]; id?: string }
) & {
  /** The row's (first) line in the file. */
  line: number;
  /** Its last line, where one event spans several (a CSV invoice's lines). */
  endLine?: number;
};

/** A row not imported, and why: written next to the input so it can be fixed and imported again. */
export interface Refusal {
  line: number;
  id?: string;
  reasons: FieldProblem[];
}

export interface BackfillCounts {
  /** Rows read (events). */
  rows: number;
  /** Paid invoices imported by the batch path. */
  invoices: number;
  /** Members who had an invoice imported (distinct). */
  members: number;
  /** Of them, enrolled by this run. */
  enrolled: number;
  /** Points credited (before expiry). */
  points: number;
  /** Of those, already past their expiry: expired at once. */
  expired: number;
  /** Tier changes recorded. */
  tierChanges: number;
  /** Events already in the inbox, or invoices already paid (live or by an earlier run). */
  duplicates: number;
  /** Events before `--since`. */
  skipped: number;
  /** Events `--award tiers-only` leaves out: neither a payment nor a take-back of its spend. */
  leftOut: number;
  /** Events other than a first payment, applied one by one through the live path. */
  live: number;
  refused: number;
}

export interface BackfillSummary extends BackfillCounts {
  /** Members whose tier this run changed, by the tier they ended in. */
  tiers: Record<string, number>;
  dryRun: boolean;
}

export interface BackfillHooks {
  onRefused?: (refusal: Refusal) => void | Promise<void>;
  /** After each batch: the file's lines done so far, and the counts. */
  onProgress?: (linesDone: number, counts: BackfillCounts) => void;
  /** Once the file is done, as points past their expiry are expired: members done of those to look at. */
  onExpiry?: (membersDone: number, members: number) => void;
}

interface Validated {
  line: number;
  event: BillingEvent;
  /** The body as the inbox stores it; kept rather than the parsed JSON, a fraction of its memory. */
  payload: string;
  bodyHash: string;
}

interface PlannedInvoice extends Omit<FirstPayment, 'invoice'> {
  item: Validated;
  state: MemberState;
  /** Null for a payment of an invoice already paid (the inbox row records it, nothing else). */
  invoice: FirstPayment['invoice'] | null;
}

interface BatchResult {
  counts: Partial<BackfillCounts>;
  /** The members who had an invoice imported: member ids (a dry run's new clients: panel client ids). */
  members: Array<number | string>;
  /** Tier ids members were moved to, keyed as `members`. */
  tiers: Map<number | string, number>;
  /** The enrolled members of the batch's payments, imported or not (a run resumed after a kill finds its lots to expire). */
  touched: number[];
  deferred: Validated[];
  refusals: Refusal[];
}

const MAX_DUPLICATE_RETRIES = 5;
/** Members expired per transaction at the end of a run. */
const EXPIRY_CHUNK = 500;
const MAX_BUSY_RETRIES = 20;

/** Types a `tiers-only` run still applies live: they only take spend (and the points it earned, none) back. */
const TAKE_BACK_TYPES = new Set(['invoice.refunded', 'invoice.chargeback', 'invoice.reversed']);

/**
 * Brings a panel's history in (issue 14): the same canonical events as the webhook, under the
 * same inbox keys and the same rules, but a batch of paid invoices per transaction with every
 * table written by multi-row statements. Per member, events apply in file order exactly as the
 * live path would apply them one by one (first-purchase bonus, caps, the tier reached so far
 * and its multiplier), so importing a history and sending it live end in the same balances,
 * tiers and ledger sums. A re-run, or a run resumed after a kill, finds every event it already
 * committed in the inbox and adds nothing; a live delivery of an invoice already imported, or
 * the reverse, is a duplicate by the invoice row both paths key on.
 */
export class BackfillService {
  constructor(
    private readonly db: Database,
    private readonly deps: {
      source: string;
      snapshot: () => Promise<ProgramSnapshot>;
      /** The live path, for the events a batch does not handle (refunds, client events …). */
      events: EventService;
      /** Pairs an upgrade invoice with its upgrade, as a live payment does, so its refunds take the upgrade's points back. */
      upgrades: UpgradeInvoices;
      clock: () => Date;
    },
  ) {}

  async run(rows: AsyncIterable<HistoryRow>, options: BackfillOptions, hooks: BackfillHooks = {}): Promise<BackfillSummary> {
    const counts: BackfillCounts = { rows: 0, invoices: 0, members: 0, enrolled: 0, points: 0, expired: 0, tierChanges: 0, duplicates: 0, skipped: 0, leftOut: 0, live: 0, refused: 0 };
    const members = new PerMember();
    const finalTiers = new PerMember();
    /** Members whose points the run may have left past their expiry: the batches', and the clients of events applied live. */
    const touched = new PerMember();
    const liveClients = new Set<string>();
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    const carried = options.dryRun ? new Map<string, MemberState>() : undefined;
    let failed = false;
    const refuse = async (r: Refusal) => {
      counts.refused++;
      await hooks.onRefused?.(r);
    };
    let reported = 0;
    /**
     * Starts a batch's import; `ready` resolves once the next batch may start its own (see
     * `plan`: this one holds its members' locks and has decided everything, so the next one
     * waits on any member they share and then reads what this one wrote), `done` once its
     * results are counted, after the previous batch's, so progress and refusals keep file order.
     */
    const flush = (batch: Validated[], through: number, previous: BatchLink['previous']): BatchLink['previous'] & { ready: Promise<void> } => {
      let allow = () => {};
      const ready = new Promise<void>((resolve) => (allow = resolve));
      let restarted = () => {};
      const restarting = new Promise<void>((resolve) => (restarted = resolve));
      const done = (async () => {
        try {
          const result = batch.length > 0 ? await this.importBatch(batch, options, carried, { allowNext: allow, restarted, previous }) : undefined;
          await previous.done;
          if (batch.length === 0 && through === reported) return;
          reported = through;
          if (result) {
            for (const [k, v] of Object.entries(result.counts) as Array<[keyof BackfillCounts, number]>) counts[k] += v;
            for (const id of result.members) members.set(id, 1);
            for (const id of result.touched) touched.set(id, 1);
            for (const [id, tier] of result.tiers) finalTiers.set(id, tier);
            for (const r of result.refusals) await refuse(r);
            for (const item of result.deferred) {
              if (!options.dryRun) liveClients.add(item.event.client.id);
              await this.applyLive(item, options, counts, refuse);
            }
          }
          counts.members = members.size;
          hooks.onProgress?.(through, counts);
        } catch (err) {
          failed = true;
          throw err;
        } finally {
          allow();
        }
      })();
      done.catch(() => undefined);
      return { ready, done, restarting };
    };

    let batch: Validated[] = [];
    let invoices = 0;
    let line = 0;
    /**
     * Clients with an event in this batch that isn't a payment: the batch applies such events
     * after its payments, so a later payment of theirs waits for the next batch (a chargeback
     * must take its spend back before the next payment's tier decision, as it would live).
     */
    const appliedLast = new Set<string>();
    /** Their event ids: a payment reusing one must meet it first, as live, to be told the id is taken. */
    const appliedLastIds = new Set<string>();
    let last: ReturnType<typeof flush> = { ready: Promise.resolve(), done: Promise.resolve(), restarting: new Promise<void>(() => {}) };
    let beforeLast = last;
    /** Hands the batch over (see `flush`); false once a batch has failed: read no further. */
    const handOver = async (through: number): Promise<boolean> => {
      // Read and validate the next batch while this one is written: the database and this
      // process work at the same time, and the next batch plans while this one writes.
      // Two batches in flight at most: the one committing and the one planning.
      await Promise.all([last.ready, beforeLast.done.catch(() => undefined)]);
      if (failed) return false;
      beforeLast = last;
      last = flush(batch, through, last);
      batch = [];
      invoices = 0;
      appliedLast.clear();
      appliedLastIds.clear();
      return true;
    };
    for await (const row of rows) {
      counts.rows++;
      const before = line;
      line = row.endLine ?? row.line;
      const item = this.validate(row, options);
      if (item === 'skipped') counts.skipped++;
      else if ('reasons' in item) await refuse(item);
      else {
        const paid = item.event.type === 'invoice.paid';
        if (paid && (appliedLast.has(item.event.client.id) || appliedLastIds.has(item.event.id)) && !(await handOver(before))) break;
        batch.push(item);
        if (paid) invoices++;
        else {
          appliedLast.add(item.event.client.id);
          appliedLastIds.add(item.event.id);
        }
        if (invoices >= batchSize && !(await handOver(line))) break;
      }
    }
    await last.done;
    await flush(batch, line, last).done;
    if (!options.dryRun) {
      for (const id of (await this.db.repos.members.idsByPanelClientIds([...liveClients])).values()) touched.set(id, 1);
      counts.expired = await this.expirePast(touched.keys(), (done) => hooks.onExpiry?.(done, touched.size));
    }
    const snapshot = await this.deps.snapshot();
    const tiers: Record<string, number> = {};
    for (const tierId of finalTiers.all()) {
      const name = tierOf(snapshot, tierId)?.name ?? String(tierId);
      tiers[name] = (tiers[name] ?? 0) + 1;
    }
    return { ...counts, tiers, dryRun: options.dryRun ?? false };
  }

  private validate(row: HistoryRow, options: BackfillOptions): Validated | Refusal | 'skipped' {
    if ('problems' in row) return { line: row.line, ...(row.id !== undefined && { id: row.id }), reasons: row.problems };
    const id = typeof (row.json as { id?: unknown } | null)?.id === 'string' ? String((row.json as { id: string }).id) : undefined;
    // As the webhook does, before the schema and the body hash recurse into it.
    const tooDeep = depthProblem(row.json);
    if (tooDeep) return { line: row.line, ...(id !== undefined && { id }), reasons: [tooDeep] };
    const parsed = parseCanonicalEvent(row.json, this.deps.clock());
    if (!parsed.ok) {
      return { line: row.line, ...(id !== undefined && { id }), reasons: row.problemOf ? parsed.fields.map(row.problemOf) : parsed.fields };
    }
    if (options.since && parsed.event.occurredAt < options.since) return 'skipped';
    return { line: row.line, event: parsed.event, payload: JSON.stringify(row.json), bodyHash: EventService.bodyHash(row.json) };
  }

  /** One batch: its first payments set-based in one transaction, then anything else through the live path. */
  private async importBatch(batch: Validated[], options: BackfillOptions, carried: Map<string, MemberState> | undefined, link: BatchLink): Promise<BatchResult> {
    const paid = batch.filter((v) => v.event.type === 'invoice.paid');
    const others = batch.filter((v) => v.event.type !== 'invoice.paid');
    const snapshot = await this.deps.snapshot();
    // Events the live path applies after the batch commits must apply before the next batch.
    const result =
      paid.length === 0
        ? emptyResult()
        : carried
          ? await this.plan(this.db.repos, paid, options, snapshot, this.db.now(), carried)
          : await this.writePaid(paid, options, snapshot, others.length === 0 && this.overlaps() ? link : { ...link, allowNext: () => {} });
    // Deferred payments and other events keep their order in the file.
    result.deferred = [...result.deferred, ...others].sort((a, b) => a.line - b.line);
    return result;
  }

  /**
   * Whether batches overlap. SQLite has one writer and one connection here: a next batch would
   * only hold the connection a restarting batch needs.
   */
  private overlaps(): boolean {
    return this.db.dialect !== 'sqlite';
  }

  private async writePaid(paid: Validated[], options: BackfillOptions, snapshot: ProgramSnapshot, link: BatchLink): Promise<BatchResult> {
    const clientIds = [...new Set(paid.map((v) => v.event.client.id))];
    let entered = 0;
    for (let attempt = 1; ; attempt++) {
      // Read through the pool before the transaction: member ids never change, and the
      // transaction's first statement must be the lock, so its reads see what committed before.
      const known = await this.db.repos.members.idsByPanelClientIds(clientIds);
      try {
        return await this.db.transaction(async (tx) => {
          // A second start (a deadlock or a duplicate retried) releases our locks: a next batch
          // that took them meanwhile must roll back and wait for us (see `writeAfterPrevious`).
          if (++entered > 1) link.restarted();
          const accounts = await MemberAccount.lockMany(tx, [...known.values()]);
          return this.plan(tx.repos, paid, options, snapshot, tx.now, undefined, {
            tx,
            accounts,
            allowNext: link.allowNext,
            afterPrevious: () => writeAfterPrevious(link.previous),
          });
        });
      } catch (err) {
        if (err instanceof PreviousRestarted) {
          // Our writes are rolled back; the previous batch goes first, then we start over.
          await link.previous.done;
          attempt--;
          continue;
        }
        // A live delivery enrolled a client or wrote an event of this batch meanwhile: start over.
        if (isDuplicateKey(err) && attempt < MAX_DUPLICATE_RETRIES) continue;
        // SQLite beside a sidecar in another process: its commits keep refusing our write (the
        // transaction retried a few times already); back off and start over a while longer.
        if (isRetryable(err) && attempt < MAX_BUSY_RETRIES) {
          await new Promise((r) => setTimeout(r, 20 + Math.random() * 30 * attempt));
          continue;
        }
        throw err;
      }
    }
  }

  /**
   * Decides every payment of the batch in file order, then (with `write`) writes it all. A dry
   * run reads through the pool and carries each member's state from batch to batch instead.
   */
  private async plan(
    repos: Tx['repos'],
    paid: Validated[],
    options: BackfillOptions,
    snapshot: ProgramSnapshot,
    now: Date,
    carried?: Map<string, MemberState>,
    write?: { tx: Tx; accounts: MemberAccount[]; allowNext: () => void; afterPrevious: () => Promise<void> },
  ): Promise<BatchResult> {
    const { program, tiers } = snapshot;
    const source = this.deps.source;
    const result = emptyResult();
    const refusals = result.refusals;

    // 1. Members: their state as the database (or a dry run's earlier batches) left it.
    const states = new Map<string, MemberState>();
    const accounts = write?.accounts ?? [];
    const clients = [...new Set(paid.map((v) => v.event.client.id))];
    if (write) {
      for (const a of accounts) states.set(a.member.panelClientId, fresh(a.member.panelClientId, a));
      // Enrolled once a payment of theirs is decided (step 3): live enrols nobody for a refused one.
      for (const clientId of clients) if (!states.has(clientId)) states.set(clientId, fresh(clientId, null));
    } else {
      const unseen = clients.filter((c) => !carried?.has(c));
      const found = new Map((await repos.members.findMany([...(await repos.members.idsByPanelClientIds(unseen)).values()])).map((m) => [m.panelClientId, m]));
      for (const clientId of clients) {
        const prior = carried?.get(clientId);
        if (prior) states.set(clientId, prior);
        else {
          const member = found.get(clientId);
          const state = fresh(clientId, null, member);
          states.set(clientId, state);
          carried?.set(clientId, state);
        }
      }
    }
    const existing = [...states.values()].filter((s) => s.memberId !== null && !s.loaded).map((s) => s.memberId as number);
    await loadStates(repos, snapshot, now, existing, states);

    // 2. Duplicates: events already in the inbox, invoices already paid.
    const inInbox = await repos.events.bodyHashes(
      source,
      paid.map((v) => v.event.id),
    );
    const pairs = paid
      .map((v) => ({ memberId: states.get(v.event.client.id)?.memberId ?? null, invoiceId: (v.event.invoice as NonNullable<BillingEvent['invoice']>).id }))
      .filter((p): p is { memberId: number; invoiceId: string } => p.memberId !== null);
    const invoiceRows = new Map((await repos.invoices.findMany(pairs)).map((r) => [`${r.memberId}\u0000${r.invoiceId}`, r]));

    // 3. Each payment in file order, as the live path would take them one by one.
    const planned: PlannedInvoice[] = [];
    const seenIds = new Map<string, string>();
    /** Invoices paid earlier in this batch, and their currency. */
    const paidNow = new Map<string, string>();
    /** Members with a payment left to the live path: their later payments follow it there, in file order (first-purchase bonus, tier). */
    const goneLive = new Set<MemberState>();
    const months = windowMonths(now);
    for (const item of paid) {
      const { event } = item;
      const invoice = event.invoice as NonNullable<BillingEvent['invoice']>;
      const state = states.get(event.client.id) as MemberState;
      if (goneLive.has(state)) {
        result.deferred.push(item);
        continue;
      }
      const firstHash = inInbox.get(event.id) ?? seenIds.get(event.id);
      if (firstHash !== undefined) {
        if (firstHash === item.bodyHash || (options.rereadFromPanel && inInbox.has(event.id))) result.counts.duplicates = (result.counts.duplicates ?? 0) + 1;
        else refusals.push({ line: item.line, id: event.id, reasons: [{ path: 'id', message: 'was already used for a different event body' }] });
        continue;
      }
      const key = `${state.memberId ?? state.clientId}\u0000${invoice.id}`;
      const row = state.memberId === null ? undefined : invoiceRows.get(key);
      // Recorded before, or paid earlier in this batch under another event id.
      const recorded = row?.currency ?? paidNow.get(key);
      if (recorded !== undefined && recorded !== invoice.currency) {
        refusals.push({ line: item.line, id: event.id, reasons: [{ path: 'invoice.currency', message: `must be ${recorded}, the currency invoice ${invoice.id} was recorded in` }] });
        continue;
      }
      seenIds.set(event.id, item.bodyHash);
      if (row?.paidAt || paidNow.has(key)) {
        // Paid already (live, or earlier in this file under another event id): a duplicate, recorded as live records it.
        result.counts.duplicates = (result.counts.duplicates ?? 0) + 1;
        planned.push({ item, state, outcome: { points: 0, detail: 'already_paid' }, invoice: null, credits: [] });
        continue;
      }
      if (row) {
        // A refund, chargeback or reversal came first: the live path reconciles the payment with it.
        seenIds.delete(event.id);
        if (options.award === 'tiers-only') {
          refusals.push({
            line: item.line,
            id: event.id,
            reasons: [{ path: 'invoice.id', message: 'has a refund or reversal recorded before this payment: import it with --award points, or send it live' }],
          });
        } else {
          result.deferred.push(item);
          goneLive.add(state);
        }
        continue;
      }
      const decided = decideFirstPayment(item.event, state, options.award, snapshot, now, months);
      if ('refused' in decided) {
        // As live refuses it: nothing written, the id not taken.
        seenIds.delete(event.id);
        refusals.push({ line: item.line, id: event.id, reasons: [decided.refused] });
        continue;
      }
      paidNow.set(key, invoice.currency);
      planned.push({ item, state, ...decided });
    }

    // New clients are enrolled by their first payment decided, with what it says of them, as
    // live enrols them (a dry run counts them once, in the batch that would).
    const joining = new Map<MemberState, ClientInfo>();
    for (const p of planned) if (p.state.memberId === null && !p.state.joined && !joining.has(p.state)) joining.set(p.state, p.item.event.client);
    for (const s of joining.keys()) s.joined = true;
    if (write) {
      const enrolled = new Map((await MemberAccount.enrolMany(write.tx, [...joining.values()])).map((a) => [a.member.panelClientId, a]));
      for (const s of joining.keys()) {
        s.account = enrolled.get(s.clientId) as MemberAccount;
        s.memberId = s.account.member.id;
      }
    }

    const imported = planned.filter((p) => p.invoice !== null);
    result.counts.invoices = imported.length;
    result.counts.enrolled = joining.size;
    result.counts.points = imported.reduce((s, p) => s + p.outcome.points, 0);
    for (const p of imported) result.members.push(p.state.memberId ?? p.state.clientId);
    for (const st of states.values()) if (st.memberId !== null) result.touched.push(st.memberId);
    for (const s of states.values()) if (s.tierChangedTo !== undefined) result.tiers.set(s.memberId ?? s.clientId, s.tierChangedTo);
    if (!write) {
      result.counts.tierChanges = [...states.values()].reduce((n, s) => n + s.changes.length, 0);
      // A dry run can't tell what would expire without the lots: count the credits past their expiry.
      result.counts.expired = imported.flatMap((p) => p.credits).filter((c) => c.expiresAt !== null && c.expiresAt <= now).reduce((s, c) => s + c.points, 0);
      for (const s of states.values()) s.changes = [];
      return result;
    }

    // 4. Writes: a few multi-row statements for the whole batch. Everything is decided and the
    // members stay locked until the commit, so the next batch may lock and plan meanwhile: on
    // a member it shares with this one it waits at the lock and then reads what this one wrote.
    // It writes only once this one has committed: its inserts' gap locks would otherwise hold
    // up this one's, while it waits for this one (a wait no deadlock detector sees). A payment
    // left to the live path must apply first, so then the next batch waits for the end.
    const { tx } = write;
    if (result.deferred.length === 0) write.allowNext();
    await write.afterPrevious();
    const inboxIds = await tx.repos.events.insertManyWithOutcome(
      source,
      planned.map((p) => ({
        externalId: p.item.event.id,
        type: p.item.event.type,
        occurredAt: p.item.event.occurredAt,
        bodyHash: p.item.bodyHash,
        payload: p.item.payload,
        receivedAt: tx.now,
        memberId: p.state.memberId as number,
        outcome: 'applied',
        points: p.outcome.points,
        detail: p.outcome.detail,
      })),
    );
    await tx.repos.invoices.insertMany(
      imported.map((p) => {
        const inv = p.invoice as NonNullable<PlannedInvoice['invoice']>;
        return {
          memberId: p.state.memberId as number,
          invoiceId: inv.id,
          values: { number: inv.number, currency: inv.currency, totalMinor: inv.totalMinor, earnedPoints: p.outcome.points, paidAt: inv.paidAt, qualifyingMinor: inv.qualifyingMinor },
        };
      }),
      tx.now,
    );
    for (const p of imported) {
      const inv = p.invoice as NonNullable<PlannedInvoice['invoice']>;
      await this.deps.upgrades.link(tx, p.state.memberId as number, p.item.event.invoice as NonNullable<BillingEvent['invoice']>, inv.paidAt);
    }
    await MemberAccount.creditMany(
      tx,
      imported.flatMap((p) => p.credits.map((c) => ({ account: p.state.account as MemberAccount, credit: { ...c, eventId: inboxIds.get(p.item.event.id) } }))),
    );
    await tx.repos.tiers.addSpendMany(
      imported.map((p) => {
        const inv = p.invoice as NonNullable<PlannedInvoice['invoice']>;
        return { memberId: p.state.memberId as number, month: monthKey(inv.paidAt), deltaMinor: inv.qualifyingMinor };
      }),
    );
    const touched = [...new Set(planned.map((p) => p.state))];
    const changes = touched.flatMap((s) => s.changes.map((c) => ({ ...c, memberId: s.memberId as number, createdAt: tx.now })));
    const changeIds = await tx.repos.tiers.recordChangesMany(changes);
    result.counts.tierChanges = changes.length;
    if (program.tierDiscountMethod === 'client_tier') {
      // The panel needs only the tier each member ends in, not every step on the way.
      const last = new Map<number, { tierId: number; changeId: number }>();
      changes.forEach((c, i) => last.set(c.memberId, { tierId: c.toTierId, changeId: changeIds[i] as number }));
      for (const [memberId, { tierId, changeId }] of last) {
        const state = touched.find((s) => s.memberId === memberId) as MemberState;
        const tier = tierOf(snapshot, tierId);
        if (tier) await tx.repos.outbox.enqueue('client.tier', { clientId: state.clientId, tier: tier.name }, `client-tier:${changeId}`, tx.now);
      }
    }
    await MemberAccount.setTiersMany(
      tx,
      touched.map((s) => ({
        account: s.account as MemberAccount,
        tierId: s.tierId,
        belowSince: s.belowSince,
        recheckAt: tierRecheckAt({ tiers, tierId: s.tierId, belowSince: s.belowSince, spendByMonth: months.map((m) => ({ month: m, amountMinor: s.spend.get(m) ?? 0 })) }),
      })),
    );
    return result;
  }

  /**
   * Points past their natural expiry, taken as the expiry job takes them, once every event of
   * the file has applied: live, a refund in the file would have reached its lot before the job
   * ran, so it takes its points back from the lot, not from the balance. A few hundred members
   * a transaction. A run killed here leaves the rest to the next run, or to the daily job.
   */
  private async expirePast(memberIds: Iterable<number>, progress: (membersDone: number) => void): Promise<number> {
    let expired = 0;
    let done = 0;
    let chunk: number[] = [];
    const expire = async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const members = await this.db.transaction((tx) => MemberAccount.expireMany(tx, chunk, tx.now));
          for (const e of members.values()) expired += e.points;
          break;
        } catch (err) {
          // SQLite beside a sidecar in another process, as in `writePaid`.
          if (!isRetryable(err) || attempt >= MAX_BUSY_RETRIES) throw err;
          await new Promise((r) => setTimeout(r, 20 + Math.random() * 30 * attempt));
        }
      }
      done += chunk.length;
      chunk = [];
      progress(done);
    };
    for (const id of memberIds) {
      chunk.push(id);
      if (chunk.length === EXPIRY_CHUNK) await expire();
    }
    if (chunk.length > 0) await expire();
    return expired;
  }

  /** An event the batch path leaves to the live path: applied exactly as a webhook delivery would be. */
  private async applyLive(item: Validated, options: BackfillOptions, counts: BackfillCounts, refuse: (r: Refusal) => Promise<void>): Promise<void> {
    if (options.award === 'tiers-only' && item.event.type !== 'invoice.paid' && !TAKE_BACK_TYPES.has(item.event.type)) {
      counts.leftOut++;
      return;
    }
    if (options.dryRun) {
      counts.live++;
      return;
    }
    try {
      const answer = await this.deps.events.ingest(this.deps.source, item.event, JSON.parse(item.payload) as unknown);
      if (answer.outcome === 'duplicate') counts.duplicates++;
      else counts.live++;
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      if (options.rereadFromPanel && err.code === 'event_id_conflict') {
        counts.duplicates++;
        return;
      }
      await refuse({ line: item.line, id: item.event.id, reasons: err.fields?.length ? err.fields : [{ path: '', message: err.message }] });
    }
  }
}

/** How a batch follows the one before it (`run` overlaps the two; see `plan`). */
interface BatchLink {
  /** Lets the next batch start. */
  allowNext: () => void;
  /** Tells the next batch that this one started its transaction over. */
  restarted: () => void;
  previous: { done: Promise<void>; restarting: Promise<void> };
}

class PreviousRestarted extends Error {}

/**
 * Holds a batch's writes until the previous batch has committed, so batches commit in file
 * order and nothing commits after a batch that failed. If the previous one started over, its
 * locks were released and maybe taken by us: roll back, so it doesn't wait on us while we wait on it.
 */
async function writeAfterPrevious(previous: BatchLink['previous']): Promise<void> {
  const first = await Promise.race([previous.done.then(() => 'done' as const), previous.restarting.then(() => 'restarted' as const)]);
  if (first === 'restarted') throw new PreviousRestarted('the previous batch started over');
}

/**
 * A positive number per member, in a typed array indexed by member id: a million-invoice import
 * touches 100,000 members, and a Set and a Map of their client ids were a tenth of the memory
 * budget. A dry run's clients not enrolled yet (no id) go to a map, as its carried states do.
 */
class PerMember {
  private values = new Int32Array(1024);
  private readonly byClient = new Map<string, number>();
  size = 0;

  set(key: number | string, value: number): void {
    if (typeof key === 'string') {
      if (!this.byClient.has(key)) this.size++;
      this.byClient.set(key, value);
      return;
    }
    if (key >= this.values.length) {
      const grown = new Int32Array(Math.max(key + 1, this.values.length * 2));
      grown.set(this.values);
      this.values = grown;
    }
    if (this.values[key] === 0) this.size++;
    this.values[key] = value;
  }

  *all(): Iterable<number> {
    for (const v of this.values) if (v !== 0) yield v;
    yield* this.byClient.values();
  }

  /** The member ids set, in id order (not a dry run's client ids). */
  *keys(): Iterable<number> {
    for (let id = 0; id < this.values.length; id++) if (this.values[id] !== 0) yield id;
  }
}

function emptyResult(): BatchResult {
  return { counts: {}, members: [], tiers: new Map(), touched: [], deferred: [], refusals: [] };
}
