import { randomBytes } from 'node:crypto';
import type { PanelCapabilities } from '../../plugin/domain/panel-actions';
import { PanelError } from '../../plugin/errors';
import type { PanelActionCall, PanelApi, PanelResult } from '../../plugin/panels/panel-api';
import { expectBalancesConsistent, invoicePaid, startTestApp, tableCounts, type TestApp } from '../support/harness';

/** A panel whose answer each test sets: it records what it applied, or refuses for good. */
class TestPanel implements PanelApi {
  readonly name = 'test';
  readonly capabilities: PanelCapabilities = { invoiceDiscount: true, clientTier: true, credit: true, email: false, promoCode: true };
  readonly applied: PanelActionCall[] = [];
  refuse = false;
  async perform(call: PanelActionCall): Promise<PanelResult> {
    if (this.refuse) throw new PanelError('panel_refused', { message: 'credit refused', retryable: false });
    this.applied.push(call);
    return { reference: `credit-${this.applied.length}` };
  }
}

const DAY = 86_400_000;
const key = () => randomBytes(12).toString('base64url');

describe('redemption', () => {
  let app: TestApp;
  const panel = new TestPanel();
  let fixedId = 0;
  let flexibleId = 0;

  beforeAll(async () => {
    app = await startTestApp({ panelApi: panel });
    const rewards = await app.plugin.db.repos.rewards.list();
    fixedId = rewards.find((r) => r.costPoints === 500)?.id ?? 0;
    flexibleId = rewards.find((r) => r.stepPoints === 100)?.id ?? 0;
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const redeem = (clientId: string, input: { rewardId?: number; points?: number; idempotencyKey?: string } = {}) =>
    app.plugin.services.redemptions.redeem(clientId, { rewardId: input.rewardId ?? fixedId, points: input.points, idempotencyKey: input.idempotencyKey ?? key() });
  const member = (clientId: string) => app.plugin.db.repos.members.findByPanelClientId(clientId);
  /** A member with `total` points earned on one invoice (USD 1 point per 1.00). */
  const earn = async (clientId: string, total: string, program = {}, invoiceId = `inv-${key()}`) => {
    await app.plugin.services.program.update({ refund_window_days: 0, ...program });
    await app.send(invoicePaid({ client: { id: clientId }, invoice: { id: invoiceId, total, items: [{ type: 'renewal', amount: total }] } })).expect(200);
  };

  it('seeds a catalog that works out of the box: a fixed credit and credit in steps', () => {
    expect(fixedId).toBeGreaterThan(0);
    expect(flexibleId).toBeGreaterThan(0);
  });

  it('spends points, queues the credit with the redemption key, and applies it once', async () => {
    await earn('r-1', '1200.00');
    const k = key();
    const result = await redeem('r-1', { idempotencyKey: k });
    expect(result).toMatchObject({ ok: true, repeated: false, redemption: { points: 500, value: { currency: 'USD', minor: 500 }, state: 'pending' } });
    expect(await member('r-1')).toMatchObject({ pointsAvailable: 700, pointsLifetime: 1200 });
    const outbox = await app.plugin.db.repos.outbox.findByKey(`redemption:${k}`);
    expect(outbox).toMatchObject({ action: 'client.credit', state: 'pending', payload: { clientId: 'r-1', amount: { currency: 'USD', minor: 500 } } });
    expect((outbox?.payload as { description: string }).description).toContain('5.00 account credit');

    await app.plugin.jobs.dispatchOutbox();
    expect(panel.applied.filter((c) => c.idempotencyKey === `redemption:${k}`)).toHaveLength(1);
    const again = await redeem('r-1', { idempotencyKey: k });
    expect(again).toMatchObject({ ok: true, repeated: true, redemption: { state: 'applied', panelReference: expect.stringMatching(/^credit-/) } });
    expect(await member('r-1')).toMatchObject({ pointsAvailable: 700 });
  });

  it('redeems any amount of credit in steps', async () => {
    await earn('r-flex', '1000.00');
    expect(await redeem('r-flex', { rewardId: flexibleId, points: 300 })).toMatchObject({ ok: true, redemption: { points: 300, value: { minor: 300 } } });
    expect(await redeem('r-flex', { rewardId: flexibleId, points: 250 })).toEqual({ ok: false, refusal: 'invalid_points' });
    expect((await member('r-flex'))?.pointsAvailable).toBe(700);
  });

  it('a refusal names why and writes nothing, not even the expiry it looked at', async () => {
    await earn('r-poor', '300.00', { points_expiry_months: 1 });
    app.clock.advance(40 * DAY);
    try {
      const before = await tableCounts(app.plugin);
      expect(await redeem('r-poor')).toEqual({ ok: false, refusal: 'not_enough_points', needed: 500 });
      expect(await tableCounts(app.plugin)).toEqual(before);
      expect((await member('r-poor'))?.pointsAvailable).toBe(300);
    } finally {
      app.clock.advance(-40 * DAY);
      await app.plugin.services.program.update({ points_expiry_months: 12 });
    }
  });

  it('never spends pending points or points past their expiry', async () => {
    await earn('r-pending', '800.00', { refund_window_days: 14 });
    expect(await redeem('r-pending')).toMatchObject({ ok: false, refusal: 'not_enough_points' });
    await earn('r-expired', '800.00', { points_expiry_months: 1 });
    app.clock.advance(40 * DAY);
    try {
      expect(await redeem('r-expired')).toMatchObject({ ok: false, refusal: 'not_enough_points', needed: 500 });
    } finally {
      app.clock.advance(-40 * DAY);
      await app.plugin.services.program.update({ points_expiry_months: 12, refund_window_days: 0 });
    }
  });

  it('refuses a member in debt', async () => {
    await earn('r-debt', '600.00', {}, 'DEBT-1');
    expect(await redeem('r-debt', { rewardId: flexibleId, points: 600 })).toMatchObject({ ok: true });
    // The invoice that earned the spent points is refunded: the debt policy leaves -600.
    const refund = { id: `test:refund:${key()}`, type: 'invoice.refunded', occurred_at: '2026-11-23T12:00:00Z', client: { id: 'r-debt' } };
    await app.send({ ...refund, invoice: { id: 'DEBT-1', currency: 'USD', total: '600.00', refunded: '600.00' } }).expect(200);
    await earn('r-debt', '100.00');
    expect((await member('r-debt'))?.pointsAvailable).toBeLessThan(0);
    expect(await redeem('r-debt', { rewardId: flexibleId, points: 100 })).toEqual({ ok: false, refusal: 'in_debt' });
  });

  it('a client not enrolled yet is refused for the reason the catalog gives them, writing nothing', async () => {
    const before = await tableCounts(app.plugin);
    expect(await redeem('r-never-enrolled')).toEqual({ ok: false, refusal: 'no_value_in_currency' });
    expect(await redeem('r-never-enrolled', { rewardId: 999_999 })).toEqual({ ok: false, refusal: 'reward_unavailable' });
    expect(await tableCounts(app.plugin)).toEqual(before);
  });

  it('no overspend: 100 parallel redemptions against a balance that covers 10', async () => {
    await earn('r-race', '1000.00');
    const results = await Promise.all(Array.from({ length: 100 }, () => redeem('r-race', { rewardId: flexibleId, points: 100 })));
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.refusal === 'not_enough_points')).toBe(true);
    expect(await member('r-race')).toMatchObject({ pointsAvailable: 0 });
  });

  it('exactly once: the same confirmation submitted 20 times at once is one redemption and one panel action', async () => {
    await earn('r-twice', '2000.00');
    const k = key();
    const results = await Promise.all(Array.from({ length: 20 }, () => redeem('r-twice', { idempotencyKey: k })));
    const ids = new Set(results.map((r) => (r.ok ? r.redemption.id : null)));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.ok && !r.repeated)).toHaveLength(1);
    expect(await member('r-twice')).toMatchObject({ pointsAvailable: 1500 });
    const actions = await app.plugin.db.knex('loyalty_outbox').where({ idempotency_key: `redemption:${k}` }).count({ n: '*' }).first();
    expect(Number(actions?.n)).toBe(1);
  });

  it('a key of another member is a conflict, not their redemption', async () => {
    await earn('r-own', '600.00');
    await earn('r-other', '600.00');
    const k = key();
    await redeem('r-own', { idempotencyKey: k });
    await expect(redeem('r-other', { idempotencyKey: k })).rejects.toMatchObject({ status: 409, code: 'redemption_key_conflict' });
    expect((await member('r-other'))?.pointsAvailable).toBe(600);
  });

  it('bad input names the field and writes nothing', async () => {
    const before = await tableCounts(app.plugin);
    await expect(app.plugin.services.redemptions.redeem('r-1', { rewardId: 0, idempotencyKey: 'short' })).rejects.toMatchObject({
      status: 422,
      fields: [
        { path: 'reward', message: expect.any(String) },
        { path: 'key', message: expect.any(String) },
      ],
    });
    expect(await tableCounts(app.plugin)).toEqual(before);
  });

  it('a panel that refuses for good gets the points back once, with their expiry kept', async () => {
    await earn('r-fail', '700.00');
    const lotsBefore = await app.plugin.db.knex('loyalty_lots').join('loyalty_members', 'loyalty_members.id', 'loyalty_lots.member_id').where('loyalty_members.panel_client_id', 'r-fail').select('expires_at');
    const k = key();
    await redeem('r-fail', { idempotencyKey: k });
    panel.refuse = true;
    try {
      await app.plugin.jobs.dispatchOutbox();
      await app.plugin.jobs.dispatchOutbox();
    } finally {
      panel.refuse = false;
    }
    const m = await member('r-fail');
    expect(m).toMatchObject({ pointsAvailable: 700, pointsLifetime: 700 });
    const redemption = await app.plugin.db.repos.redemptions.findByKey(k);
    expect(redemption?.state).toBe('failed');
    const entries = await app.plugin.db.knex('loyalty_ledger').where({ member_id: m?.id, reference: `redemption:${k}` }).orderBy('id');
    expect(entries.map((e) => [e.kind, Number(e.delta), e.reason_code])).toEqual([
      ['redeem', -500, 'redeemed'],
      ['reverse', 500, 'redemption_failed'],
    ]);
    const restored = await app.plugin.db.knex('loyalty_lots').where({ member_id: m?.id }).andWhere('remaining', '>', 0).select('expires_at');
    const expiry = (rows: Array<{ expires_at: unknown }>) => new Set(rows.map((r) => new Date(r.expires_at as string).getTime()));
    expect(expiry(restored)).toEqual(expiry(lotsBefore));
  });

  it('a promo code reward creates one single-use code in the panel, kept on the redemption', async () => {
    const promo = (await app.plugin.db.repos.rewards.list()).find((r) => r.kind === 'promo_code');
    if (!promo) throw new Error('no seeded promo reward');
    await app.plugin.db.repos.rewards.update(promo.id, { active: true }, app.clock.now());
    try {
      await earn('r-promo', '1200.00');
      const k = key();
      const result = await redeem('r-promo', { rewardId: promo.id, idempotencyKey: k });
      expect(result).toMatchObject({ ok: true, redemption: { points: 1000, state: 'pending', code: expect.stringMatching(/^RW-[A-Z2-9]{10}$/) } });
      const code = result.ok ? result.redemption.code : null;
      const action = await app.plugin.db.repos.outbox.findByKey(`redemption:${k}`);
      expect(action).toMatchObject({ action: 'promo.create', payload: { clientId: 'r-promo', code, discount: { type: 'percent', percent: 10 }, expiresAt: new Date(app.clock.now().getTime() + 90 * DAY).toISOString() } });
      await app.plugin.jobs.dispatchOutbox();
      expect(panel.applied.filter((c) => c.action === 'promo.create')).toHaveLength(1);
      expect(await app.plugin.db.repos.redemptions.findByKey(k)).toMatchObject({ state: 'applied', code });
      expect((await member('r-promo'))?.pointsAvailable).toBe(200);
    } finally {
      await app.plugin.db.repos.rewards.update(promo.id, { active: false }, app.clock.now());
    }
  });

  it('a perk delivered as a code is worth its value in the member’s currency', async () => {
    const perk = (await app.plugin.db.repos.rewards.list()).find((r) => r.kind === 'perk');
    if (!perk) throw new Error('no seeded perk');
    await app.plugin.db.repos.rewards.update(perk.id, { active: true }, app.clock.now());
    try {
      await earn('r-perk', '1600.00');
      const k = key();
      expect(await redeem('r-perk', { rewardId: perk.id, idempotencyKey: k })).toMatchObject({ ok: true, redemption: { value: { currency: 'USD', minor: 1500 } } });
      expect(await app.plugin.db.repos.outbox.findByKey(`redemption:${k}`)).toMatchObject({ action: 'promo.create', payload: { discount: { type: 'amount', amount: { currency: 'USD', minor: 1500 } } } });
    } finally {
      await app.plugin.db.repos.rewards.update(perk.id, { active: false }, app.clock.now());
    }
  });

  it('stock: the last unit goes to one member, and a failed redemption puts it back', async () => {
    await app.plugin.db.repos.rewards.update(fixedId, { stock: 1 }, app.clock.now());
    try {
      await earn('r-stock-1', '600.00');
      await earn('r-stock-2', '600.00');
      const [first, second] = await Promise.all([redeem('r-stock-1'), redeem('r-stock-2')]);
      expect([first, second].filter((r) => r.ok)).toHaveLength(1);
      expect([first, second].filter((r) => !r.ok && r.refusal === 'out_of_stock')).toHaveLength(1);
      expect((await app.plugin.db.repos.rewards.find(fixedId))?.stock).toBe(0);
      panel.refuse = true;
      try {
        await app.plugin.jobs.dispatchOutbox();
      } finally {
        panel.refuse = false;
      }
      expect((await app.plugin.db.repos.rewards.find(fixedId))?.stock).toBe(1);
    } finally {
      await app.plugin.db.knex('loyalty_rewards').where({ id: fixedId }).update({ stock: null });
    }
  });
  it("the per-month limit counts months in the program's time zone", async () => {
    await earn('tz-1', '2000.00', { time_zone: 'Europe/Berlin' });
    await app.plugin.db.repos.rewards.update(fixedId, { limitPerMonth: 1 }, app.clock.now());
    const was = app.clock.current;
    try {
      // 00:30 on 1 December in Berlin, then noon the same day: one December, one redemption.
      app.clock.current = new Date('2026-11-30T23:30:00Z');
      expect(await redeem('tz-1')).toMatchObject({ ok: true });
      app.clock.current = new Date('2026-12-01T12:00:00Z');
      expect(await redeem('tz-1')).toMatchObject({ ok: false, refusal: 'monthly_limit_reached' });
      // 23:30 UTC on 31 December is January there: a new month.
      app.clock.current = new Date('2026-12-31T23:30:00Z');
      expect(await redeem('tz-1')).toMatchObject({ ok: true });
    } finally {
      app.clock.current = was;
      await app.plugin.db.repos.rewards.update(fixedId, { limitPerMonth: null }, app.clock.now());
      await app.plugin.services.program.update({ time_zone: 'UTC' });
    }
  });
});
