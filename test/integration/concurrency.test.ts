import { expectBalancesConsistent, invoicePaid, startTestApp, tableCounts, type TestApp } from '../support/harness';

/** Real parallel HTTP requests against a real server and database (DESIGN §5, invariants 1–2). */
describe('concurrent deliveries', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());
  afterEach(() => expectBalancesConsistent(app.plugin));

  it('50 concurrent deliveries of one event id award once', async () => {
    const event = invoicePaid({ client: { id: 'c-race-one' } });
    const before = await tableCounts(app.plugin);
    const results = await Promise.all(Array.from({ length: 50 }, () => app.send(event)));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    const outcomes = results.map((r) => r.body.outcome).sort();
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(49);
    expect(results.every((r) => r.body.points === 120)).toBe(true);
    const member = await app.plugin.db.repos.members.findByPanelClientId('c-race-one');
    expect(member?.pointsAvailable).toBe(120);
    const after = await tableCounts(app.plugin);
    expect(after.loyalty_events - before.loyalty_events).toBe(1);
    expect(after.loyalty_ledger - before.loyalty_ledger).toBe(1);
    expect(after.loyalty_members - before.loyalty_members).toBe(1);
  });

  it('200 concurrent distinct events for one new member: balance = Σ ledger = Σ lots', async () => {
    // EUR has an earn rate but no tier qualifying rate, so the member stays in the entry tier
    // and every event earns exactly its amount, whatever order they commit in.
    const events = Array.from({ length: 200 }, (_, n) =>
      invoicePaid({
        client: { id: 'c-race-many', currency: 'EUR' },
        invoice: { currency: 'EUR', total: `${n + 1}.00`, items: [{ type: 'renewal', amount: `${n + 1}.00` }] },
      }),
    );
    const results = await Promise.all(events.map((e) => app.send(e)));
    expect(results.filter((r) => r.status !== 200).map((r) => [r.status, r.body])).toEqual([]);
    expect(results.every((r) => r.body.outcome === 'applied')).toBe(true);
    const expected = (200 * 201) / 2;
    const member = await app.plugin.db.repos.members.findByPanelClientId('c-race-many');
    expect(member).toMatchObject({ pointsAvailable: expected, pointsLifetime: expected });
    expect(await app.plugin.db.repos.ledger.countForMember(member!.id)).toBe(200);
    // balance_after forms one unbroken chain: no two transactions started from the same balance.
    const rows = await app.plugin.db.knex('loyalty_ledger').where({ member_id: member!.id }).orderBy('id');
    let running = 0;
    for (const r of rows) {
      running += Number(r.delta);
      expect(Number(r.balance_after)).toBe(running);
    }
  });

  it('100 concurrent first events for 100 different new clients all enrol and award', async () => {
    const events = Array.from({ length: 100 }, (_, n) => invoicePaid({ client: { id: `c-enrol-${n}` } }));
    const results = await Promise.all(events.map((e) => app.send(e)));
    expect(results.filter((r) => r.status !== 200).map((r) => [r.status, r.body])).toEqual([]);
    const members = await app.plugin.db.knex('loyalty_members').where('panel_client_id', 'like', 'c-enrol-%').count({ n: '*' }).first();
    expect(Number(members?.n)).toBe(100);
  });

  it('payments and refunds for one member in parallel, refunds sometimes first: each invoice ends exactly reversed', async () => {
    const client = { id: 'c-race-refunds', currency: 'EUR' };
    const events = Array.from({ length: 20 }, (_, n) => {
      const invoice = { id: `RR-${n}`, currency: 'EUR', total: '100.00' };
      return [
        invoicePaid({ client, invoice: { ...invoice, items: [] } }),
        { id: `test:refund:RR-${n}:a`, type: 'invoice.refunded', occurred_at: '2026-11-22T11:00:00Z', client, invoice: { ...invoice, refunded: '25.00' } },
        { id: `test:refund:RR-${n}:b`, type: 'invoice.refunded', occurred_at: '2026-11-22T12:00:00Z', client, invoice: { ...invoice, refunded: '10.00' } },
      ];
    });
    const results = await Promise.all(events.flat().map((e) => app.send(e)));
    expect(results.filter((r) => r.status !== 200).map((r) => [r.status, r.body])).toEqual([]);
    const member = await app.plugin.db.repos.members.findByPanelClientId('c-race-refunds');
    // Each invoice earned 100 and stands reversed by 35.
    expect(member?.pointsAvailable).toBe(20 * 65);
    const rows = await app.plugin.db.knex('loyalty_invoices').where({ member_id: member!.id });
    expect(rows.map((r) => [Number(r.earned_points), Number(r.reversed_points), Number(r.refunded_minor)])).toEqual(Array(20).fill([100, 35, 3500]));
  });

  it('payments that reach a tier only together, shuffled across many members: each member ends in the tier their spend reached', async () => {
    // Three payments of 200.00 are 60,000 of qualifying spend, past Silver (50,000); any two are
    // not. Whichever payment commits last must see the other two, however the deliveries were
    // batched, waited for each other's locks or raced.
    const clients = Array.from({ length: 30 }, (_, n) => `c-tier-race-${n}`);
    const events = clients.flatMap((id) =>
      [1, 2, 3].map((k) => invoicePaid({ client: { id }, invoice: { id: `${id}-${k}`, total: '200.00', items: [{ type: 'renewal', amount: '200.00' }] } })),
    );
    const results = await Promise.all(events.sort(() => Math.random() - 0.5).map((e) => app.send(e)));
    expect(results.filter((r) => r.status !== 200).map((r) => [r.status, r.body])).toEqual([]);
    const k = app.plugin.db.knex;
    const rows = (await k('loyalty_members as m')
      .join('loyalty_tiers as t', 't.id', 'm.tier_id')
      .whereIn('m.panel_client_id', clients)
      .select('m.panel_client_id', 't.name', 'm.tier_below_since')) as Array<{ panel_client_id: string; name: string; tier_below_since: unknown }>;
    expect(rows.filter((r) => r.name !== 'Silver' || r.tier_below_since !== null)).toEqual([]);
    expect(rows).toHaveLength(30);
    const spend = (await k('loyalty_spend_months as s').join('loyalty_members as m', 'm.id', 's.member_id').whereIn('m.panel_client_id', clients).sum({ n: 's.amount_minor' }).first()) as { n: unknown };
    expect(Number(spend.n)).toBe(30 * 60_000);
  });

  it('first payments of many members at once, each delivered twice: one first-purchase bonus a member', async () => {
    const rules = await app.plugin.db.repos.rules.all();
    for (const r of rules) if (r.type === 'first_purchase') await app.plugin.services.program.setRuleActive(r.id, true);
    try {
      const clients = Array.from({ length: 20 }, (_, n) => `c-first-race-${n}`);
      const events = clients.flatMap((id) => [1, 2, 3].map((k) => invoicePaid({ client: { id }, invoice: { id: `${id}-${k}` } })));
      const results = await Promise.all([...events, ...events].sort(() => Math.random() - 0.5).map((e) => app.send(e)));
      expect(results.filter((r) => r.status !== 200).map((r) => [r.status, r.body])).toEqual([]);
      const bonuses = (await app.plugin.db
        .knex('loyalty_ledger as l')
        .join('loyalty_members as m', 'm.id', 'l.member_id')
        .whereIn('m.panel_client_id', clients)
        .andWhere('l.reason_code', 'first_purchase')
        .groupBy('m.panel_client_id')
        .select('m.panel_client_id')
        .count({ n: '*' })) as Array<{ panel_client_id: string; n: unknown }>;
      expect(bonuses.map((b) => [b.panel_client_id, Number(b.n)]).sort()).toEqual(clients.map((c) => [c, 1]).sort());
    } finally {
      for (const r of rules) if (r.type === 'first_purchase') await app.plugin.services.program.setRuleActive(r.id, r.active);
    }
  });

  it('mixed: many members, each event delivered three times at once', async () => {
    const events = Array.from({ length: 30 }, (_, n) => invoicePaid({ client: { id: `c-mix-${n % 6}` } }));
    const deliveries = events.flatMap((e) => [e, e, e]).sort(() => Math.random() - 0.5);
    const results = await Promise.all(deliveries.map((e) => app.send(e)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.filter((r) => r.body.outcome === 'applied')).toHaveLength(30);
    for (let n = 0; n < 6; n++) {
      const m = await app.plugin.db.repos.members.findByPanelClientId(`c-mix-${n}`);
      expect(m?.pointsAvailable).toBe(5 * 120);
    }
  });
});
