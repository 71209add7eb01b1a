import type { HostingRewardsPlugin } from '../../plugin/index';
import { BackfillService, type BackfillCounts, type BackfillSummary, type HistoryRow } from '../../plugin/services/backfill-service';
import { expectBalancesConsistent, startTestApp, tableCounts, TestClock, type TestApp } from '../support/harness';
import { historyEvents, type HistoryOptions } from '../support/history';
import type { WireEvent } from '../support/events';

/**
 * The backfill's "previous batch restarted" path (`BackfillService.writePaid`,
 * `writeAfterPrevious`, `PreviousRestarted`). On MariaDB two batches overlap: batch N+1 locks
 * and plans once batch N has locked and decided, then waits for N to commit before it writes.
 * If N's transaction starts over (here: a duplicate-key error in the middle of its writes, as
 * a concurrent live enrolment gives), N+1 must roll back, wait for N, and start over. Whatever
 * happens, the import ends exactly as the same history imported without a fault: the same
 * rows, the same summary, nothing twice, batches committed in file order.
 *
 * How the path is forced:
 * - The fault is a trigger on `loyalty_invoices` that raises errno 1062 (what mysql2 reports
 *   as `errno: 1062`, which `isDuplicateKey` recognises, so `writePaid` retries the batch) the
 *   first time one invoice of batch N is inserted: after N's inbox rows are written, so the
 *   rollback has something to undo. Its counters live in a MyISAM table, which the rollback
 *   of the failing transaction does not undo, so it fires once and we can read that it did.
 * - Timing is made deterministic, not slept for: batch N's first attempt holds its writes
 *   (after its locks and decisions, as `plan` already lets the next batch start) until batch
 *   N+1 is either waiting for N in `writeAfterPrevious` (no member shared) or waiting on N's
 *   row lock in InnoDB (a member shared), seen in InnoDB's monitor (SHOW ENGINE INNODB STATUS).
 * - The path is observed by wrapping `plan`'s `afterPrevious` callback (jest.spyOn on the
 *   prototype; nothing in the plugin changes): each batch attempt's wait for the previous
 *   batch is logged with how it ended, so "N+1 got PreviousRestarted and went again" is seen.
 *
 * On SQLite batches never overlap (`overlaps()` is false: one connection, one writer), so the
 * next batch can't be restarted. The SQLite variant makes batch N's invoice insert fail once
 * with SQLite's duplicate-key code, thrown from that attempt's repository (an SQLite trigger
 * can't fire only once, whatever it records is rolled back with the statement, and its RAISE
 * is SQLITE_CONSTRAINT_TRIGGER, which the backfill rightly doesn't retry), and checks N starts
 * over alone, the next batch never does, and the end state is the fault-free one.
 */

const onMysql = Boolean(process.env.TEST_DATABASE_URL);
const BATCH = 3;
const INVOICES = 30;
/** The batch (0-based) whose transaction starts over: its neighbours on both sides exist. */
const FAULT_BATCH = 3;
/** The invoice in the middle of that batch (history invoice n is `${tag}-${n + 1}`). */
const FAULT_N = FAULT_BATCH * BATCH + 1;
const program = { refund_window_days: 0, points_expiry_months: 12 };

type Row = Record<string, unknown>;

/** Every row a backfill writes, keyed by panel client id, tier name and event id instead of row ids. */
async function dump(plugin: HostingRewardsPlugin): Promise<Record<string, string[]>> {
  const k = plugin.db.knex;
  const members = new Map(((await k('loyalty_members').select('id', 'panel_client_id')) as Row[]).map((r) => [Number(r.id), String(r.panel_client_id)]));
  const tiers = new Map(((await k('loyalty_tiers').select('id', 'name')) as Row[]).map((r) => [Number(r.id), String(r.name)]));
  const events = new Map(((await k('loyalty_events').select('id', 'external_id')) as Row[]).map((r) => [Number(r.id), String(r.external_id)]));
  const ledger = new Map(
    ((await k('loyalty_ledger').select('id', 'member_id', 'kind', 'reference', 'delta')) as Row[]).map((r) => [Number(r.id), `${members.get(Number(r.member_id))}/${r.kind}/${r.reference}/${r.delta}`]),
  );
  const changes = new Map(
    ((await k('loyalty_tier_changes').select('id', 'member_id', 'to_tier_id')) as Row[]).map((r) => [Number(r.id), `${members.get(Number(r.member_id))}>${tiers.get(Number(r.to_tier_id))}`]),
  );
  const ref = (map: Map<number, string>, v: unknown) => (v === null || v === undefined ? null : (map.get(Number(v)) ?? `missing:${String(v)}`));
  const normalise = (row: Row): string => {
    const out: Row = {};
    for (const [key, v] of Object.entries(row)) {
      // Row ids differ (a rolled-back attempt uses up auto-increment values); referral codes are random.
      if (key === 'id' || key === 'referral_code') continue;
      if (key === 'member_id') out[key] = ref(members, v);
      else if (key.endsWith('tier_id')) out[key] = ref(tiers, v);
      else if (key === 'event_id') out[key] = ref(events, v);
      else if (key === 'ledger_id') out[key] = ref(ledger, v);
      else if (key === 'idempotency_key' && typeof v === 'string' && /^client-tier:\d+$/.test(v)) out[key] = `client-tier:${ref(changes, v.slice('client-tier:'.length))}`;
      else out[key] = v instanceof Date ? v.toISOString() : Buffer.isBuffer(v) ? v.toString('hex') : v;
    }
    return JSON.stringify(out);
  };
  const tables = ['loyalty_members', 'loyalty_events', 'loyalty_ledger', 'loyalty_lots', 'loyalty_invoices', 'loyalty_spend_months', 'loyalty_tier_changes', 'loyalty_outbox', 'loyalty_services', 'loyalty_member_history'];
  const out: Record<string, string[]> = {};
  for (const t of tables) out[t] = ((await k(t).select('*')) as Row[]).map(normalise).sort();
  return out;
}

/** Attempts of one batch's transaction that reached the wait for the previous batch, and how each wait ended. */
interface Attempt {
  batch: number;
  attempt: number;
  /** `writing`: the previous batch committed, this attempt writes; otherwise the error its wait threw. */
  wait: 'writing' | { error: string; message: string };
}

type PlanFn = (...args: unknown[]) => Promise<unknown>;
interface PlanWrite {
  tx: { repos: { invoices: { insertMany: (...a: unknown[]) => Promise<unknown> } } };
  afterPrevious: () => Promise<void>;
}

interface Fault {
  /** MariaDB: how the next batch's first attempt was seen to wait before batch N went on to write. */
  gate?: 'next batch waits for this one to commit' | 'next batch waits on this one\'s row lock' | 'timed out';
}

/**
 * Wraps `plan` for one run: logs every attempt's wait for the previous batch; on MariaDB holds
 * batch N's first attempt before it writes until batch N+1 waits on it; on SQLite makes batch
 * N's first invoice insert fail with a duplicate key.
 */
function instrument(app: TestApp, tag: string): { attempts: Attempt[]; fault: Fault; restore: () => void } {
  const attempts: Attempt[] = [];
  const fault: Fault = {};
  const seen = new Map<number, number>();
  const waits = new Map<number, number>();
  let nextWaits = () => {};
  const nextWaiting = new Promise<void>((resolve) => (nextWaits = resolve));
  const proto = BackfillService.prototype as unknown as { plan: PlanFn };
  const original = proto.plan;
  const batchOf = (paid: unknown): number => {
    const id = (paid as Array<{ event: { invoice?: { id: string } } }>)[0]?.event.invoice?.id ?? '';
    expect(id.startsWith(`${tag}-`)).toBe(true);
    return Math.floor((Number(id.slice(tag.length + 1)) - 1) / BATCH);
  };
  /**
   * Batch N+1 queued on batch N's row lock: InnoDB's monitor shows a transaction waiting for a
   * lock on this database's members. (Not information_schema.innodb_trx: MariaDB refreshes
   * that view only once nobody read it for 0.1 s, so a poll keeps seeing a stale one.)
   */
  const dbName = decodeURIComponent(new URL(app.db.url).pathname.slice(1));
  const lockWaiting = async (): Promise<boolean> => {
    const [rows] = (await app.plugin.db.knex.raw('SHOW ENGINE INNODB STATUS')) as [Array<{ Status: string }>];
    return (rows[0]?.Status ?? '').split('---TRANSACTION').some((t) => t.includes('TRX HAS BEEN WAITING') && t.includes(`of table \`${dbName}\`.\`loyalty_members\``));
  };
  const holdUntilNextWaits = async (): Promise<NonNullable<Fault['gate']>> => {
    let waited: NonNullable<Fault['gate']> | undefined;
    void nextWaiting.then(() => (waited ??= 'next batch waits for this one to commit'));
    for (const deadline = Date.now() + 20_000; waited === undefined && Date.now() < deadline; ) {
      if (await lockWaiting()) waited ??= 'next batch waits on this one\'s row lock';
      else await new Promise((r) => setTimeout(r, 25));
    }
    return waited ?? 'timed out';
  };
  const spy = jest.spyOn(proto, 'plan').mockImplementation(async function (this: unknown, ...args: unknown[]) {
    const write = args[6] as PlanWrite | undefined;
    // A dry run's plan: nothing to watch.
    if (!write) return original.apply(this, args);
    const batch = batchOf(args[1]);
    const attempt = (seen.get(batch) ?? 0) + 1;
    seen.set(batch, attempt);
    if (!onMysql && batch === FAULT_BATCH && attempt === 1) {
      // After the inbox rows of the batch are written: the invoices' insert fails as a unique key would.
      const invoices = write.tx.repos.invoices;
      invoices.insertMany = () => Promise.reject(Object.assign(new Error('injected duplicate'), { code: 'SQLITE_CONSTRAINT_UNIQUE' }));
    }
    const afterPrevious = async () => {
      // Numbered by the waits: an attempt can end before it (a new client's enrolment meets
      // the previous batch's, which enrolled them too, and starts over once that one commits).
      const attempt = (waits.get(batch) ?? 0) + 1;
      waits.set(batch, attempt);
      if (batch === FAULT_BATCH + 1 && attempt === 1) nextWaits();
      try {
        await write.afterPrevious();
      } catch (err) {
        attempts.push({ batch, attempt, wait: { error: (err as Error).constructor.name, message: (err as Error).message } });
        throw err;
      }
      if (onMysql && batch === FAULT_BATCH && attempt === 1) fault.gate = await holdUntilNextWaits();
      attempts.push({ batch, attempt, wait: 'writing' });
    };
    return original.apply(this, [...args.slice(0, 6), { ...write, afterPrevious }]);
  });
  return { attempts, fault, restore: () => spy.mockRestore() };
}

/** On MariaDB: a duplicate-key error raised once, the first time `invoiceId` is inserted, counted where a rollback can't undo it. */
async function installFault(app: TestApp, invoiceId: string): Promise<() => Promise<{ seen: number; fired: number }>> {
  const k = app.plugin.db.knex;
  await k.raw('CREATE TABLE bf_fault (invoice_id VARCHAR(64) PRIMARY KEY, seen INT NOT NULL DEFAULT 0, fired INT NOT NULL DEFAULT 0) ENGINE=MyISAM');
  await k.raw('INSERT INTO bf_fault (invoice_id) VALUES (?)', [invoiceId]);
  await k.raw(
    `CREATE TRIGGER bf_fault BEFORE INSERT ON loyalty_invoices FOR EACH ROW BEGIN
       IF EXISTS (SELECT 1 FROM bf_fault WHERE invoice_id = NEW.invoice_id) THEN
         UPDATE bf_fault SET seen = seen + 1 WHERE invoice_id = NEW.invoice_id;
         IF (SELECT fired FROM bf_fault WHERE invoice_id = NEW.invoice_id) = 0 THEN
           UPDATE bf_fault SET fired = 1 WHERE invoice_id = NEW.invoice_id;
           SIGNAL SQLSTATE '23000' SET MYSQL_ERRNO = 1062, MESSAGE_TEXT = 'injected duplicate';
         END IF;
       END IF;
     END`,
  );
  return async () => {
    await k.raw('DROP TRIGGER IF EXISTS bf_fault');
    const [rows] = (await k.raw('SELECT seen, fired FROM bf_fault')) as [Array<{ seen: unknown; fired: unknown }>];
    return { seen: Number(rows[0]?.seen), fired: Number(rows[0]?.fired) };
  };
}

async function newApp(clock: TestClock): Promise<TestApp> {
  const app = await startTestApp({ clock, program });
  // Rules the history exercises besides the base rate: a first-purchase and a renewal bonus.
  for (const r of await app.plugin.db.repos.rules.all()) if (r.type === 'first_purchase' || r.type === 'renewal_bonus') await app.plugin.services.program.setRuleActive(r.id, true);
  return app;
}

async function* rows(events: WireEvent[]): AsyncIterable<HistoryRow> {
  for (const [i, json] of events.entries()) yield { line: i + 1, json };
}

async function runBackfill(app: TestApp, events: WireEvent[]): Promise<{ summary: BackfillSummary; progress: Array<[number, BackfillCounts]> }> {
  const progress: Array<[number, BackfillCounts]> = [];
  const summary = await app.plugin.services.backfill.run(rows(events), { award: 'points', batchSize: BATCH }, { onProgress: (lines, counts) => progress.push([lines, { ...counts }]) });
  return { summary, progress };
}

/**
 * Imports `history` with batch N failing once mid-write, and the same history into another
 * database without a fault; returns both for the caller's checks of how it got there.
 */
async function scenario(history: Omit<HistoryOptions, 'now'>, check: (r: { attempts: Attempt[]; fault: Fault; counters?: { seen: number; fired: number } }) => void): Promise<void> {
  const clock = new TestClock();
  const events = [...historyEvents({ ...history, now: clock.now() })];
  const faultInvoice = events[FAULT_N]?.invoice?.id as string;
  const [reference, faulted] = [await newApp(clock), await newApp(clock)];
  try {
    const expected = await runBackfill(reference, events);
    await expectBalancesConsistent(reference.plugin);
    // The history means something: several batches, expired points, tier changes, bonuses.
    expect(expected.summary).toMatchObject({ rows: INVOICES, invoices: INVOICES, members: history.clients, enrolled: history.clients, duplicates: 0, refused: 0 });
    expect(expected.summary.expired).toBeGreaterThan(0);
    expect(expected.summary.tierChanges).toBeGreaterThan(0);
    expect(expected.progress.length).toBe(INVOICES / BATCH);

    const counters = onMysql ? await installFault(faulted, faultInvoice) : undefined;
    const probe = instrument(faulted, history.tag as string);
    let got: Awaited<ReturnType<typeof runBackfill>>;
    let fired: { seen: number; fired: number } | undefined;
    try {
      got = await runBackfill(faulted, events);
    } finally {
      probe.restore();
      fired = await counters?.();
    }

    // The same summary, the same progress reported batch by batch in file order (but for the
    // rows read so far: the reader runs ahead of the batches, as far as timing lets it), the same rows.
    expect(got.summary).toEqual(expected.summary);
    const committed = (progress: Array<[number, BackfillCounts]>) => progress.map(([lines, { rows: _ahead, ...counts }]) => [lines, counts]);
    expect(committed(got.progress)).toEqual(committed(expected.progress));
    expect(await dump(faulted.plugin)).toEqual(await dump(reference.plugin));
    // Invariant 2, and nothing doubled: one invoice row and one inbox row per event, and what
    // each invoice's payment credited is what its row says it earned.
    await expectBalancesConsistent(faulted.plugin);
    const k = faulted.plugin.db.knex;
    const inbox = ((await k('loyalty_events').orderBy('id').select('external_id')) as Row[]).map((r) => String(r.external_id));
    // Batches committed in file order: inbox ids grow with the file.
    expect(inbox).toEqual(events.map((e) => e.id));
    const invoices = (await k('loyalty_invoices').select('member_id', 'invoice_id', 'earned_points')) as Row[];
    expect(invoices.map((r) => r.invoice_id).sort()).toEqual(events.map((e) => e.invoice?.id).sort());
    for (const inv of invoices) {
      const credited = (await k('loyalty_ledger').where({ member_id: inv.member_id, reference: `invoice:${String(inv.invoice_id)}` }).andWhere('delta', '>', 0).sum({ s: 'delta' }).first()) as Row | undefined;
      expect([inv.invoice_id, Number(credited?.s ?? 0)]).toEqual([inv.invoice_id, Number(inv.earned_points)]);
    }

    // Invariant 1: the same history again adds nothing.
    const counts = await tableCounts(faulted.plugin);
    const again = await runBackfill(faulted, events);
    expect(again.summary).toMatchObject({ invoices: 0, duplicates: INVOICES, enrolled: 0, points: 0, tierChanges: 0 });
    expect(await tableCounts(faulted.plugin)).toEqual(counts);

    check({ attempts: probe.attempts, fault: probe.fault, counters: fired });
  } finally {
    await Promise.all([reference.close(), faulted.close()]);
  }
}

const restarted = { error: 'PreviousRestarted', message: 'the previous batch started over' };
const of = (attempts: Attempt[], batch: number) => attempts.filter((a) => a.batch === batch).map(({ attempt, wait }) => ({ attempt, wait }));

/** The fault fired once; batch N started over; batch N+1, seen waiting as `gate` says, was told so and went again; the batches before went once. */
function expectRestartedAfter(gate: NonNullable<Fault['gate']>): Parameters<typeof scenario>[1] {
  return ({ attempts, fault, counters }) => {
    expect(counters).toEqual({ seen: 2, fired: 1 });
    expect(fault.gate).toBe(gate);
    expect(of(attempts, FAULT_BATCH)).toEqual([
      { attempt: 1, wait: 'writing' },
      { attempt: 2, wait: 'writing' },
    ]);
    expect(of(attempts, FAULT_BATCH + 1)).toEqual([
      { attempt: 1, wait: restarted },
      { attempt: 2, wait: 'writing' },
    ]);
    for (let b = 0; b < FAULT_BATCH; b++) expect(of(attempts, b)).toEqual([{ attempt: 1, wait: 'writing' }]);
  };
}

(onMysql ? describe : describe.skip)('backfill on MariaDB: a batch that starts over mid-write restarts the batch after it', () => {
  it('when the next batch shares no member with it: the next batch, waiting to write, rolls back and goes again after it', async () => {
    // 12 clients, 3 invoices a batch: batch 3 is clients 10-12 (enrolled by it), batch 4 clients 1-3.
    await scenario({ clients: 12, invoices: INVOICES, days: 500, seed: 21, tag: 'rs' }, expectRestartedAfter('next batch waits for this one to commit'));
  }, 180_000);

  it('when the next batch shares members with it: the next batch, queued on its lock, takes it at the rollback, then rolls back and goes again after it', async () => {
    // 4 clients, 3 invoices a batch: batch 3 is clients 2-4, batch 4 clients 1-3.
    await scenario({ clients: 4, invoices: INVOICES, days: 500, seed: 22, tag: 'rm' }, expectRestartedAfter("next batch waits on this one's row lock"));
  }, 180_000);
});

(onMysql ? describe.skip : describe)('backfill on SQLite: a batch that starts over mid-write', () => {
  it('starts over alone (batches never overlap here), and the import ends as without the fault', async () => {
    await scenario({ clients: 12, invoices: INVOICES, days: 500, seed: 21, tag: 'rs' }, ({ attempts }) => {
      expect(of(attempts, FAULT_BATCH)).toEqual([
        { attempt: 1, wait: 'writing' },
        { attempt: 2, wait: 'writing' },
      ]);
      // No batch was ever told to start over, and each other batch wrote once.
      expect(attempts.filter((a) => a.wait !== 'writing')).toEqual([]);
      for (let b = 0; b < INVOICES / BATCH; b++) if (b !== FAULT_BATCH) expect(of(attempts, b)).toEqual([{ attempt: 1, wait: 'writing' }]);
    });
  }, 120_000);
});
