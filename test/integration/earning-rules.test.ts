import { ConfigError } from '../../plugin/errors';
import type { RuleInput } from '../../plugin/services/program-service';
import { clientEvent, expectBalancesConsistent, invoicePaid, startTestApp, tableCounts, type TestApp } from '../support/harness';

/** Earning rules read from loyalty_rules and applied to signed webhook events. */
describe('earning rules', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());
  afterEach(async () => {
    await expectBalancesConsistent(app.plugin);
    // Every test starts from "all rules off", as a fresh install is.
    for (const r of await app.plugin.db.repos.rules.all()) if (r.active) await app.plugin.services.program.setRuleActive(r.id, false);
  });

  const program = () => app.plugin.services.program;
  const seeded = async (type: string) => {
    const row = (await app.plugin.db.repos.rules.all()).find((r) => r.type === type);
    if (!row) throw new Error(`no seeded ${type} rule`);
    return row.id;
  };
  const activate = async (type: string) => {
    const id = await seeded(type);
    await program().setRuleActive(id, true);
    return id;
  };
  const add = (input: Omit<RuleInput, 'active'> & { active?: boolean }) => program().addRule({ active: true, ...input });
  const member = (clientId: string) => app.plugin.db.repos.members.findByPanelClientId(clientId);
  const entries = async (clientId: string) => {
    const m = await member(clientId);
    const rows = await app.plugin.db.knex('loyalty_ledger').where({ member_id: m!.id }).orderBy('id');
    return rows.map((r) => ({ delta: Number(r.delta), kind: r.kind, rule: r.rule, reference: r.reference, reasonCode: r.reason_code }));
  };

  it('seeds one example of each rule type, all off, so installing changes no earnings', async () => {
    const rows = await app.plugin.db.repos.rules.all();
    expect(rows.map((r) => [r.type, r.active])).toEqual([
      ['product_multiplier', false],
      ['exclusion', false],
      ['renewal_bonus', false],
      ['upgrade_bonus', false],
      ['annual_prepay_bonus', false],
      ['first_purchase', false],
      ['signup', false],
      ['service_upgrade', false],
      ['renewal_streak', false],
      ['action', false],
    ]);
    const res = await app.send(invoicePaid({ client: { id: 'r-seed' } })).expect(200);
    expect(res.body.points).toBe(120);
  });

  it('applies seeded rules once switched on, each award its own entry referencing the invoice', async () => {
    const renewal = await activate('renewal_bonus');
    const annual = await activate('annual_prepay_bonus');
    const event = invoicePaid({ client: { id: 'r-bonus' } });
    const res = await app.send(event).expect(200);
    // 100.00 renewal (annually) + 20.00 domain: base 120, renewal 10% of 100, annual 20% of 100.
    expect(res.body).toEqual({ event: event.id, outcome: 'applied', points: 150 });
    const ref = `invoice:${(event.invoice as { id: string }).id}`;
    expect(await entries('r-bonus')).toEqual([
      { delta: 120, kind: 'earn', rule: 'base_rate', reference: ref, reasonCode: 'invoice_paid' },
      { delta: 10, kind: 'bonus', rule: `renewal_bonus:${renewal}`, reference: ref, reasonCode: 'renewal_bonus' },
      { delta: 20, kind: 'bonus', rule: `annual_prepay_bonus:${annual}`, reference: ref, reasonCode: 'annual_prepay_bonus' },
    ]);
    expect((await member('r-bonus'))?.pointsAvailable).toBe(150);
  });

  it('earns line by line: product multipliers, exclusions, and the credit share spread over lines', async () => {
    await activate('product_multiplier'); // ×2 on dedicated-servers
    await activate('exclusion'); // domain-transfers earn nothing
    const res = await app
      .send(
        invoicePaid({
          client: { id: 'r-lines' },
          invoice: {
            total: '180.00',
            paid_from_credit: '36.00',
            items: [
              { type: 'new', product_group: 'dedicated-servers', amount: '100.00' },
              { type: 'renewal', product_group: 'shared-hosting', amount: '50.00' },
              { type: 'domain', product_group: 'domain-transfers', amount: '30.00' },
            ],
          },
        }),
      )
      .expect(200);
    // Credit 36.00 over 100/50/30 → 20/10/6; nets 80, 40, (24 excluded): base 120, ×2 adds 80.
    expect(res.body.points).toBe(200);
    expect((await entries('r-lines')).map((e) => [e.rule?.replace(/:\d+$/, ''), e.delta])).toEqual([
      ['base_rate', 120],
      ['product_multiplier', 80],
    ]);
  });

  it('an added rule takes effect at once (the program cache is dropped on write)', async () => {
    await app.send(invoicePaid({ client: { id: 'r-added' }, invoice: { total: '10.00', items: [{ type: 'upgrade', amount: '10.00' }] } })).expect(200);
    await add({ type: 'upgrade_bonus', params: { percent: 50 } });
    const res = await app.send(invoicePaid({ client: { id: 'r-added' }, invoice: { total: '10.00', items: [{ type: 'upgrade', amount: '10.00' }] } })).expect(200);
    expect(res.body.points).toBe(15);
  });

  it('refuses a rule that would not validate, naming the field', async () => {
    await expect(add({ type: 'product_multiplier', params: { multiplier: '0.5', product_groups: ['x'] } })).rejects.toMatchObject({
      fields: [{ path: 'params.multiplier', message: expect.stringContaining('more than 1') }],
    });
  });

  it('an invalid stored rule is a configuration error with help, and no event earns by it', async () => {
    const [id] = await app.plugin.db.knex('loyalty_rules').insert({
      type: 'renewal_bonus',
      params: '{"percent": "ten"}',
      active: true,
      created_at: app.clock.now(),
      updated_at: app.clock.now(),
    });
    await program().update({}); // drops the cache, as any admin write does
    try {
      await expect(program().current()).rejects.toThrow(ConfigError);
      await expect(program().current()).rejects.toMatchObject({ help: expect.stringContaining('loyalty_rules') });
      const before = await tableCounts(app.plugin);
      const res = await app.send(invoicePaid({ client: { id: 'r-bad' } })).expect(500);
      expect(res.body).toMatchObject({ error: 'config_invalid', message: expect.stringContaining(`#${id} (renewal_bonus)`) });
      expect(await tableCounts(app.plugin)).toEqual(before);
    } finally {
      await app.plugin.db.knex('loyalty_rules').where({ id }).delete();
      await program().update({});
    }
  });

  describe('signup bonus on client.created, once per member', () => {
    it('is given on enrolment; a replay or a new event id for the same client gives nothing more', async () => {
      await activate('signup');
      const event = clientEvent('client.created', 'r-signup');
      const first = await app.send(event).expect(200);
      expect(first.body).toEqual({ event: event.id, outcome: 'applied', points: 50, detail: 'enrolled' });
      const before = await tableCounts(app.plugin);
      const replay = await app.send(event).expect(200);
      expect(replay.body).toEqual({ event: event.id, outcome: 'duplicate', first_outcome: 'applied', points: 50, detail: 'enrolled' });
      expect(await tableCounts(app.plugin)).toEqual(before);
      const again = await app.send(clientEvent('client.created', 'r-signup')).expect(200);
      expect(again.body).toMatchObject({ outcome: 'applied', points: 0, detail: 'already_enrolled' });
      expect(await entries('r-signup')).toEqual([
        { delta: 50, kind: 'bonus', rule: expect.stringMatching(/^signup:\d+$/), reference: null, reasonCode: 'signup' },
      ]);
      // Spendable at once: there is no payment behind it to refund.
      expect(await member('r-signup')).toMatchObject({ pointsAvailable: 50, pointsPending: 0 });
    });

    it('reaches a member first seen on an invoice, once', async () => {
      await activate('signup');
      await app.send(invoicePaid({ client: { id: 'r-late' } })).expect(200);
      expect((await app.send(clientEvent('client.created', 'r-late')).expect(200)).body.points).toBe(50);
      expect((await app.send(clientEvent('client.created', 'r-late')).expect(200)).body.points).toBe(0);
      expect((await member('r-late'))?.pointsAvailable).toBe(170);
    });

    it('is nothing while the rule is off', async () => {
      const res = await app.send(clientEvent('client.created', 'r-nosignup')).expect(200);
      expect(res.body.points).toBe(0);
    });
  });

  describe('first-purchase bonus', () => {
    it('is given with the first paid invoice and never again', async () => {
      await activate('first_purchase');
      const first = await app.send(invoicePaid({ client: { id: 'r-first' } })).expect(200);
      expect(first.body.points).toBe(220);
      const second = await app.send(invoicePaid({ client: { id: 'r-first' } })).expect(200);
      expect(second.body.points).toBe(120);
      expect((await entries('r-first')).filter((e) => e.reasonCode === 'first_purchase')).toHaveLength(1);
    });

    it('is not given to a member whose first purchase came before the rule was on', async () => {
      await app.send(invoicePaid({ client: { id: 'r-old' } })).expect(200);
      await activate('first_purchase');
      expect((await app.send(invoicePaid({ client: { id: 'r-old' } })).expect(200)).body.points).toBe(120);
    });

    it('waits for an invoice that earns: one paid all from credit is not a purchase', async () => {
      await activate('first_purchase');
      const credit = await app.send(invoicePaid({ client: { id: 'r-credit' }, invoice: { paid_from_credit: '120.00' } })).expect(200);
      expect(credit.body).toMatchObject({ points: 0, detail: 'below_one_point' });
      expect((await app.send(invoicePaid({ client: { id: 'r-credit' } })).expect(200)).body.points).toBe(220);
    });

    it('in a currency without a rate, nothing is given and the response says why', async () => {
      await activate('first_purchase');
      const res = await app
        .send(invoicePaid({ client: { id: 'r-vnd', currency: 'VND' }, invoice: { currency: 'VND', total: '250000', paid_from_credit: '0', items: [] } }))
        .expect(200);
      expect(res.body).toMatchObject({ points: 0, detail: 'no_earn_rate' });
    });
  });

  describe('caps across events', () => {
    it('cuts a rule at its cap per member per UTC day, and starts again the next day', async () => {
      const id = await add({ type: 'renewal_bonus', params: { percent: 100 }, cap: { points: 150, period: 'day' } });
      const renewal = (clientId: string) => invoicePaid({ client: { id: clientId }, invoice: { total: '100.00', items: [{ type: 'renewal', amount: '100.00' }] } });
      const bonus = async (clientId: string) => (await app.send(renewal(clientId)).expect(200)).body.points - 100;
      expect(await bonus('r-cap')).toBe(100);
      expect(await bonus('r-cap')).toBe(50);
      expect(await bonus('r-cap')).toBe(0);
      // Another member has their own cap.
      expect(await bonus('r-cap-other')).toBe(100);
      const start = app.clock.current;
      app.clock.current = new Date('2026-11-24T00:00:00.000Z');
      try {
        expect(await bonus('r-cap')).toBe(100);
      } finally {
        app.clock.current = start;
      }
      const given = (await entries('r-cap')).filter((e) => e.rule === `renewal_bonus:${id}`).map((e) => e.delta);
      expect(given).toEqual([100, 50, 100]);
    });
  });

  describe('promo windows over HTTP (start inclusive, end exclusive)', () => {
    it.each([
      ['at the start instant', '2026-11-20T00:00:00.000Z', 240],
      ['1 ms before the end', '2026-11-21T23:59:59.999Z', 240],
      ['at the end instant', '2026-11-22T00:00:00.000Z', 120],
      ['1 ms before the start', '2026-11-19T23:59:59.999Z', 120],
    ])('a purchase %s', async (_name, occurredAt, points) => {
      const id = await add({
        type: 'promo',
        params: { multiplier: '2', label: 'Double points weekend' },
        startsAt: new Date('2026-11-20T00:00:00.000Z'),
        endsAt: new Date('2026-11-22T00:00:00.000Z'),
      });
      try {
        const res = await app.send(invoicePaid({ client: { id: `r-promo-${occurredAt}` }, occurred_at: occurredAt })).expect(200);
        expect(res.body.points).toBe(points);
      } finally {
        await program().setRuleActive(id, false);
      }
    });
  });

  it('invoice awards stay pending for the refund window, each with its own lot', async () => {
    await program().update({ refund_window_days: 14 });
    try {
      await activate('renewal_bonus');
      await app.send(invoicePaid({ client: { id: 'r-pending' } })).expect(200);
      const m = await member('r-pending');
      expect(m).toMatchObject({ pointsAvailable: 0, pointsPending: 130 });
      const lots = await app.plugin.db.knex('loyalty_lots').where({ member_id: m!.id }).orderBy('id');
      expect(lots.map((l) => Number(l.points))).toEqual([120, 10]);
      expect(lots.map((l) => new Date(l.available_at).toISOString())).toEqual(['2026-12-06T10:15:00.000Z', '2026-12-06T10:15:00.000Z']);
    } finally {
      await program().update({ refund_window_days: 0 });
    }
  });
});
