import type { Knex } from 'knex';
import type { Money } from '../../plugin/domain/money';
import { MemberAccount } from '../../plugin/services/member-account';
import { tierDiscountKeys } from '../../plugin/services/tier-discount-service';
import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';

/**
 * Issue 14: the Rewards tab's expiry figures and "saved this year" are sums the database makes
 * from an index, in a fixed number of statements, and they equal the straightforward
 * computation over every lot, invoice and outbox row: with hundreds of lots on one day (more
 * than a capped read of the next lots would see), spent and partly spent lots, pending lots,
 * lots on UTC midnight, and discounts in two currencies, pending, failed or for other years.
 * Expiry days are last days: a deadline at midnight is the day before's (the program's clock is
 * UTC here unless a test sets another).
 */
const DAY = 86_400_000;

/** A small deterministic generator, so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const utcDay = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
/** The last day a deadline leaves on a clock `offset` ms ahead of UTC, named by its midnight UTC. */
const lastDay = (expiresAt: Date, offset = 0) => utcDay(new Date(expiresAt.getTime() - 1 + offset));

describe('Rewards tab sums', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const now = () => app.clock.now();

  /** Credits lots with these expiries (and pending ones until `pendingUntil`), then spends `spend` points FIFO. */
  async function member(clientId: string, lots: Array<{ points: number; expiresAt: Date | null; pending?: boolean }>, spend = 0): Promise<number> {
    return app.plugin.db.transaction(async (tx) => {
      const account = await MemberAccount.enrol(tx, { id: clientId });
      for (const lot of lots) {
        const availableAt = lot.pending ? new Date(tx.now.getTime() + 7 * DAY) : tx.now;
        await account.credit({ kind: 'earn', points: lot.points, reasonCode: 'test', earnedAt: tx.now, availableAt, expiresAt: lot.expiresAt });
      }
      if (spend > 0) await account.spend({ points: spend, reasonCode: 'test' });
      return account.member.id;
    });
  }

  /** What the tab should show, from every lot of the member, its days read on a clock `offset` ms ahead of UTC. */
  async function expected(memberId: number, at: Date, offset = 0) {
    const rows: Array<Record<string, unknown>> = await app.plugin.db.knex('loyalty_lots').where({ member_id: memberId }).select('remaining', 'expires_at');
    const open = rows
      .map((r) => ({ points: Number(r.remaining), expiresAt: r.expires_at === null ? null : new Date(r.expires_at instanceof Date ? r.expires_at.getTime() : Number(r.expires_at)) }))
      .filter((l): l is { points: number; expiresAt: Date } => l.points > 0 && l.expiresAt !== null && l.expiresAt >= at);
    const windowEnd = new Date(at.getTime() + 30 * DAY);
    const inWindow = open.filter((l) => l.expiresAt < windowEnd);
    const byDay = new Map<number, { points: number; first: number }>();
    for (const l of open) {
      const day = lastDay(l.expiresAt, offset).getTime();
      const sum = byDay.get(day) ?? { points: 0, first: Infinity };
      byDay.set(day, { points: sum.points + l.points, first: Math.min(sum.first, l.expiresAt.getTime()) });
    }
    const days = [...byDay].sort((a, b) => a[0] - b[0]).slice(0, 3);
    return {
      points: inWindow.reduce((s, l) => s + l.points, 0),
      firstExpiry: inWindow.length === 0 ? null : new Date(Math.min(...inWindow.map((l) => l.expiresAt.getTime()))),
      upcoming: days.map(([, { points, first }]) => ({ points, expiresAt: new Date(first) })),
      days: days.map(([day]) => new Date(day)),
    };
  }

  /** The statements `fn` sends, with their bindings. */
  async function statements<T>(fn: () => Promise<T>): Promise<{ result: T; sent: Array<{ sql: string; bindings: unknown[] }> }> {
    const sent: Array<{ sql: string; bindings: unknown[] }> = [];
    const onQuery = (q: { sql: string; bindings?: unknown[] }) => sent.push({ sql: q.sql, bindings: q.bindings ?? [] });
    app.plugin.db.knex.on('query', onQuery);
    try {
      return { result: await fn(), sent };
    } finally {
      app.plugin.db.knex.removeListener('query', onQuery);
    }
  }

  async function explain(knex: Knex, q: { sql: string; bindings: unknown[] }): Promise<string[]> {
    if (app.db.dialect === 'sqlite') {
      const rows = (await knex.raw(`EXPLAIN QUERY PLAN ${q.sql}`, q.bindings as Knex.RawBinding[])) as Array<Record<string, unknown>>;
      return rows.map((r) => String(r.detail));
    }
    const [rows] = (await knex.raw(`EXPLAIN ${q.sql}`, q.bindings as Knex.RawBinding[])) as [Array<Record<string, unknown>>];
    return rows.map((r) => `${String(r.table)} ${String(r.type)} ${String(r.key)} ${String(r.Extra)}`);
  }

  it('shows the expiring points and the next expiry days as summed over every lot', async () => {
    const at = now();
    const random = prng(14);
    const busyDay = utcDay(new Date(at.getTime() + 2 * DAY));
    const lots: Array<{ points: number; expiresAt: Date | null; pending?: boolean }> = [
      // Open but past expiry (the job hasn't run): not upcoming.
      ...Array.from({ length: 5 }, (_, i) => ({ points: 7, expiresAt: new Date(at.getTime() - (i + 1) * 3_600_000) })),
      // Exactly now: counted.
      { points: 3, expiresAt: at },
      // Soonest, so spent first (FIFO by expiry): emptied, and one left part-spent.
      ...Array.from({ length: 40 }, (_, i) => ({ points: 10, expiresAt: new Date(at.getTime() + 3_600_000 + i * 60_000) })),
      // 300 lots whose last day is one day, from its first millisecond to the next midnight: more
      // than a capped read sees.
      ...Array.from({ length: 300 }, (_, i) => ({ points: 1 + (i % 17), expiresAt: new Date(busyDay.getTime() + (i === 0 ? 1 : i === 299 ? DAY : 1 + Math.floor(random() * (DAY - 1)))) })),
      // A millisecond after that midnight: the third day, not the busy one.
      { points: 11, expiresAt: new Date(busyDay.getTime() + DAY + 1) },
      // The busy day's own midnight: the day before's.
      { points: 13, expiresAt: busyDay },
      // Spread over the next 60 days, some of them pending.
      ...Array.from({ length: 300 }, () => ({ points: 1 + Math.floor(random() * 50), expiresAt: new Date(at.getTime() + Math.floor(random() * 60 * DAY)), pending: random() < 0.2 })),
      // Never expiring.
      ...Array.from({ length: 10 }, () => ({ points: 5, expiresAt: null })),
    ];
    const spendable = lots.filter((l) => !l.pending).reduce((s, l) => s + l.points, 0);
    const id = await member('sums-expiry', lots, 5 * 7 + 3 + 395);
    expect(spendable).toBeGreaterThan(1000);

    const want = await expected(id, at);
    // The fixture is what it says: the busy day is among the days shown, with all its lots.
    expect(want.days).toContainEqual(busyDay);
    expect(want.upcoming).toHaveLength(3);
    const { result: data, sent } = await statements(() => app.plugin.services.rewards.forClient('sums-expiry'));
    expect(data.expiring.points).toBe(want.points);
    expect(data.expiring.firstExpiry).toEqual(want.firstExpiry);
    expect(data.expiring.upcoming).toEqual(want.upcoming);
    expect(data.expiring.upcoming.map((u) => lastDay(u.expiresAt))).toEqual(want.days);

    // One statement reads the lots for expiry and pending points alike (the member has both).
    // Its expiry reads are range reads of the (member_id, expiring_at, remaining) index, answered
    // from the index alone on MariaDB (SQLite reads the rows in the range too: it doesn't count
    // an index on a VIRTUAL generated column as covering); its pending reads, of the (member_id,
    // pending, available_at, remaining) index alone.
    const lotReads = sent.filter((q) => /loyalty_lots/.test(q.sql));
    expect(lotReads).toHaveLength(1);
    const plan = (await explain(app.plugin.db.knex, lotReads[0]!)).filter((p) => /loyalty_lots/.test(p));
    const expiryLines = plan.filter((line) => line.includes('loyalty_lots_member_expiring_remaining_idx'));
    const pendingLines = plan.filter((line) => line.includes('loyalty_lots_member_pending_remaining_idx'));
    expect(expiryLines.length).toBeGreaterThan(0);
    expect(pendingLines).toHaveLength(2);
    expect(expiryLines.length + pendingLines.length).toBe(plan.length);
    for (const line of expiryLines) {
      if (app.db.dialect === 'sqlite') expect(line).toMatch(/^SEARCH loyalty_lots USING (COVERING )?INDEX loyalty_lots_member_expiring_remaining_idx \(member_id=\? AND expiring_at>/);
      // (The rows of the days shown are grouped by day in a temporary table: a few days' lots.)
      else expect(line).toMatch(/^loyalty_lots range loyalty_lots_member_expiring_remaining_idx Using where; Using index(; Using temporary; Using filesort)?$/);
    }
    for (const line of pendingLines) {
      if (app.db.dialect === 'sqlite') expect(line).toMatch(/^SEARCH loyalty_lots USING COVERING INDEX loyalty_lots_member_pending_remaining_idx \(member_id=\? AND pending=\? AND available_at[<>]/);
      else expect(line).toMatch(/^loyalty_lots range loyalty_lots_member_pending_remaining_idx Using where; Using index$/);
    }
    await expectBalancesConsistent(app.plugin);
  });

  it('shows fewer expiry days when the member has fewer, and none without lots to expire', async () => {
    const at = now();
    const twoDays = await member('sums-two-days', [
      { points: 4, expiresAt: new Date(at.getTime() + 5 * DAY) },
      { points: 6, expiresAt: new Date(at.getTime() + 5 * DAY + 1000) },
      { points: 9, expiresAt: new Date(at.getTime() + 90 * DAY) },
      { points: 2, expiresAt: null },
    ]);
    const data = await app.plugin.services.rewards.forClient('sums-two-days');
    expect(data.expiring.upcoming).toEqual((await expected(twoDays, at)).upcoming);
    expect(data.expiring.upcoming.map((u) => u.points)).toEqual([10, 9]);
    expect(data.expiring.points).toBe(10);

    await member('sums-never', [{ points: 8, expiresAt: null }]);
    const never = await app.plugin.services.rewards.forClient('sums-never');
    expect(never.expiring).toEqual({ points: 0, firstExpiry: null, withinDays: 30, upcoming: [] });
    await expectBalancesConsistent(app.plugin);
  });

  it("sums the expiry days by last day on the program's clock", async () => {
    const at = now();
    const HOUR = 3_600_000;
    // Tokyo is 9 hours ahead of UTC all year: its midnight before D is 15:00 UTC on D - 1.
    const tokyoMidnight = new Date(utcDay(new Date(at.getTime() + 3 * DAY)).getTime() - 9 * HOUR);
    const tokyo = await member('sums-tokyo', [
      { points: 1, expiresAt: new Date(tokyoMidnight.getTime() - HOUR) },
      // At Tokyo's midnight: the day before is the last.
      { points: 2, expiresAt: tokyoMidnight },
      { points: 4, expiresAt: new Date(tokyoMidnight.getTime() + 1) },
      // UTC's midnight is 09:00 in Tokyo: the same Tokyo day as the one before.
      { points: 8, expiresAt: new Date(tokyoMidnight.getTime() + 9 * HOUR) },
      { points: 16, expiresAt: new Date(tokyoMidnight.getTime() + DAY + 1) },
    ]);
    await app.plugin.services.program.update({ time_zone: 'Asia/Tokyo' });
    try {
      const data = await app.plugin.services.rewards.forClient('sums-tokyo');
      expect(data.timeZone).toBe('Asia/Tokyo');
      const want = await expected(tokyo, at, 9 * HOUR);
      expect(data.expiring.upcoming).toEqual(want.upcoming);
      expect(data.expiring.upcoming.map((u) => u.points)).toEqual([3, 12, 16]);

      // New York across the start of summer time (8 March 2027): its midnights are 05:00 UTC
      // now and 04:00 UTC from then on, and each month's end is still the month's last day.
      await app.plugin.services.program.update({ time_zone: 'America/New_York' });
      await member('sums-new-york', [
        { points: 1, expiresAt: new Date('2027-02-01T05:00:00Z') },
        // 16:00 on 31 March in New York, and its midnight: one last day.
        { points: 8, expiresAt: new Date('2027-03-31T20:00:00Z') },
        { points: 2, expiresAt: new Date('2027-04-01T04:00:00Z') },
        { points: 4, expiresAt: new Date('2027-05-01T04:00:00Z') },
      ]);
      const ny = await app.plugin.services.rewards.forClient('sums-new-york');
      expect(ny.expiring.upcoming.map((u) => [u.points, u.expiresAt.toISOString()])).toEqual([
        [1, '2027-02-01T05:00:00.000Z'],
        [10, '2027-03-31T20:00:00.000Z'],
        [4, '2027-05-01T04:00:00.000Z'],
      ]);
    } finally {
      await app.plugin.services.program.update({ time_zone: 'UTC' });
    }
    await expectBalancesConsistent(app.plugin);
  });

  it('shows pending points past their window as released and the rest by release date, as summed over every pending lot', async () => {
    const start = now();
    const id = await app.plugin.db.transaction(async (tx) => {
      const account = await MemberAccount.enrol(tx, { id: 'sums-pending' });
      for (let i = 0; i < 120; i++) {
        // 12 release dates, 10 lots each; half of them pass before the view.
        const availableAt = new Date(start.getTime() + (1 + (i % 12)) * DAY);
        await account.credit({ kind: 'earn', points: 1 + (i % 7), reasonCode: 'test', earnedAt: tx.now, availableAt, expiresAt: null });
      }
      return account.member.id;
    });
    app.clock.advance(6 * DAY + 1000);
    const at = now();
    const rows: Array<Record<string, unknown>> = await app.plugin.db.knex('loyalty_lots').where({ member_id: id, pending: true }).select('remaining', 'available_at');
    const lots = rows.map((r) => ({ points: Number(r.remaining), availableAt: new Date(r.available_at instanceof Date ? r.available_at.getTime() : Number(r.available_at)) }));
    const due = lots.filter((l) => l.availableAt <= at).reduce((sum, l) => sum + l.points, 0);
    const later = new Map<number, number>();
    for (const l of lots.filter((l) => l.availableAt > at)) later.set(l.availableAt.getTime(), (later.get(l.availableAt.getTime()) ?? 0) + l.points);
    const member = (await app.plugin.db.repos.members.findByPanelClientId('sums-pending'))!;
    expect(due).toBeGreaterThan(0);

    const { result: data, sent } = await statements(() => app.plugin.services.rewards.forClient('sums-pending'));
    // Pending and expiry figures come from one statement.
    expect(sent.filter((q) => /loyalty_lots/.test(q.sql))).toHaveLength(1);
    expect(data.balances).toEqual({ available: member.pointsAvailable + due, pending: member.pointsPending - due, lifetime: member.pointsLifetime });
    expect(data.pendingReleases).toEqual([...later].sort((a, b) => a[0] - b[0]).map(([t, points]) => ({ points, availableAt: new Date(t) })));
    expect(data.pendingReleases).toHaveLength(6);
    await expectBalancesConsistent(app.plugin);
  });

  it('sums the tier discounts sent for invoices paid this year, in the same statements however many invoices', async () => {
    const at = now();
    const yearStart = new Date(Date.UTC(at.getUTCFullYear(), 0, 1));
    const id = await member('sums-saved', []);
    const empty = await statements(() => app.plugin.services.rewards.forClient('sums-saved'));
    expect(empty.result.tier.savedThisYear).toEqual([]);

    const random = prng(7);
    // 600 invoices this year, 20 last year, 10 not paid; another member's invoices share no ids.
    const invoices = [
      ...Array.from({ length: 600 }, (_, i) => ({ invoiceId: `S-${i}`, paidAt: new Date(yearStart.getTime() + Math.floor(random() * (at.getTime() - yearStart.getTime()))) })),
      ...Array.from({ length: 20 }, (_, i) => ({ invoiceId: `L-${i}`, paidAt: new Date(yearStart.getTime() - (i + 1) * DAY) })),
      ...Array.from({ length: 10 }, (_, i) => ({ invoiceId: `U-${i}`, paidAt: null })),
      // Paid exactly at the year's start (in) and exactly now (out: [yearStart, now)).
      { invoiceId: 'EDGE-START', paidAt: yearStart },
      { invoiceId: 'EDGE-NOW', paidAt: at },
    ];
    await app.plugin.db.repos.invoices.insertMany(
      invoices.map((inv) => ({ memberId: id, invoiceId: inv.invoiceId, values: { currency: 'USD', totalMinor: 2500, paidAt: inv.paidAt } })),
      at,
    );
    const other = await member('sums-saved-other', []);
    await app.plugin.db.repos.invoices.insertMany([{ memberId: other, invoiceId: 'O-1', values: { currency: 'USD', totalMinor: 2500, paidAt: at } }], at);

    // Discounts: lines in USD, cashback in EUR; sent, pending, failed or cancelled.
    const outbox = app.plugin.db.repos.outbox;
    for (const inv of [...invoices, { invoiceId: 'O-1' }]) {
      const r = random();
      if (r < 0.2) continue;
      const keys = tierDiscountKeys(inv.invoiceId);
      const cashback = r > 0.7;
      const minor = 1 + Math.floor(random() * 500);
      const { entry } = cashback
        ? await outbox.enqueue('client.credit', { clientId: 'sums-saved', amount: { currency: 'EUR', minor }, description: 'cashback' }, keys.cashback, at)
        : await outbox.enqueue('invoice.discount', { invoiceId: inv.invoiceId, amount: { currency: 'USD', minor }, description: 'line' }, keys.line, at);
      const fate = random();
      if (fate < 0.75 || inv.invoiceId.startsWith('EDGE')) await outbox.markSent(entry.id, null, at);
      else if (fate < 0.85) await app.plugin.db.knex('loyalty_outbox').where({ id: entry.id }).update({ state: 'failed' });
      else if (fate < 0.9) await outbox.cancelPending(entry.idempotencyKey, 'test');
    }

    // Straightforward: every sent action keyed by an invoice of this member paid in [yearStart, now), by outbox order.
    const paidThisYear = new Set(invoices.filter((i) => i.paidAt && i.paidAt >= yearStart && i.paidAt < at).map((i) => i.invoiceId));
    const keys = new Set([...paidThisYear].flatMap((i) => Object.values(tierDiscountKeys(i))));
    const rows: Array<Record<string, unknown>> = await app.plugin.db.knex('loyalty_outbox').where({ state: 'sent' }).orderBy('id');
    const sums = new Map<string, number>();
    for (const row of rows.filter((r) => keys.has(String(r.idempotency_key)))) {
      const amount = (JSON.parse(String(row.payload)) as { amount: Money }).amount;
      sums.set(amount.currency, (sums.get(amount.currency) ?? 0) + amount.minor);
    }
    const want = [...sums].map(([currency, minor]) => ({ currency, minor }));
    expect(want.map((m) => m.currency).sort()).toEqual(['EUR', 'USD']);

    const full = await statements(() => app.plugin.services.rewards.forClient('sums-saved'));
    expect(full.result.tier.savedThisYear).toEqual(want);
    // The same statements as with no invoices at all: no key lists, no invoice rows read into
    // the process. (Program and tier caches refill on their own clock, so their reads are left out.)
    const memberReads = (sent: Array<{ sql: string }>) => sent.map((q) => q.sql).filter((sql) => !/loyalty_(tiers|settings|rules)\b/.test(sql));
    expect(memberReads(full.sent)).toEqual(memberReads(empty.sent));
    const join = full.sent.find((q) => /loyalty_outbox/.test(q.sql));
    expect(join).toBeDefined();
    const plan = await explain(app.plugin.db.knex, join!);
    if (app.db.dialect === 'sqlite') {
      expect(plan).toEqual([
        'SEARCH i USING COVERING INDEX loyalty_invoices_member_paid_invoice_idx (member_id=? AND paid_at>? AND paid_at<?)',
        'SEARCH o0 USING INDEX loyalty_outbox_idempotency_key_unique (idempotency_key=?) LEFT-JOIN',
        'SEARCH o1 USING INDEX loyalty_outbox_idempotency_key_unique (idempotency_key=?) LEFT-JOIN',
      ]);
    } else {
      expect(plan[0]).toMatch(/^i range loyalty_invoices_member_paid_invoice_idx Using where; Using index$/);
      // One unique-key lookup per invoice and prefix; no filter built from every action ever sent.
      expect(plan.slice(1).map((p) => p.split(' ').slice(0, 3).join(' '))).toEqual(['o0 eq_ref loyalty_outbox_idempotency_key_unique', 'o1 eq_ref loyalty_outbox_idempotency_key_unique']);
    }
    await expectBalancesConsistent(app.plugin);
  });
});
