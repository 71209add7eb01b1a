import { up as seedBaseRule } from '../../migrations/20261124000500_seed_base_rule';
import type { BaseRuleSetting } from '../../plugin/domain/program';
import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';

/** The base rate's on/off, window and cap (setting base_rule), over signed webhook events. */
describe('base rate switch, window and cap', () => {
  let app: TestApp;
  const SEEDED = { active: true, starts_at: null, ends_at: null, cap: null };
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());
  afterEach(async () => {
    await expectBalancesConsistent(app.plugin);
    await setBase(SEEDED);
    for (const r of await app.plugin.db.repos.rules.all()) if (r.active) await app.plugin.services.program.setRuleActive(r.id, false);
  });

  const start = new Date('2026-11-23T12:00:00Z');
  beforeEach(() => {
    app.clock.current = start;
  });
  const setBase = (value: BaseRuleSetting) => app.plugin.services.program.update({ base_rule: value });
  const member = (clientId: string) => app.plugin.db.repos.members.findByPanelClientId(clientId);
  const entries = async (clientId: string) => {
    const m = await member(clientId);
    if (!m) return [];
    const rows = await app.plugin.db.knex('loyalty_ledger').where({ member_id: m.id }).andWhere('delta', '>', 0).orderBy('id');
    return rows.map((r): [string, number] => [String(r.rule).replace(/:\d+$/, ''), Number(r.delta)]);
  };
  const activate = async (type: string) => {
    const row = (await app.plugin.db.repos.rules.all()).find((r) => r.type === type);
    await app.plugin.services.program.setRuleActive(row!.id, true);
  };
  const pay = async (clientId: string, more: { occurred_at?: string } = {}) => (await app.send(invoicePaid({ client: { id: clientId }, ...more })).expect(200)).body;

  it('is seeded on, with no window and no cap, once: running the migration again changes nothing', async () => {
    const rows = () => app.plugin.db.knex('loyalty_settings').where({ key: 'base_rule' });
    expect((await rows()).map((r) => JSON.parse(r.value))).toEqual([SEEDED]);
    await setBase({ active: false });
    await seedBaseRule(app.plugin.db.knex);
    await seedBaseRule(app.plugin.db.knex);
    // Still one row, and the provider's own value is kept.
    expect((await rows()).map((r) => JSON.parse(r.value))).toEqual([{ active: false, starts_at: null, ends_at: null, cap: null }]);
    expect((await app.plugin.services.program.current()).baseRule).toEqual({ active: false, startsAt: null, endsAt: null, cap: null });
  });

  it('switched off, invoices earn no base points and nothing built on them; switched on again, as before', async () => {
    await activate('renewal_bonus');
    await activate('annual_prepay_bonus');
    expect((await pay('b-toggle')).points).toBe(150);

    await setBase({ active: false });
    const off = await pay('b-toggle');
    expect(off).toMatchObject({ outcome: 'applied', points: 0, detail: 'base_rate_off' });

    await setBase({ active: true });
    expect((await pay('b-toggle')).points).toBe(150);
    expect(await entries('b-toggle')).toEqual([
      ['base_rate', 120],
      ['renewal_bonus', 10],
      ['annual_prepay_bonus', 20],
      ['base_rate', 120],
      ['renewal_bonus', 10],
      ['annual_prepay_bonus', 20],
    ]);
    expect((await member('b-toggle'))?.pointsAvailable).toBe(300);
  });

  it('off, a fixed first-purchase bonus (its own rule) is still given', async () => {
    await activate('first_purchase');
    await setBase({ active: false });
    expect((await pay('b-first')).points).toBe(100);
    expect(await entries('b-first')).toEqual([['first_purchase', 100]]);
  });

  it('earns only inside its window [start, end), judged at the purchase instant', async () => {
    await setBase({ active: true, starts_at: '2026-11-22T10:15:00.000Z', ends_at: '2026-11-23T00:00:00.000Z' });
    expect((await pay('b-window', { occurred_at: '2026-11-22T10:14:59.999Z' })).points).toBe(0);
    expect((await pay('b-window', { occurred_at: '2026-11-22T10:15:00.000Z' })).points).toBe(120);
    expect((await pay('b-window', { occurred_at: '2026-11-22T23:59:59.999Z' })).points).toBe(120);
    expect((await pay('b-window', { occurred_at: '2026-11-23T00:00:00.000Z' })).points).toBe(0);
    expect(await entries('b-window')).toEqual([
      ['base_rate', 120],
      ['base_rate', 120],
    ]);
  });

  it('capped per member per UTC day: stops mid-invoice at the cap, and starts again the next day', async () => {
    await setBase({ active: true, cap: { points: 150, period: 'day' } });
    expect((await pay('b-cap')).points).toBe(120);
    expect((await pay('b-cap')).points).toBe(30);
    expect(await pay('b-cap')).toMatchObject({ points: 0, detail: 'below_one_point' });
    // Another member has their own cap.
    expect((await pay('b-cap-other')).points).toBe(120);
    app.clock.current = new Date('2026-11-24T00:00:00.000Z');
    expect((await pay('b-cap')).points).toBe(120);
    expect((await pay('b-cap')).points).toBe(30);
    expect(await entries('b-cap')).toEqual([
      ['base_rate', 120],
      ['base_rate', 30],
      ['base_rate', 120],
      ['base_rate', 30],
    ]);
    const cut = await app.plugin.db.knex('loyalty_ledger').where({ rule: 'base_rate', delta: 30 }).first();
    expect(JSON.parse(cut.reason_params)).toMatchObject({ capped: 1 });

    // Uncapped again: the base earns in full, same day.
    await setBase({ active: true });
    await pay('b-cap');
    expect((await entries('b-cap')).filter(([rule]) => rule === 'base_rate').pop()).toEqual(['base_rate', 120]);
  });

  it('a cap counts base entries already in the ledger, made before the cap existed', async () => {
    expect((await pay('b-cap-late')).points).toBe(120);
    await setBase({ active: true, cap: { points: 200, period: 'month' } });
    expect((await pay('b-cap-late')).points).toBe(80);
    expect((await pay('b-cap-late')).points).toBe(0);
    app.clock.current = new Date('2026-12-01T00:00:00.000Z');
    expect((await pay('b-cap-late')).points).toBe(120);
  });

  it('the Rewards tab reflects it: no base line when off, a cap note when capped', async () => {
    await pay('b-view');
    const howToEarn = async () => (await app.plugin.presenters.rewardsTab.build('b-view')).model.howToEarn;
    const BASE = '1 point for every $1.00 you pay';
    expect(await howToEarn()).toContain(BASE);
    await setBase({ active: true, cap: { points: 1000, period: 'month' } });
    expect(await howToEarn()).toContain(`${BASE} (up to 1,000 points a month)`);
    await setBase({ active: false });
    expect((await howToEarn()).some((l) => l.includes('for every'))).toBe(false);
    // Not enrolled yet (currency unknown): the all-currency rate lines go too.
    expect((await app.plugin.presenters.rewardsTab.build('b-nobody')).model.howToEarn.some((l) => l.includes('for every'))).toBe(false);
  });
});
