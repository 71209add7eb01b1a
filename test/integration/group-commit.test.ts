import type { Knex } from 'knex';
import { windowMonths } from '../../plugin/domain/tiers';
import { createLogger } from '../../plugin/logger';
import { EventService } from '../../plugin/services/event-service';
import { MemberAccount } from '../../plugin/services/member-account';
import { expectBalancesConsistent, invoicePaid, invoiceRefunded, startTestApp, tableCounts, type TestApp } from '../support/harness';

/**
 * Issue 14: concurrent `invoice.paid` deliveries share transactions (a group commit) and are
 * decided set-based. Whatever shares a transaction, each delivery's answer and every row it
 * leaves must be what applying the same deliveries one at a time, in the same order, gives.
 */
type Answer = { outcome?: string; points?: number; detail?: string; first_outcome?: string } | { status: number; code: string };

async function answers(app: TestApp, events: Array<Record<string, unknown>>, together: boolean): Promise<Answer[]> {
  const one = (e: Record<string, unknown>) =>
    app.plugin.ingest(e).then(
      ({ outcome, points, detail, first_outcome }) => ({ outcome, points, detail, first_outcome }),
      (err: { status: number; code: string }) => ({ status: err.status, code: err.code }),
    );
  if (together) return Promise.all(events.map(one));
  const out: Answer[] = [];
  for (const e of events) out.push(await one(e));
  return out;
}

/** Every row an event can leave, by member's panel client id, without ids or the clock's instants. */
async function state(app: TestApp): Promise<Record<string, unknown>> {
  const k = app.plugin.db.knex;
  const members = new Map(((await k('loyalty_members').select('id', 'panel_client_id')) as Array<{ id: number; panel_client_id: string }>).map((m) => [Number(m.id), m.panel_client_id]));
  const who = (r: { member_id: number }) => members.get(Number(r.member_id));
  const sorted = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).sort();
  return {
    members: sorted(
      await k('loyalty_members').select('panel_client_id', 'points_available', 'points_pending', 'points_lifetime', 'tier_id', 'tier_below_since', 'tier_recheck_at'),
    ),
    ledger: sorted(((await k('loyalty_ledger').select('member_id', 'delta', 'kind', 'reason_code', 'rule', 'reference')) as Array<{ member_id: number }>).map((r) => ({ ...r, member_id: who(r) }))),
    lots: sorted(((await k('loyalty_lots').select('member_id', 'points', 'remaining', 'pending', 'available_at', 'expires_at')) as Array<{ member_id: number }>).map((r) => ({ ...r, member_id: who(r) }))),
    invoices: sorted(
      ((await k('loyalty_invoices').select('member_id', 'invoice_id', 'currency', 'total_minor', 'earned_points', 'paid_at', 'qualifying_minor', 'refunded_minor')) as Array<{ member_id: number }>).map(
        (r) => ({ ...r, member_id: who(r) }),
      ),
    ),
    spend: sorted(((await k('loyalty_spend_months').select('member_id', 'month', 'amount_minor')) as Array<{ member_id: number }>).map((r) => ({ ...r, member_id: who(r) }))),
    inbox: sorted(await k('loyalty_events').select('external_id', 'outcome', 'points', 'detail')),
    tierChanges: sorted(
      ((await k('loyalty_tier_changes').select('member_id', 'from_tier_id', 'to_tier_id', 'reason', 'qualifying_minor')) as Array<{ member_id: number }>).map((r) => ({ ...r, member_id: who(r) })),
    ),
    outbox: sorted(await k('loyalty_outbox').select('action', 'payload')),
  };
}

/** One client's rows, as `state` gives them, and the inbox rows of its events (ids `gc:<client suffix>:…`). */
async function clientState(app: TestApp, clientId: string): Promise<Record<string, unknown>> {
  const all = await state(app);
  const mine = (rows: unknown) => (rows as string[]).filter((r) => r.includes(`"member_id":"${clientId}"`) || r.includes(`"panel_client_id":"${clientId}"`));
  const events = (all.inbox as string[]).filter((r) => r.includes(`"external_id":"gc:${clientId.replace(/^gc-/, '')}:`));
  return { ...Object.fromEntries(Object.entries(all).map(([table, rows]) => [table, mine(rows)])), inbox: events };
}

/** Each batch's [events, committed, alone], as its debug line tells them. */
function batchesDone(logged: ReadonlyArray<Record<string, unknown>>): number[][] {
  return logged.filter((l) => l.msg === 'payments batch done').map((l) => [l.events, l.committed, l.alone] as number[]);
}

describe('group commit of payments', () => {
  let batched: TestApp;
  let alone: TestApp;
  const logged: Array<Record<string, unknown>> = [];
  /**
   * Two batches of one: one committed, the other rolled back and went alone (which logs first is
   * a race between that commit and that rollback); none failed, and the balances agree.
   */
  const expectOneCommittedOneAlone = async () => {
    expect(batchesDone(logged).sort()).toEqual([
      [1, 0, 1],
      [1, 1, 0],
    ]);
    expect(logged.filter((l) => l.msg === 'a batch of payments failed; applying each alone')).toEqual([]);
    await expectBalancesConsistent(batched.plugin);
  };
  beforeAll(async () => {
    const logger = createLogger('debug', { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
    [batched, alone] = await Promise.all([startTestApp({ logger }), startTestApp({ config: { ingestBatchMax: 1 } })]);
  });
  afterAll(() => Promise.all([batched.close(), alone.close()]));

  it('answers and writes exactly what one delivery at a time in the same order does', async () => {
    const seed = invoicePaid({ id: 'gc:seed:1', client: { id: 'gc-a' }, invoice: { id: 'GA-0', total: '300.00', items: [] } });
    for (const app of [batched, alone]) {
      await app.plugin.services.program.update({ refund_window_days: 14, tier_discount_method: 'cashback' });
      for (const r of await app.plugin.db.repos.rules.all()) if (r.type === 'first_purchase') await app.plugin.services.program.setRuleActive(r.id, true);
      // Known members with history (points past their refund window, still pending), one with a
      // refund recorded before its payment, one whose invoice is recorded in another currency.
      for (const e of [
        seed,
        invoicePaid({ id: 'gc:seed:2', client: { id: 'gc-b' }, invoice: { id: 'GB-0', total: '50.00', items: [] } }),
        { id: 'gc:seed:3', type: 'invoice.refunded', occurred_at: '2026-11-22T10:00:00Z', client: { id: 'gc-b' }, invoice: { id: 'GB-R', currency: 'USD', total: '80.00', refunded: '20.00' } },
        { id: 'gc:seed:4', type: 'invoice.refunded', occurred_at: '2026-11-22T10:00:00Z', client: { id: 'gc-c' }, invoice: { id: 'GC-E', currency: 'EUR', total: '80.00', refunded: '10.00' } },
      ]) {
        await app.plugin.ingest(e);
      }
      // Past the seeds' refund window: their points are due for release when the batch locks them.
      app.clock.advance(20 * 86_400_000);
    }
    const pay = (id: string, client: string, invoice: string, total: string, extra: Record<string, unknown> = {}) =>
      invoicePaid({ id, client: { id: client }, invoice: { id: invoice, total, items: [{ id: `${invoice}-1`, type: 'renewal', service_id: '77', amount: total }] }, ...extra });
    const events = [
      // The first two find the queue idle and go at once; the rest wait and share a transaction.
      pay('gc:1', 'gc-warm-1', 'W1', '10.00'),
      pay('gc:2', 'gc-warm-2', 'W2', '10.00'),
      pay('gc:3', 'gc-a', 'GA-1', '150.00'), // crosses into Silver
      pay('gc:4', 'gc-a', 'GA-2', '100.00'), // earns at Silver's multiplier
      pay('gc:5', 'gc-new', 'GN-1', '40.00'), // enrolled in the batch, first purchase
      pay('gc:6', 'gc-new', 'GN-2', '2500.00'), // Bronze to Gold in one payment
      pay('gc:7', 'gc-new', 'GN-3', '20.00'),
      pay('gc:8', 'gc-a', 'GA-1', '150.00'), // the same invoice under another id: already paid
      pay('gc:4', 'gc-a', 'GA-2', '100.00'), // the same delivery twice: a duplicate
      seed, // delivered before: a duplicate
      pay('gc:9', 'gc-b', 'GB-R', '80.00'), // a refund came first: applied with it
      pay('gc:10', 'gc-c', 'GC-E', '80.00'), // another currency than recorded: refused
      pay('gc:3', 'gc-a', 'GA-1', '151.00'), // an id reused for another body: a conflict
      pay('gc:11', 'gc-b', 'GB-1', '0.50'), // below one point
      ...Array.from({ length: 12 }, (_, i) => pay(`gc:m:${i}`, `gc-m-${i % 4}`, `GM-${i}`, `${(i + 1) * 45}.00`)),
    ];
    logged.length = 0;
    const [together, oneByOne] = await Promise.all([answers(batched, events, true), answers(alone, events, false)]);
    expect(together).toEqual(oneByOne);
    expect(together.slice(7, 14)).toEqual([
      expect.objectContaining({ outcome: 'applied', points: 0, detail: 'already_paid' }),
      expect.objectContaining({ outcome: 'duplicate', first_outcome: 'applied' }),
      expect.objectContaining({ outcome: 'duplicate', first_outcome: 'applied' }),
      expect.objectContaining({ outcome: 'applied', detail: 'earlier_refund_applied' }),
      { status: 422, code: 'validation_failed' },
      { status: 409, code: 'event_id_conflict' },
      expect.objectContaining({ outcome: 'applied', points: 0, detail: 'below_one_point' }),
    ]);
    expect(await state(batched)).toEqual(await state(alone));
    await expectBalancesConsistent(batched.plugin);
    // They did share: the waiting deliveries went in one transaction, the undecidable ones alone after it.
    const batches = logged.filter((l) => l.msg === 'payments batch done').map((l) => l.events as number);
    expect(Math.max(...batches)).toBeGreaterThanOrEqual(events.length - 2);
  });

  it("enrols a new client once when their first order's invoices are paid at once, without failing a batch", async () => {
    logged.length = 0;
    // The first starts a batch at once, the second the other batch in flight: both find the client new.
    const events = [1, 2, 3, 4].map((n) => invoicePaid({ id: `gc:new:${n}`, client: { id: 'gc-first-order' }, invoice: { id: `GFO-${n}`, total: '10.00', items: [] } }));
    const answers = await Promise.all(events.map((e) => batched.plugin.ingest(e)));
    expect(answers.map((a) => a.outcome)).toEqual(events.map(() => 'applied'));
    const member = await batched.plugin.db.repos.members.findByPanelClientId('gc-first-order');
    expect(member?.pointsLifetime).toBe(answers.reduce((sum, a) => sum + a.points, 0));
    expect(logged.filter((l) => l.msg === 'a batch of payments failed; applying each alone')).toEqual([]);
    const members = (await batched.plugin.db.knex('loyalty_members').where({ panel_client_id: 'gc-first-order' }).count({ n: '*' }).first()) as { n: unknown };
    expect(Number(members.n)).toBe(1);
    await expectBalancesConsistent(batched.plugin);
  });

  it("doesn't read the inbox for a payment alone in its batch; a redelivery of it is still a duplicate, and a changed body a conflict", async () => {
    const first = invoicePaid({ id: 'gc:lone:1', client: { id: 'gc-lone' }, invoice: { id: 'GL-1', total: '10.00', items: [] } });
    await batched.plugin.ingest(first);
    const lone = invoicePaid({ id: 'gc:lone:2', client: { id: 'gc-lone' }, invoice: { id: 'GL-2', total: '20.00', items: [] } });
    const sql: string[] = [];
    const onQuery = (q: { sql: string }) => void sql.push(q.sql);
    batched.plugin.db.knex.on('query', onQuery);
    let applied;
    try {
      applied = await batched.plugin.ingest(lone);
    } finally {
      batched.plugin.db.knex.off('query', onQuery);
    }
    expect(applied).toMatchObject({ outcome: 'applied', points: 20 });
    expect(sql.filter((q) => /from [`"]?loyalty_events/i.test(q))).toEqual([]);
    // Nor its invoice: the invoice row's insert tells one already there. (The member's standing
    // purchases are read, for the first-purchase bonus: by member, not this invoice's id.)
    expect(sql.filter((q) => /from [`"]?loyalty_invoices/i.test(q) && /invoice_id/i.test(q))).toEqual([]);

    logged.length = 0;
    const before = await tableCounts(batched.plugin);
    expect(await batched.plugin.ingest(lone)).toEqual({ event: lone.id, outcome: 'duplicate', first_outcome: 'applied', points: 20 });
    await expect(batched.plugin.ingest({ ...lone, invoice: { ...lone.invoice, total: '21.00' } })).rejects.toMatchObject({ status: 409, code: 'event_id_conflict' });
    expect(await tableCounts(batched.plugin)).toEqual(before);
    expect(logged.filter((l) => l.msg === 'a batch of payments failed; applying each alone')).toEqual([]);
    await expectBalancesConsistent(batched.plugin);
  });

  it('takes alone a lone payment whose invoice the member has already, and answers and writes as one-at-a-time does', async () => {
    const client = { id: 'gc-known' };
    const events = [
      invoicePaid({ id: 'gc:known:1', client, invoice: { id: 'K-1' } }),
      // The same invoice under another id: already paid.
      invoicePaid({ id: 'gc:known:2', client, invoice: { id: 'K-1' } }),
      // A refund that overtook its payment: the invoice's row is there, unpaid.
      invoiceRefunded('K-2', '30.00', { id: 'gc:known:r', client }),
      invoicePaid({ id: 'gc:known:3', client, invoice: { id: 'K-2' } }),
      // Paid again in another currency than recorded.
      invoicePaid({ id: 'gc:known:4', client, invoice: { id: 'K-1', currency: 'EUR' } }),
    ];
    logged.length = 0;
    // One at a time, so each payment is alone in its batch.
    const got = await answers(batched, events, false);
    expect(got).toEqual(await answers(alone, events, false));
    expect(got).toEqual([
      expect.objectContaining({ outcome: 'applied', points: expect.any(Number) }),
      expect.objectContaining({ outcome: 'applied', points: 0, detail: 'already_paid' }),
      expect.objectContaining({ outcome: 'applied' }),
      expect.objectContaining({ outcome: 'applied', detail: 'earlier_refund_applied' }),
      expect.objectContaining({ status: 422 }),
    ]);
    // (The refused payment left no row.)
    const rows = await clientState(batched, client.id);
    expect(rows).toEqual(await clientState(alone, client.id));
    expect([rows.members, rows.invoices, rows.inbox].map((r) => (r as unknown[]).length)).toEqual([1, 2, 4]);
    // The three payments of a known invoice each rolled back their batch and went alone.
    expect(batchesDone(logged)).toEqual([
      [1, 1, 0],
      [1, 0, 1],
      [1, 0, 1],
      [1, 0, 1],
    ]);
    expect(logged.filter((l) => l.msg === 'a batch of payments failed; applying each alone')).toEqual([]);
    await expectBalancesConsistent(batched.plugin);
  });

  it('keeps the number each payment sent, in a shared batch as alone, so a later refund without one is named by it', async () => {
    const numbered = (n: number) => (n % 4 === 3 ? undefined : `NR-2026-${n}`);
    const events = Array.from({ length: 9 }, (_, n) =>
      invoicePaid({ id: `gc:num:${n}`, client: { id: `gc-num-${n % 3}` }, invoice: { id: `GNUM-${n}`, ...(numbered(n) && { number: numbered(n) }), total: '40.00', items: [] } }),
    );
    logged.length = 0;
    const [together, oneByOne] = await Promise.all([answers(batched, events, true), answers(alone, events, false)]);
    expect(together).toEqual(oneByOne);
    // In `batched` most of them shared a transaction (its multi-row insert); in `alone` each wrote its own row.
    expect(Math.max(...batchesDone(logged).map(([n]) => n ?? 0))).toBeGreaterThan(1);
    for (const app of [batched, alone]) {
      const k = app.plugin.db.knex;
      for (const [n, e] of events.entries()) await app.plugin.ingest(invoiceRefunded(`GNUM-${n}`, '10.00', { id: `gc:num:refund:${n}`, client: e.client, invoice: { total: '40.00' } }));
      const reversals = (await k('loyalty_ledger').where({ kind: 'reverse' }).andWhere('reference', 'like', 'invoice:GNUM-%').select('reference', 'reason_params')) as Array<{ reference: string; reason_params: string }>;
      expect(Object.fromEntries(reversals.map((r) => [r.reference, (JSON.parse(r.reason_params) as { invoice: string }).invoice]))).toEqual(
        Object.fromEntries(events.map((_, n) => [`invoice:GNUM-${n}`, numbered(n) ?? `GNUM-${n}`])),
      );
      // Where it was kept: the row each payment wrote (a refund that sends none leaves it).
      const rows = (await k('loyalty_invoices').where('invoice_id', 'like', 'GNUM-%').select('invoice_id', 'display_number')) as Array<{ invoice_id: string; display_number: string | null }>;
      expect(Object.fromEntries(rows.map((r) => [r.invoice_id, r.display_number]))).toEqual(Object.fromEntries(events.map((_, n) => [`GNUM-${n}`, numbered(n) ?? null])));
      await expectBalancesConsistent(app.plugin);
    }
  });

  it('pays an invoice once when two ids pay it at once, each alone in one of the two batches in flight', async () => {
    const client = { id: 'gc-pair' };
    await batched.plugin.ingest(invoicePaid({ id: 'gc:pair:seed', client, invoice: { id: 'GP-0', total: '1.00', items: [] } }));
    logged.length = 0;
    const before = await tableCounts(batched.plugin);
    const pay = (id: string) => batched.plugin.ingest(invoicePaid({ id, client, invoice: { id: 'GP-1', total: '30.00', items: [] } }));
    const got = await Promise.all([pay('gc:pair:a'), pay('gc:pair:b')]);
    expect(got.map((a) => [a.points, a.detail ?? null]).sort()).toEqual([
      [0, 'already_paid'],
      [30, null],
    ]);
    const after = await tableCounts(batched.plugin);
    // Two inbox rows (two events), one invoice, one entry and its lot.
    const added = (table: keyof typeof after) => after[table] - before[table];
    expect([added('loyalty_events'), added('loyalty_invoices'), added('loyalty_ledger'), added('loyalty_lots')]).toEqual([2, 1, 1, 1]);
    // Both batches were of one; the second found the invoice there after waiting for the member, and went alone.
    await expectOneCommittedOneAlone();
  });

  it('applies once an id delivered twice at once, each copy alone in one of the two batches in flight', async () => {
    await batched.plugin.ingest(invoicePaid({ id: 'gc:twin:seed', client: { id: 'gc-twin' }, invoice: { id: 'GT-0', total: '1.00', items: [] } }));
    logged.length = 0;
    const before = await tableCounts(batched.plugin);
    const twin = invoicePaid({ id: 'gc:twin:1', client: { id: 'gc-twin' }, invoice: { id: 'GT-1', total: '30.00', items: [] } });
    // Nothing else is in flight: the first copy starts a batch, the second the other one, and the second waits for the member.
    const answers = await Promise.all([batched.plugin.ingest(twin), batched.plugin.ingest(twin)]);
    expect(answers.map((a) => a.outcome).sort()).toEqual(['applied', 'duplicate']);
    expect(answers.map((a) => a.points)).toEqual([30, 30]);
    const after = await tableCounts(batched.plugin);
    expect([after.loyalty_events - before.loyalty_events, after.loyalty_ledger - before.loyalty_ledger, after.loyalty_invoices - before.loyalty_invoices]).toEqual([1, 1, 1]);
    // Each copy was alone in its batch; the second's rolled back and went alone (its inbox row was there).
    await expectOneCommittedOneAlone();
  });

  it('gives a payment that fails in the database its own error, and applies the others', async () => {
    const app = batched;
    const k = app.plugin.db.knex;
    if (app.db.dialect === 'sqlite') {
      await k.raw(`CREATE TRIGGER gc_fault BEFORE INSERT ON loyalty_invoices WHEN NEW.invoice_id = 'GC-BAD' BEGIN SELECT RAISE(ABORT, 'injected fault'); END`);
    } else {
      await k.raw(
        `CREATE TRIGGER gc_fault BEFORE INSERT ON loyalty_invoices FOR EACH ROW BEGIN IF NEW.invoice_id = 'GC-BAD' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected fault'; END IF; END`,
      );
    }
    try {
      const before = await tableCounts(app.plugin);
      logged.length = 0;
      const events = Array.from({ length: 10 }, (_, i) =>
        invoicePaid({ id: `gc:fault:${i}`, client: { id: `gc-f-${i % 3}` }, invoice: { id: i === 5 ? 'GC-BAD' : `GF-${i}`, total: '100.00', items: [] } }),
      );
      const results = await Promise.allSettled(events.map((e) => app.plugin.ingest(e)));
      expect(results.map((r) => r.status)).toEqual(events.map((_, i) => (i === 5 ? 'rejected' : 'fulfilled')));
      expect(String((results[5] as PromiseRejectedResult).reason)).toContain('injected fault');
      for (const r of results) if (r.status === 'fulfilled') expect(r.value.outcome).toBe('applied');
      const after = await tableCounts(app.plugin);
      expect(after.loyalty_events - before.loyalty_events).toBe(9);
      expect(after.loyalty_invoices - before.loyalty_invoices).toBe(9);
      expect(await k('loyalty_events').where({ external_id: 'gc:fault:5' }).first()).toBeUndefined();
      // The batch it was in failed and went again one by one.
      expect(logged.some((l) => l.msg === 'a batch of payments failed; applying each alone')).toBe(true);
      await expectBalancesConsistent(app.plugin);
      // Once the fault is gone, the panel's retry applies it.
      await dropTrigger(k);
      expect(await app.plugin.ingest(events[5] as Record<string, unknown>)).toMatchObject({ outcome: 'applied' });
    } finally {
      await dropTrigger(k);
    }
  });
});

describe('payments a batch must leave to go alone', () => {
  let batched: TestApp;
  let alone: TestApp;
  beforeAll(async () => {
    [batched, alone] = await Promise.all([startTestApp(), startTestApp({ config: { ingestBatchMax: 1 } })]);
  });
  afterAll(() => Promise.all([batched.close(), alone.close()]));

  /**
   * Each event's answer, sent all at once to the batching app and one at a time to the other.
   * The first two are other clients' payments: they take both transactions in flight, so the
   * rest wait and go as one batch.
   */
  async function bothWays(events: Array<Record<string, unknown>>): Promise<{ together: unknown[]; oneByOne: unknown[] }> {
    const outcome = (app: TestApp) => (e: Record<string, unknown>) =>
      app.plugin.ingest(e).then(
        (r) => `${r.outcome}/${r.points}${r.detail ? `/${r.detail}` : ''}`,
        (err: { status: number }) => err.status,
      );
    const together = await Promise.all(events.map(outcome(batched)));
    const oneByOne: unknown[] = [];
    for (const e of events) oneByOne.push(await outcome(alone)(e));
    return { together, oneByOne };
  }
  const pay = (id: string, client: string, invoice: string, total: string, currency = 'USD') =>
    invoicePaid({ id, client: { id: client }, invoice: { id: invoice, currency, total, items: [{ type: 'renewal', amount: total }] } });

  it('refuses a second payment of an invoice in another currency, as one at a time does', async () => {
    const { together, oneByOne } = await bothWays([pay('cur:warm:1', 'cw-1', 'CW1', '1.00'), pay('cur:warm:2', 'cw-2', 'CW2', '1.00'), pay('cur:1', 'cx', 'X-1', '50.00'), pay('cur:2', 'cx', 'X-1', '50.00', 'EUR')]);
    expect(oneByOne[3]).toBe(422);
    expect(together).toEqual(oneByOne);
    expect(await batched.plugin.db.knex('loyalty_events').where({ external_id: 'cur:2' }).first()).toBeUndefined();
  });

  it("keeps a member's later payments after one that goes alone (a refund came before it)", async () => {
    const refundFirst = { id: 'ord:refund', type: 'invoice.refunded', occurred_at: '2026-11-22T10:00:00Z', client: { id: 'ord-m' }, invoice: { id: 'R', currency: 'USD', total: '800.00', refunded: '100.00' } };
    for (const app of [batched, alone]) {
      for (const r of await app.plugin.db.repos.rules.all()) if (r.type === 'first_purchase') await app.plugin.services.program.setRuleActive(r.id, true);
      await app.plugin.ingest(refundFirst);
    }
    // R alone takes the first-purchase bonus and lifts the member to Silver, so P earns at Silver's rate.
    const { together, oneByOne } = await bothWays([pay('ord:warm:1', 'ow-1', 'OW1', '1.00'), pay('ord:warm:2', 'ow-2', 'OW2', '1.00'), pay('ord:1', 'ord-m', 'R', '800.00'), pay('ord:2', 'ord-m', 'P', '100.00')]);
    expect(together).toEqual(oneByOne);
    const balance = async (app: TestApp) => (await app.plugin.db.repos.members.findByPanelClientId('ord-m'))?.pointsAvailable;
    expect(await balance(batched)).toBe(await balance(alone));
  });
});

// SQLite has one writer: a transaction never waits for a member's lock there.
(process.env.TEST_DATABASE_URL ? describe : describe.skip)('a batch waiting for a member held by another transaction', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('reads the spend and pending lots that transaction committed, not what was there before it waited', async () => {
    for (const c of ['gw-a', 'gw-b']) await app.plugin.ingest(invoicePaid({ id: `gw:${c}`, client: { id: c }, invoice: { id: `${c}-1`, total: '10.00', items: [] } }));
    const k = app.plugin.db.knex;
    const [a, b] = ((await k('loyalty_members').whereIn('panel_client_id', ['gw-a', 'gw-b']).orderBy('id').select('id')) as Array<{ id: number }>).map((r) => Number(r.id));
    const months = windowMonths(app.clock.now());
    // Another unit of work holds b, and adds to its spend and a pending lot due by now.
    const other = await k.transaction();
    try {
      await other('loyalty_members').where({ id: b }).forUpdate().select('id');
      await other('loyalty_spend_months').where({ member_id: b }).increment('amount_minor', 50_000);
      await other('loyalty_lots').where({ member_id: b }).update({ pending: true, available_at: new Date(app.clock.now().getTime() - 1000) });
      // The batch locks a (free), then waits for b.
      const held = app.plugin.db.transaction((tx) => MemberAccount.lockManyWithSpend(tx, [b as number, a as number], months));
      await waitForLockWait(k);
      await other.commit();
      const [forA, forB] = await held;
      expect(forA?.account.member.id).toBe(a);
      expect(forA?.spend).toEqual([{ month: months[0], amountMinor: 1000 }]);
      expect(forA?.releaseDue).toBe(false);
      expect(forB?.spend).toEqual([{ month: months[0], amountMinor: 51_000 }]);
      expect(forB?.releaseDue).toBe(true);
    } finally {
      if (!other.isCompleted()) await other.rollback();
    }
  });
});

(process.env.TEST_DATABASE_URL ? describe : describe.skip)('a batch waiting for a member whose holder commits a redelivered id', () => {
  let app: TestApp;
  const logged: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    const logger = createLogger('debug', { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
    app = await startTestApp({ logger });
  });
  afterAll(() => app.close());

  it('answers the redelivery as a duplicate and commits the others together', async () => {
    const clients = ['ri-held', ...Array.from({ length: 8 }, (_, i) => `ri-${i}`)];
    for (const c of clients) await app.plugin.ingest(invoicePaid({ id: `ri:seed:${c}`, client: { id: c }, invoice: { id: `${c}-0`, total: '1.00', items: [] } }));
    const k = app.plugin.db.knex;
    const held = Number(((await k('loyalty_members').where({ panel_client_id: 'ri-held' }).first('id')) as { id: unknown }).id);
    const redelivered = invoicePaid({ id: 'ri:pay:held', client: { id: 'ri-held' }, invoice: { id: 'ri-held-1', total: '10.00', items: [] } });
    // Another unit of work holds the member while it writes the first delivery of that id.
    const other = await k.transaction();
    try {
      await other('loyalty_members').where({ id: held }).forUpdate().select('id');
      await other('loyalty_events').insert({
        source: 'test',
        external_id: redelivered.id,
        type: 'invoice.paid',
        occurred_at: new Date('2026-11-22T10:15:00Z'),
        body_hash: EventService.bodyHash(redelivered),
        payload: JSON.stringify(redelivered),
        member_id: held,
        outcome: 'applied',
        points: 10,
        received_at: new Date(),
      });
      logged.length = 0;
      // Two payments take both transactions in flight; the rest wait and go as one batch.
      const warm = [0, 1].map((i) => app.plugin.ingest(invoicePaid({ id: `ri:warm:${i}`, client: { id: `ri-warm-${i}` }, invoice: { id: `ri-warm-${i}`, total: '1.00', items: [] } })));
      const others = clients.slice(1).map((c) => app.plugin.ingest(invoicePaid({ id: `ri:pay:${c}`, client: { id: c }, invoice: { id: `${c}-1`, total: '10.00', items: [] } })));
      const redelivery = app.plugin.ingest(redelivered);
      await Promise.all(warm);
      await waitForLockWait(k);
      await other.commit();
      const answers = await Promise.all([...others, redelivery]);
      expect(answers.map((a) => a.outcome)).toEqual([...Array(8).fill('applied'), 'duplicate']);
      expect(logged.filter((l) => l.msg === 'a batch of payments failed; applying each alone')).toEqual([]);
      expect(batchesDone(logged)).toContainEqual([9, 8, 1]);
    } finally {
      if (!other.isCompleted()) await other.rollback();
    }
  });
});

/** Until a statement of this database locking members is running (waiting, as nothing else runs). */
async function waitForLockWait(k: Knex): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const [rows] = (await k.raw(
      "select count(*) as n from information_schema.processlist where db = database() and command = 'Query' and info like 'select%loyalty_members%for update'",
    )) as [Array<{ n: number }>];
    if (Number(rows[0]?.n) > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no statement waited for the lock');
}

async function dropTrigger(k: Knex): Promise<void> {
  await k.raw('DROP TRIGGER IF EXISTS gc_fault');
}
