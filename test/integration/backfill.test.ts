import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HostingRewardsPlugin } from '../../plugin/index';
import { MemberAccount } from '../../plugin/services/member-account';
import { clientEvent, expectBalancesConsistent, invoicePaid, invoiceRefunded, serviceEvent, startTestApp, tableCounts, TEST_SECRETS, type TestApp } from '../support/harness';
import { HISTORY_CSV_HEADER, historyCsvRows, historyEvents, type HistoryOptions } from '../support/history';
import type { WireEvent } from '../support/events';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/plugin/cli/backfill.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Per member, what the program shows and the ledger holds: what "the same state" means here. */
async function state(plugin: HostingRewardsPlugin): Promise<Record<string, unknown>> {
  const knex = plugin.db.knex;
  const tiers = new Map((await knex('loyalty_tiers').select('id', 'name')).map((t: { id: unknown; name: string }) => [Number(t.id), t.name]));
  const out: Record<string, unknown> = {};
  const members = await knex('loyalty_members').orderBy('panel_client_id');
  for (const m of members) {
    const byKind: Array<{ kind: string; s: unknown }> = await knex('loyalty_ledger').where({ member_id: m.id }).groupBy('kind').select('kind').sum({ s: 'delta' });
    const lots = await knex('loyalty_lots').where({ member_id: m.id }).sum({ s: 'remaining' }).first();
    const spend = await knex('loyalty_spend_months').where({ member_id: m.id }).orderBy('month').select('month', 'amount_minor');
    const invoices = await knex('loyalty_invoices').where({ member_id: m.id }).count({ n: '*' }).sum({ e: 'earned_points' }).sum({ q: 'qualifying_minor' }).first();
    const changes = await knex('loyalty_tier_changes').where({ member_id: m.id }).orderBy('id').select('from_tier_id', 'to_tier_id', 'qualifying_minor');
    out[String(m.panel_client_id)] = {
      available: Number(m.points_available),
      pending: Number(m.points_pending),
      lifetime: Number(m.points_lifetime),
      tier: tiers.get(Number(m.tier_id)) ?? null,
      ledger: Object.fromEntries(byKind.filter((r) => Number(r.s) !== 0).map((r) => [r.kind, Number(r.s)])),
      lots: Number(lots?.s ?? 0),
      spend: spend.map((s: { month: string; amount_minor: unknown }) => `${s.month}:${Number(s.amount_minor)}`),
      invoices: { count: Number(invoices?.n), earned: Number(invoices?.e), qualifying: Number(invoices?.q) },
      tierChanges: changes.map((c: { from_tier_id: unknown; to_tier_id: unknown; qualifying_minor: unknown }) => `${tiers.get(Number(c.from_tier_id)) ?? '-'}>${tiers.get(Number(c.to_tier_id))}@${Number(c.qualifying_minor)}`),
    };
  }
  return out;
}

/** Expires what is past its date, as the expiry job would: a backfill does so for points earned long ago. */
async function expireAll(plugin: HostingRewardsPlugin): Promise<void> {
  const ids = (await plugin.db.knex('loyalty_members').select('id')).map((r: { id: unknown }) => Number(r.id));
  await plugin.db.transaction((tx) => MemberAccount.expireMany(tx, ids, tx.now));
}

/**
 * `npm run backfill` (issue 14): a panel's history imported set-based ends in the same state
 * as every event sent live through the webhook, however often it is run and whether it was
 * killed half-way; bad rows are refused with reasons and write nothing; --dry-run writes
 * nothing; --since filters; live and backfilled payments of one invoice never both count.
 */
describe('npm run backfill (plugin/cli/backfill.ts)', () => {
  let app: TestApp;
  let dir: string;
  let n = 0;
  const env = (databaseUrl: string) => ({
    PATH: process.env.PATH ?? '',
    DATABASE_URL: databaseUrl,
    DATA_DIR: dir,
    PANEL: 'generic',
    EVENT_SOURCE: 'test',
    WEBHOOK_SECRET: TEST_SECRETS.webhook,
    SSO_SECRET: TEST_SECRETS.sso,
    SESSION_SECRET: TEST_SECRETS.session,
    LOG_LEVEL: 'warn',
  });
  const backfill = (args: string[], databaseUrl = app.db.url): Promise<Result> =>
    new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { env: env(databaseUrl), cwd: ROOT, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  const write = (name: string, lines: string[]) => {
    const file = path.join(dir, `${++n}-${name}`);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  };
  const jsonl = (events: Iterable<object | string>) => write('history.jsonl', [...events].map((e) => (typeof e === 'string' ? e : JSON.stringify(e))));
  const program = { refund_window_days: 0, points_expiry_months: 12 };
  /** Rules the history exercises: a first-purchase bonus and a renewal bonus, besides tiers and their multipliers. */
  async function withRules(plugin: HostingRewardsPlugin): Promise<void> {
    for (const r of await plugin.db.repos.rules.all()) if (r.type === 'first_purchase' || r.type === 'renewal_bonus') await plugin.services.program.setRuleActive(r.id, true);
  }

  /**
   * The same events sent live to one app and imported by the CLI into another, `setup` run on
   * both first: the events the webhook refused (`<id> <status>`), the live state once the expiry
   * job has run, the import's file and result, and the imported state (balances checked).
   */
  async function liveAndImported(events: Array<Record<string, unknown>>, setup: (app: TestApp) => Promise<void> = async () => {}) {
    const live = await startTestApp({ realTime: true, program });
    const bf = await startTestApp({ realTime: true, program });
    try {
      await setup(live);
      await setup(bf);
      const refusedLive: string[] = [];
      for (const e of events) {
        const res = await live.send(e);
        if (res.status !== 200) refusedLive.push(`${String(e.id)} ${res.status}`);
      }
      await expireAll(live.plugin);
      const expected = await state(live.plugin);
      const file = jsonl(events);
      const result = await backfill(['--file', file], bf.db.url);
      const imported = await state(bf.plugin);
      await expectBalancesConsistent(bf.plugin);
      return { refusedLive, expected, file, result, imported };
    } finally {
      await live.close();
      await bf.close();
    }
  }

  beforeAll(async () => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does) first`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hr-backfill-'));
    app = await startTestApp({ realTime: true, program });
  });
  afterAll(async () => {
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));

  describe('the same state as sending every event live', () => {
    const history: HistoryOptions = { clients: 40, invoices: 400, days: 800, seed: 7, tag: 'eq' };
    let live: TestApp;
    let bf: TestApp;
    let file: string;
    let expected: Record<string, unknown>;
    beforeAll(async () => {
      live = await startTestApp({ realTime: true, program });
      bf = await startTestApp({ realTime: true, program });
      await withRules(live.plugin);
      await withRules(bf.plugin);
      file = jsonl(historyEvents({ ...history, now: new Date() }));
      for (const line of fs.readFileSync(file, 'utf8').trim().split('\n')) {
        const event = JSON.parse(line) as WireEvent;
        const res = await live.send(event, { body: line });
        expect(res.status).toBe(200);
      }
      await expireAll(live.plugin);
      expected = await state(live.plugin);
      await expectBalancesConsistent(live.plugin);
    }, 300_000);
    afterAll(async () => {
      await live?.close();
      await bf?.close();
    });

    it('the history reaches several tiers and expires its old points, so the comparison means something', () => {
      const members = Object.values(expected) as Array<{ tier: string; ledger: Record<string, number>; tierChanges: string[] }>;
      expect(members).toHaveLength(history.clients);
      expect(new Set(members.map((m) => m.tier)).size).toBeGreaterThanOrEqual(2);
      expect(members.some((m) => (m.ledger.expire ?? 0) < 0)).toBe(true);
      expect(members.some((m) => (m.ledger.bonus ?? 0) > 0)).toBe(true);
    });

    it('killed with SIGKILL mid-import, run again, then run a third time: the live state, nothing twice', async () => {
      // Small batches: many commits, so the kill lands mid-run even on a loaded machine.
      const killed = await new Promise<{ signal: NodeJS.Signals | null; invoices: number }>((resolve) => {
        const child = spawn(process.execPath, [CLI, '--file', file, '--batch-size', '3'], { env: env(bf.db.url), cwd: ROOT });
        let invoices = 0;
        const poll = setInterval(() => {
          void bf.plugin.db.knex('loyalty_invoices').count({ n: '*' }).first().then((r) => {
            invoices = Number(r?.n ?? 0);
            if (invoices > 0) child.kill('SIGKILL');
          }, () => undefined);
        }, 5);
        child.on('exit', (_code, signal) => {
          clearInterval(poll);
          resolve({ signal, invoices });
        });
      });
      expect(killed.signal).toBe('SIGKILL');
      const partial = Number((await bf.plugin.db.knex('loyalty_invoices').count({ n: '*' }).first())?.n);
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThan(history.invoices);
      await expectBalancesConsistent(bf.plugin);

      const resumed = await backfill(['--file', file, '--batch-size', '50'], bf.db.url);
      expect(resumed).toMatchObject({ code: 0, stderr: '' });
      expect(resumed.stdout).toContain(`duplicates ${partial},`);
      expect(await state(bf.plugin)).toEqual(expected);
      await expectBalancesConsistent(bf.plugin);

      const counts = await tableCounts(bf.plugin);
      const again = await backfill(['--file', file], bf.db.url);
      expect(again).toMatchObject({ code: 0 });
      expect(again.stdout).toContain('done, 0 invoice(s)');
      expect(again.stdout).toContain(`duplicates ${history.invoices},`);
      expect(await tableCounts(bf.plugin)).toEqual(counts);
      expect(await state(bf.plugin)).toEqual(expected);
      await expectBalancesConsistent(bf.plugin);
    }, 300_000);

    it('the same history as CSV, one row per invoice line, gives the same state too', async () => {
      const csvApp = await startTestApp({ realTime: true, program });
      try {
        await withRules(csvApp.plugin);
        const events = fs
          .readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as WireEvent);
        const csv = write('history.csv', [HISTORY_CSV_HEADER, ...events.flatMap(historyCsvRows)]);
        const result = await backfill(['--file', csv, '--batch-size', '64'], csvApp.db.url);
        expect(result).toMatchObject({ code: 0, stderr: '' });
        expect(result.stdout).toContain(`done, ${history.invoices} invoice(s) for ${history.clients} member(s) (${history.clients} new)`);
        expect(await state(csvApp.plugin)).toEqual(expected);
        await expectBalancesConsistent(csvApp.plugin);
      } finally {
        await csvApp.close();
      }
    }, 300_000);
  });

  it('refuses bad rows with their line and reasons, next to the input, and writes nothing for them', async () => {
    const good = invoicePaid({ client: { id: 'bad-rows-1' }, occurred_at: '2026-06-01T10:00:00Z' });
    const taken = invoicePaid({ client: { id: 'bad-rows-2' }, occurred_at: '2026-06-01T10:00:00Z' });
    const file = jsonl([
      good,
      '{"id": "broken',
      { ...invoicePaid({ client: { id: 'bad-rows-3' } }), invoice: { id: 'x1', currency: 'USD', total: '12.345' } },
      { ...invoicePaid({ client: { id: 'bad-rows-4' } }), client: { email: 'nobody@example.com' } },
      { ...invoicePaid({ client: { id: 'bad-rows-5' } }), type: 'invoice.teleported' },
      { ...invoicePaid({ client: { id: 'bad-rows-6' } }), occurred_at: '1999-12-31T00:00:00Z' },
      taken,
      { ...taken, invoice: { ...taken.invoice, total: '99.00' } },
      '',
    ]);
    const before = await tableCounts(app.plugin);
    const result = await backfill(['--file', file]);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('done, 2 invoice(s) for 2 member(s)');
    expect(result.stdout).toContain('refused 6');
    expect(result.stdout).toContain(`${file}.refused.jsonl`);
    const refused = fs
      .readFileSync(`${file}.refused.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; id?: string; reasons: Array<{ path: string; message: string }> });
    expect(refused.map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 8]);
    expect(refused[0]?.reasons[0]?.message).toMatch(/^is not valid JSON/);
    expect(refused[1]?.reasons).toContainEqual({ path: 'invoice.total', message: 'has more than 2 decimals for USD' });
    expect(refused[2]?.reasons).toContainEqual({ path: 'client.id', message: 'is required' });
    expect(refused[3]?.reasons).toContainEqual({ path: 'type', message: expect.stringContaining('must be one of') });
    expect(refused[4]?.reasons).toContainEqual({ path: 'occurred_at', message: expect.stringContaining('2000-01-01') });
    expect(refused[5]).toMatchObject({ id: taken.id, reasons: [{ path: 'id', message: 'was already used for a different event body' }] });
    const after = await tableCounts(app.plugin);
    expect(after.loyalty_members - before.loyalty_members).toBe(2);
    expect(after.loyalty_invoices - before.loyalty_invoices).toBe(2);
    expect(after.loyalty_events - before.loyalty_events).toBe(2);
    for (const id of ['bad-rows-3', 'bad-rows-4', 'bad-rows-5', 'bad-rows-6']) expect(await app.plugin.db.repos.members.findByPanelClientId(id)).toBeNull();

    // A clean run leaves no stale report behind.
    const fixed = jsonl([invoicePaid({ client: { id: 'bad-rows-7' } })]);
    fs.writeFileSync(`${fixed}.refused.jsonl`, '{"line":1}\n');
    expect(await backfill(['--file', fixed])).toMatchObject({ code: 0, stdout: expect.stringContaining('refused 0') });
    expect(fs.existsSync(`${fixed}.refused.jsonl`)).toBe(false);
  }, 120_000);

  it('bad CSV rows are refused with reasons; a bad header refuses the file', async () => {
    const csv = write('bad.csv', [
      'client_id,invoice_id,paid_at,currency,item_type,amount',
      'csv-1,c-1,2026-05-01,USD,renewal,100.00',
      'csv-1,c-1,2026-05-01,USD,domain,20.00',
      'csv-2,c-2,2026-05-02,USD,renewal,abc',
      'csv-3,c-3,,USD,renewal,10.00',
      'csv-4,c-4,2026-05-03,USD,teleport,10.00',
      'csv-5,c-5,2025-13-05,USD,renewal,10.00',
      'csv-6,c-6,2026-05-04,USD,renewal,10.00',
      'csv-6,c-6,2026-05-04,USD,domain,1.234',
    ]);
    const result = await backfill(['--file', csv]);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('done, 1 invoice(s) for 1 member(s)');
    const refused = fs
      .readFileSync(`${csv}.refused.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; reasons: Array<{ path: string }> });
    // Each reason names the CSV column to fix, not the event field it became.
    expect(refused.map((r) => [r.line, r.reasons[0]?.path])).toEqual([
      [4, 'amount'],
      [5, 'paid_at'],
      [6, 'item_type'],
      [7, 'paid_at'],
      [8, 'row 2: amount'],
    ]);
    const member = await app.plugin.db.repos.members.findByPanelClientId('csv-1');
    expect(member?.pointsLifetime).toBe(120);

    const header = await backfill(['--file', write('header.csv', ['client,invoice_id,paid_at,currency,item_type,amount', 'x,y,2026-05-01,USD,renewal,1.00'])]);
    expect(header).toMatchObject({ code: 0, stdout: expect.stringContaining('refused 1') });
  }, 120_000);

  it('refunds, chargebacks, client events and a payment in another currency among the payments: the live state, in file order', async () => {
    const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    const paid = (client: string, invoice: string, total: string, days: number, extra: { id?: string; currency?: string } = {}) =>
      invoicePaid({
        ...(extra.id && { id: extra.id }),
        client: { id: client, currency: 'USD' },
        occurred_at: ago(days),
        invoice: { id: invoice, currency: extra.currency ?? 'USD', total, items: [{ type: 'renewal', amount: total }] },
      });
    const taken = (type: string, client: string, invoice: string, total: string, days: number, refunded?: string) => ({
      id: `mix:${type}:${invoice}`,
      type,
      occurred_at: ago(days),
      client: { id: client },
      invoice: { id: invoice, currency: 'USD', total, ...(refunded && { refunded }) },
    });
    const events: Array<Record<string, unknown>> = [
      // Enrolled by its client event, then a payment long expired, part refunded before it expired.
      { ...clientEvent('client.created', 'mix-a'), occurred_at: ago(800) },
      paid('mix-a', 'mix-a1', '450.00', 790),
      taken('invoice.refunded', 'mix-a', 'mix-a1', '450.00', 785, '30.00'),
      // Another client's payment reusing that refund's event id: taken, as live says (409).
      paid('mix-d', 'mix-d2', '20.00', 4, { id: 'mix:invoice.refunded:mix-a1' }),
      // New clients whose only payment is refused for its id are not enrolled, as live enrols nobody.
      paid('mix-e', 'mix-e1', '20.00', 4, { id: 'mix:invoice.refunded:mix-a1' }),
      paid('mix-g', 'mix-g1', '20.00', 3, { id: 'mix:shared' }),
      paid('mix-h', 'mix-h1', '20.00', 3, { id: 'mix:shared' }),
      paid('mix-a', 'mix-a2', '100.00', 10),
      // Charged back before the next payment: its spend must not count towards that one's tier.
      paid('mix-b', 'mix-b1', '450.00', 20),
      taken('invoice.chargeback', 'mix-b', 'mix-b1', '450.00', 19),
      paid('mix-b', 'mix-b2', '100.00', 18),
      // A refund that came before its payment.
      taken('invoice.refunded', 'mix-c', 'mix-c1', '50.00', 30, '10.00'),
      paid('mix-c', 'mix-c1', '50.00', 31),
      // A refund before its payment, then a later payment: the live path takes the first, then the second.
      taken('invoice.refunded', 'mix-f', 'mix-f1', '100.00', 40, '10.00'),
      paid('mix-f', 'mix-f1', '100.00', 39),
      paid('mix-f', 'mix-f2', '50.00', 9),
      // Paid again under other ids: in another currency (refused), and the same (already paid).
      paid('mix-d', 'mix-d1', '20.00', 5),
      paid('mix-d', 'mix-d1', '20.00', 5, { id: 'mix:d1:eur', currency: 'EUR' }),
      paid('mix-d', 'mix-d1', '20.00', 5, { id: 'mix:d1:again' }),
    ];
    const { refusedLive, expected, file, result, imported } = await liveAndImported(events);
    expect(refusedLive).toEqual(['mix:invoice.refunded:mix-a1 409', 'mix:invoice.refunded:mix-a1 409', 'mix:shared 409', 'mix:d1:eur 422']);
    expect(expected).toMatchObject({ 'mix-a': { available: 100 }, 'mix-b': { tier: 'Bronze' } });
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('refused 4') });
    expect(result.stdout).toMatch(/ for 4 member\(s\) \(3 new\)/);
    const refused = fs.readFileSync(`${file}.refused.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; reasons: Array<{ path: string }> });
    expect(refused).toEqual([
      expect.objectContaining({ id: 'mix:invoice.refunded:mix-a1', reasons: [expect.objectContaining({ path: 'id' })] }),
      expect.objectContaining({ id: 'mix:invoice.refunded:mix-a1', reasons: [expect.objectContaining({ path: 'id' })] }),
      expect.objectContaining({ id: 'mix:shared', reasons: [expect.objectContaining({ path: 'id' })] }),
      expect.objectContaining({ id: 'mix:d1:eur', reasons: [expect.objectContaining({ path: 'invoice.currency' })] }),
    ]);
    expect(imported).toEqual(expected);
  }, 120_000);

  it('an upgrade invoice imported set-based is paired with its upgrade, so its refund takes the upgrade’s points back, as live', async () => {
    const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    const upgradeInvoice = (client: string, days: number) =>
      invoicePaid({ client: { id: client, currency: 'USD' }, occurred_at: ago(days), invoice: { id: `${client}-inv`, currency: 'USD', total: '100.00', items: [{ type: 'upgrade', service_id: 'S1', amount: '100.00' }] } });
    const upgraded = (client: string, days: number) => serviceEvent('service.upgraded', client, { id: 'S1', previous_amount: '10.00', amount: '110.00' }, { tag: 'up', occurred_at: ago(days) });
    const refunded = (client: string, days: number) => ({ ...invoiceRefunded(`${client}-inv`, '100.00', { client: { id: client }, invoice: { total: '100.00' } }), occurred_at: ago(days) });
    const events = [
      // The payment first (set-based), then its upgrade and its refund (live path).
      upgradeInvoice('upg-1', 10),
      upgraded('upg-1', 10),
      refunded('upg-1', 9),
      // The upgrade first: the payment waits for the next batch, then pairs with it.
      { ...clientEvent('client.created', 'upg-2'), occurred_at: ago(12) },
      upgraded('upg-2', 11),
      upgradeInvoice('upg-2', 11),
      refunded('upg-2', 8),
    ];
    const { refusedLive, expected, result, imported } = await liveAndImported(events, async (app) => {
      await app.plugin.services.program.addRule({ active: true, type: 'service_upgrade', params: { points: 1, money_from: 'event' } });
    });
    expect(refusedLive).toEqual([]);
    expect(expected).toMatchObject({ 'upg-1': { available: 0, lifetime: 0 }, 'upg-2': { available: 0, lifetime: 0 } });
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('refused 0') });
    expect(imported).toEqual(expected);
  }, 120_000);

  it('refuses an event nested deeper than the webhook takes, as the webhook does, and reads on', async () => {
    const deep = JSON.stringify({ ...invoicePaid({ client: { id: 'deep-1' } }), extra: 'NEST' }).replace('"NEST"', `${'['.repeat(20_000)}${']'.repeat(20_000)}`);
    const after = invoicePaid({ client: { id: 'deep-2' } });
    const file = jsonl([deep, after]);
    const result = await backfill(['--file', file]);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('refused 1') });
    const [refused] = fs.readFileSync(`${file}.refused.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; reasons: Array<{ path: string; message: string }> });
    expect(refused).toMatchObject({ line: 1, reasons: [{ path: `extra${'.0'.repeat(31)}`, message: 'is nested deeper than 32 levels' }] });
    expect(await app.plugin.db.repos.members.findByPanelClientId('deep-1')).toBeNull();
    expect((await app.plugin.db.repos.members.findByPanelClientId('deep-2'))?.pointsLifetime).toBeGreaterThan(0);
  }, 60_000);

  it('--dry-run reports what would change and writes nothing', async () => {
    const events = [...historyEvents({ clients: 5, invoices: 30, days: 400, seed: 3, tag: 'dry' })];
    // A new client whose only payment is refused (its id is taken, in the same batch) would not be enrolled.
    const first = events[0] as WireEvent;
    const file = jsonl([first, { ...first, client: { ...first.client, id: 'dry-refused' } }, ...events.slice(1)]);
    const before = await tableCounts(app.plugin);
    const result = await backfill(['--file', file, '--dry-run', '--batch-size', '7']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/dry run, nothing written; would import 30 invoice\(s\) for 5 member\(s\) \(5 new\)/);
    expect(result.stdout).toContain('refused 1');
    expect(await tableCounts(app.plugin)).toEqual(before);
    for (const c of ['1', '2', '3', '4', '5']) expect(await app.plugin.db.repos.members.findByPanelClientId(c)).toBeNull();
  }, 60_000);

  it('--since imports only what happened from that day on; --award tiers-only records spend and tiers, no points', async () => {
    const events = [
      invoicePaid({ client: { id: 'since-1' }, occurred_at: '2026-01-10T10:00:00Z', invoice: { id: 'since-a', total: '600.00', items: [{ type: 'renewal', amount: '600.00' }] } }),
      invoicePaid({ client: { id: 'since-1' }, occurred_at: '2026-03-10T10:00:00Z', invoice: { id: 'since-b', total: '100.00', items: [{ type: 'renewal', amount: '100.00' }] } }),
    ];
    const result = await backfill(['--file', jsonl(events), '--since', '2026-02-01', '--award', 'tiers-only']);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('before --since 1') });
    const member = await app.plugin.db.repos.members.findByPanelClientId('since-1');
    expect(member).toMatchObject({ pointsAvailable: 0, pointsLifetime: 0 });
    expect(await app.plugin.db.knex('loyalty_ledger').where({ member_id: member?.id })).toEqual([]);
    expect(await app.plugin.db.repos.invoices.find(member?.id ?? 0, 'since-a')).toBeNull();
    expect(await app.plugin.db.repos.invoices.find(member?.id ?? 0, 'since-b')).toMatchObject({ earnedPoints: 0, qualifyingMinor: 10_000 });
    const tier = (await app.plugin.db.repos.tiers.list()).find((t) => t.id === member?.tierId);
    expect(tier?.name).toBe('Bronze');

    // Without --since the older invoice counts too, and its spend lifts the member to Silver.
    // A client event earns nothing under tiers-only: left out, and said so (not "before --since").
    const all = await backfill(['--file', jsonl([...events, { ...clientEvent('client.updated', 'since-1'), occurred_at: '2026-03-11T10:00:00Z' }]), '--award', 'tiers-only']);
    expect(all).toMatchObject({ code: 0, stdout: expect.stringContaining('duplicates 1, before --since 0, left out by --award tiers-only 1,') });
    const now = await app.plugin.db.repos.members.findByPanelClientId('since-1');
    expect((await app.plugin.db.repos.tiers.list()).find((t) => t.id === now?.tierId)?.name).toBe('Silver');
  }, 60_000);

  it('a live payment of an invoice already backfilled is a duplicate, and the reverse', async () => {
    const imported = invoicePaid({ client: { id: 'dup-1' }, occurred_at: '2026-10-01T10:00:00Z' });
    expect(await backfill(['--file', jsonl([imported])])).toMatchObject({ code: 0 });
    const member = await app.plugin.db.repos.members.findByPanelClientId('dup-1');
    expect(member?.pointsLifetime).toBe(120);
    // The same event, redelivered by the panel: the inbox answers for it.
    expect((await app.send(imported).expect(200)).body).toMatchObject({ outcome: 'duplicate', first_outcome: 'applied', points: 120 });
    // The same invoice under the panel's own event id: already paid, nothing earned.
    const panelId = { ...imported, id: `whmcs:invoice:${imported.invoice?.id}:paid:20261001` };
    expect((await app.send(panelId).expect(200)).body).toMatchObject({ outcome: 'applied', points: 0, detail: 'already_paid' });

    const paidLive = invoicePaid({ client: { id: 'dup-2' }, occurred_at: '2026-10-02T10:00:00Z' });
    expect((await app.send(paidLive).expect(200)).body).toMatchObject({ outcome: 'applied', points: 120 });
    const history = [paidLive, { ...paidLive, id: `history:invoice:${paidLive.invoice?.id}:paid` }];
    const result = await backfill(['--file', jsonl(history)]);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('duplicates 2,') });
    expect(result.stdout).toContain('done, 0 invoice(s)');
    for (const id of ['dup-1', 'dup-2']) expect((await app.plugin.db.repos.members.findByPanelClientId(id))?.pointsLifetime).toBe(120);
  }, 60_000);

  it('keeps the number an imported payment sent, so a live refund that sends none is named by it', async () => {
    const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    const pay = (n: number, number?: string) =>
      invoicePaid({ client: { id: 'bfn-1' }, occurred_at: ago(20 - n), invoice: { id: `BFN-${n}`, ...(number && { number }), total: '100.00', items: [] } });
    // Numbered and not, in one batch: the multi-row insert sets the column in every row.
    const result = await backfill(['--file', jsonl([pay(1, 'INV-2026-0901'), pay(2), pay(3, 'INV-2026-0903')])]);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('refused 0') });
    for (const n of [1, 2, 3]) await app.send(invoiceRefunded(`BFN-${n}`, '10.00', { client: { id: 'bfn-1' }, invoice: { total: '100.00' } })).expect(200);
    const member = await app.plugin.db.repos.members.findByPanelClientId('bfn-1');
    const { entries } = await app.plugin.db.repos.ledger.pageForMember(member?.id ?? 0, { limit: 20 });
    const named = (code: string) => entries.filter((e) => e.reasonCode === code).map((e) => e.reasonParams.invoice).sort();
    expect(named('invoice_paid')).toEqual(['BFN-2', 'INV-2026-0901', 'INV-2026-0903']);
    expect(named('invoice_refunded')).toEqual(['BFN-2', 'INV-2026-0901', 'INV-2026-0903']);
  }, 60_000);

  it('live webhooks for the same invoices while the backfill runs: each invoice earns once, balances agree', async () => {
    const history: HistoryOptions = { clients: 12, invoices: 240, days: 300, seed: 11, tag: 'race', now: new Date() };
    const events = [...historyEvents(history)];
    const file = jsonl(events);
    const before = await tableCounts(app.plugin);
    // Small batches, so many batches overlap one another and the live deliveries.
    const run = backfill(['--file', file, '--batch-size', '4']);
    let running = true;
    void run.finally(() => (running = false));
    const outcomes: string[] = [];
    // The panel redelivers some events under their own id, and pays others under its own event
    // id (the same invoice): each must meet the backfill's writes as a duplicate or go first.
    for (let i = 0; i < events.length && running; i += 2) {
      const e = events[i] as WireEvent;
      const delivery = i % 4 === 0 ? e : { ...e, id: `panel:invoice:${e.invoice?.id}:paid` };
      // On SQLite the two processes take turns at the file's write lock: a busy database answers
      // 503, and the panel redelivers (Standard Webhooks retries every non-2xx), as here.
      let res = await app.send(delivery);
      for (let retry = 0; res.status === 503 && retry < 50; retry++) {
        await new Promise((r) => setTimeout(r, 100));
        res = await app.send(delivery);
      }
      expect(res.status).toBe(200);
      outcomes.push(String((res.body as { outcome: string }).outcome));
    }
    const result = await run;
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(outcomes.length).toBeGreaterThan(0);

    const knex = app.plugin.db.knex;
    const ids = events.map((e) => e.invoice?.id as string);
    const invoices: Array<{ invoice_id: string; earned_points: unknown; member_id: unknown }> = await knex('loyalty_invoices').whereIn('invoice_id', ids).select('invoice_id', 'earned_points', 'member_id');
    expect(invoices).toHaveLength(events.length);
    for (const inv of invoices) {
      // What the invoice's payment credited, by whichever path took it, is what the invoice row says it earned.
      const credited = await knex('loyalty_ledger').where({ member_id: inv.member_id, reference: `invoice:${inv.invoice_id}` }).andWhere('delta', '>', 0).sum({ s: 'delta' }).first();
      expect([inv.invoice_id, Number(credited?.s ?? 0)]).toEqual([inv.invoice_id, Number(inv.earned_points)]);
    }
    const after = await tableCounts(app.plugin);
    expect(after.loyalty_invoices - before.loyalty_invoices).toBe(events.length);
    await expectBalancesConsistent(app.plugin);

    // Run again: everything is a duplicate now, nothing changes.
    const again = await backfill(['--file', file]);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('done, 0 invoice(s)') });
    expect(await tableCounts(app.plugin)).toEqual(after);
  }, 180_000);

  it('events other than a first payment go through the live path, in file order', async () => {
    const paid = invoicePaid({ client: { id: 'other-1' }, occurred_at: '2026-10-05T10:00:00Z' });
    const refund = {
      id: `test:invoice:${paid.invoice?.id}:refund`,
      type: 'invoice.refunded',
      occurred_at: '2026-10-06T10:00:00Z',
      client: { id: 'other-1' },
      invoice: { id: paid.invoice?.id, currency: 'USD', total: '120.00', refunded: '60.00' },
    };
    const result = await backfill(['--file', jsonl([paid, refund])]);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('through the live path 1') });
    const member = await app.plugin.db.repos.members.findByPanelClientId('other-1');
    expect(member).toMatchObject({ pointsAvailable: 60, pointsLifetime: 60 });
    expect(await backfill(['--file', jsonl([paid, refund])])).toMatchObject({ code: 0, stdout: expect.stringContaining('duplicates 2,') });
    expect((await app.plugin.db.repos.members.findByPanelClientId('other-1'))?.pointsAvailable).toBe(60);
  }, 60_000);

  it('exit codes: 2 for usage, 4 for an unmigrated database', async () => {
    const file = jsonl([invoicePaid({ client: { id: 'exit-1' } })]);
    expect(await backfill([])).toMatchObject({ code: 2, stderr: expect.stringContaining('--file') });
    expect(await backfill(['--file', path.join(dir, 'missing.jsonl')])).toMatchObject({ code: 2, stderr: expect.stringContaining('no such file') });
    expect(await backfill(['--file', file, '--since', '2026-02-30'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--since must be a date') });
    expect(await backfill(['--file', file, '--award', 'cash'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--award must be points or tiers-only') });
    expect(await backfill(['--from', 'whmcs', '--file', file])).toMatchObject({ code: 2, stderr: expect.stringContaining('--from whmcs reads the history from WHMCS') });
    expect(await backfill(['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: npm run backfill') });
    expect(await backfill(['--file', dir])).toMatchObject({ code: 2, stderr: expect.stringContaining('not a regular file') });
    for (const size of ['0x10', '1e3', ' 5']) expect(await backfill(['--file', file, '--batch-size', size])).toMatchObject({ code: 2, stderr: expect.stringContaining('--batch-size must be a whole number') });
    const empty = `sqlite:${path.join(dir, 'empty.sqlite')}`;
    expect(await backfill(['--file', file], empty)).toMatchObject({ code: 4, stderr: expect.stringContaining('Run npm run migrate first') });
    // DATABASE_URL that can't work: the configuration's to fix (4), not "run again to resume".
    for (const url of ['notaurl', 'postgres://x@y/z', '']) {
      const bad = await backfill(['--file', file], url);
      expect(bad).toMatchObject({ code: 4, stderr: expect.stringContaining('DATABASE_URL: must be sqlite:<file> or mysql://') });
      expect(bad.stderr).not.toContain('run the same command again');
    }
    if (app.db.url.startsWith('mysql')) {
      const unknown = await backfill(['--file', file], app.db.url.replace(/\/[^/?]+(\?|$)/, '/hr_no_such_database$1'));
      expect(unknown).toMatchObject({ code: 4, stderr: expect.stringContaining('Check DATABASE_URL') });
    }
  }, 60_000);
});
