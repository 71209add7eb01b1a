import { randomBytes } from 'node:crypto';
import { adminAgent, auditRows, csrfOf, type AdminAgent } from '../support/admin';
import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';
import { TestPanel } from '../support/test-panel';

const key = () => randomBytes(12).toString('base64url');

describe('admin: redemptions, cancel and retry', () => {
  let app: TestApp;
  let billing: AdminAgent;
  let fixedId = 0;
  const panel = new TestPanel();

  const member = (clientId: string) => app.plugin.db.repos.members.findByPanelClientId(clientId);
  const earn = async (clientId: string, total: string) => {
    await app.send(invoicePaid({ client: { id: clientId, name: `Member ${clientId}` }, invoice: { id: `inv-${key()}`, total, items: [{ type: 'renewal', amount: total }] } })).expect(200);
  };
  const redeem = async (clientId: string) => {
    const result = await app.plugin.services.redemptions.redeem(clientId, { rewardId: fixedId, idempotencyKey: key() });
    if (!result.ok) throw new Error(result.refusal);
    return result.redemption;
  };
  /** Posts with the session's CSRF token (from a page that always has forms: a member's, for billing). */
  const post = async (path: string) => {
    const m = await member('list-1');
    const page = (await billing.get(`/admin/members/${m?.id}`).expect(200)).text;
    return billing.post(path).type('form').send({ _csrf: csrfOf(page) });
  };
  const redemption = async (id: number) => app.plugin.db.knex('loyalty_redemptions').where({ id }).first();
  const outboxOf = async (id: number) => app.plugin.db.knex('loyalty_outbox').where({ idempotency_key: (await redemption(id)).action_key }).first();

  beforeAll(async () => {
    app = await startTestApp({ panelApi: panel });
    fixedId = (await app.plugin.db.repos.rewards.list()).find((r) => r.costPoints === 500)?.id ?? 0;
    billing = await adminAgent(app, 'billing');
    // Something for the list to show before the tests add theirs.
    await earn('list-1', '600.00');
  });
  beforeEach(() => {
    panel.refuse = false;
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  it('lists redemptions newest first and filters by state, member and date', async () => {
    const r = await redeem('list-1');
    const all = (await billing.get('/admin/redemptions').expect(200)).text;
    expect(all).toContain(`data-id="${r.id}"`);
    expect((await billing.get('/admin/redemptions?state=pending&member=list-1').expect(200)).text).toContain(`data-id="${r.id}"`);
    expect((await billing.get('/admin/redemptions?state=applied').expect(200)).text).not.toContain(`data-id="${r.id}"`);
    expect((await billing.get('/admin/redemptions?member=nobody').expect(200)).text).toContain('data-testid="redemptions-empty"');
    const day = app.clock.now().toISOString().slice(0, 10);
    expect((await billing.get(`/admin/redemptions?from=${day}&to=${day}`).expect(200)).text).toContain(`data-id="${r.id}"`);
    expect((await billing.get('/admin/redemptions?from=2020-01-01&to=2020-01-02').expect(200)).text).not.toContain(`data-id="${r.id}"`);
    expect((await billing.get(`/admin/redemptions?from=${day}&to=9999-12-31`).expect(200)).text).toContain(`data-id="${r.id}"`);
    const bad = await billing.get('/admin/redemptions?state=lost&from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('state');
  });

  it('cancels a pending redemption: points and stock back, the action withdrawn, an audit row; a second cancel is refused', async () => {
    await earn('cx-1', '700.00');
    const before = await member('cx-1');
    const r = await redeem('cx-1');
    expect(await member('cx-1')).toMatchObject({ pointsAvailable: (before?.pointsAvailable ?? 0) - 500 });
    const res = await post(`/admin/redemptions/${r.id}/cancel`);
    expect(res.status).toBe(303);
    expect(await member('cx-1')).toMatchObject({ pointsAvailable: before?.pointsAvailable });
    expect(await redemption(r.id)).toMatchObject({ state: 'cancelled' });
    expect(await outboxOf(r.id)).toMatchObject({ state: 'cancelled' });
    expect((await auditRows(app)).filter((a) => a.action === 'redemptions.cancel' && a.target === `redemption:${r.id}`)).toHaveLength(1);
    const ledger = await app.plugin.db.knex('loyalty_ledger').count({ n: '*' }).first();
    const again = await post(`/admin/redemptions/${r.id}/cancel`);
    expect(again.status).toBe(409);
    expect(await app.plugin.db.knex('loyalty_ledger').count({ n: '*' }).first()).toEqual(ledger);
    await app.plugin.jobs.dispatchOutbox();
    expect(panel.applied.filter((c) => c.idempotencyKey === r.actionKey)).toHaveLength(0);
  });

  it('refuses to cancel once a dispatcher has claimed the action; the redemption then ends applied', async () => {
    await earn('cx-2', '700.00');
    const r = await redeem('cx-2');
    await app.plugin.db.repos.outbox.claimDue(app.clock.now(), 500, 60_000);
    const res = await post(`/admin/redemptions/${r.id}/cancel`);
    expect(res.status).toBe(409);
    expect(await redemption(r.id)).toMatchObject({ state: 'pending' });
  });

  it('a cancel racing the dispatcher ends one way only: cancelled and never sent, or sent and applied', async () => {
    for (let i = 0; i < 6; i++) {
      const clientId = `race-${i}`;
      await earn(clientId, '700.00');
      const start = await member(clientId);
      const r = await redeem(clientId);
      const [cancel] = await Promise.all([post(`/admin/redemptions/${r.id}/cancel`), app.plugin.jobs.dispatchOutbox()]);
      const state = (await redemption(r.id)).state;
      const sent = panel.applied.filter((c) => c.idempotencyKey === r.actionKey).length;
      if (cancel.status === 303) {
        expect({ state, sent }).toEqual({ state: 'cancelled', sent: 0 });
        expect(await member(clientId)).toMatchObject({ pointsAvailable: start?.pointsAvailable });
      } else {
        expect(cancel.status).toBe(409);
        expect({ state, sent }).toEqual({ state: 'applied', sent: 1 });
      }
    }
  });

  it("retries a failed redemption's action: the points are taken again and it is delivered once", async () => {
    await earn('rt-1', '700.00');
    const start = await member('rt-1');
    const r = await redeem('rt-1');
    panel.refuse = true;
    await app.plugin.jobs.dispatchOutbox();
    expect(await redemption(r.id)).toMatchObject({ state: 'failed' });
    expect(await member('rt-1')).toMatchObject({ pointsAvailable: start?.pointsAvailable });
    panel.refuse = false;
    const res = await post(`/admin/redemptions/${r.id}/retry`);
    expect(res.status).toBe(303);
    expect(await redemption(r.id)).toMatchObject({ state: 'pending' });
    expect(await member('rt-1')).toMatchObject({ pointsAvailable: (start?.pointsAvailable ?? 0) - 500 });
    expect(await outboxOf(r.id)).toMatchObject({ state: 'pending', attempts: 0 });
    expect((await post(`/admin/redemptions/${r.id}/retry`)).status).toBe(409);
    await app.plugin.jobs.dispatchOutbox();
    expect(await redemption(r.id)).toMatchObject({ state: 'applied' });
    expect(panel.applied.filter((c) => c.idempotencyKey === r.actionKey)).toHaveLength(1);
    expect((await auditRows(app)).filter((a) => a.action === 'outbox.retry' && a.target === `redemption:${r.id}`)).toHaveLength(1);
  });

  it('refuses a retry the member can no longer pay for, writing nothing', async () => {
    await earn('rt-2', '500.00');
    const r = await redeem('rt-2');
    panel.refuse = true;
    await app.plugin.jobs.dispatchOutbox();
    const m = await member('rt-2');
    await app.plugin.db.transaction(async (tx) => {
      const { MemberAccount } = await import('../../plugin/services/member-account');
      await (await MemberAccount.lock(tx, { id: m?.id ?? 0 }))?.debit({ kind: 'adjust', points: 400, reasonCode: 'test', reducesLifetime: false, debtPolicy: 'debt' });
    });
    const audit = (await auditRows(app)).length;
    const res = await post(`/admin/redemptions/${r.id}/retry`);
    expect(res.status).toBe(422);
    expect(await redemption(r.id)).toMatchObject({ state: 'failed' });
    expect(await outboxOf(r.id)).toMatchObject({ state: 'failed' });
    expect((await auditRows(app)).length).toBe(audit);
  });

  it("refuses a retry past the reward's stock or the member's limit, saying which, writing nothing", async () => {
    const rewards = app.plugin.db.repos.rewards;
    const failed = async (clientId: string) => {
      const r = await redeem(clientId);
      panel.refuse = true;
      await app.plugin.jobs.dispatchOutbox();
      panel.refuse = false;
      expect(await redemption(r.id)).toMatchObject({ state: 'failed' });
      return r;
    };
    try {
      // One left: A's redemption fails and gives it back, B takes it; A's retry would oversell.
      await rewards.update(fixedId, { stock: 1 }, app.clock.now());
      await earn('st-a', '600.00');
      await earn('st-b', '600.00');
      const a = await failed('st-a');
      await redeem('st-b');
      const audit = (await auditRows(app)).length;
      const soldOut = await post(`/admin/redemptions/${a.id}/retry`);
      expect(soldOut.status).toBe(422);
      expect(soldOut.text).toContain('The reward is out of stock.');
      expect(await redemption(a.id)).toMatchObject({ state: 'failed' });
      expect(await member('st-a')).toMatchObject({ pointsAvailable: 600 });
      expect((await rewards.find(fixedId))?.stock).toBe(0);

      // One in total: the failed one counts for nothing, so the member redeemed again; retrying the first would make two.
      await rewards.update(fixedId, { stock: null, limitTotal: 1 }, app.clock.now());
      await earn('lim-1', '1100.00');
      const first = await failed('lim-1');
      await redeem('lim-1');
      const overLimit = await post(`/admin/redemptions/${first.id}/retry`);
      expect(overLimit.status).toBe(422);
      expect(overLimit.text).toContain('The member has reached this reward’s limit.');
      expect(await redemption(first.id)).toMatchObject({ state: 'failed' });
      expect((await auditRows(app)).length).toBe(audit);
    } finally {
      await rewards.update(fixedId, { stock: null, limitTotal: null }, app.clock.now());
    }
  });

  it("retries a failed account credit from the member's page", async () => {
    await earn('rt-3', '10.00');
    const m = await member('rt-3');
    const page = (await billing.get(`/admin/members/${m?.id}`).expect(200)).text;
    const creditKey = /data-testid="credit-form">[\s\S]*?name="key" value="([^"]+)"/.exec(page)?.[1];
    await billing.post(`/admin/members/${m?.id}/credit`).type('form').send({ _csrf: csrfOf(page), key: creditKey, amount: '3.00', currency: 'USD', reason: 'sorry' }).expect(303);
    panel.refuse = true;
    await app.plugin.jobs.dispatchOutbox();
    const row = await app.plugin.db.knex('loyalty_outbox').where({ idempotency_key: `admin-credit:${creditKey}` }).first();
    expect(row.state).toBe('failed');
    panel.refuse = false;
    const again = (await billing.get(`/admin/members/${m?.id}`).expect(200)).text;
    expect(again).toContain(`/admin/members/${m?.id}/actions/${row.id}/retry`);
    // Not from another member's page.
    const other = await member('list-1');
    await billing.post(`/admin/members/${other?.id}/actions/${row.id}/retry`).type('form').send({ _csrf: csrfOf(again) }).expect(404);
    expect(await app.plugin.db.knex('loyalty_outbox').where({ id: row.id }).first()).toMatchObject({ state: 'failed' });
    await billing.post(`/admin/members/${m?.id}/actions/${row.id}/retry`).type('form').send({ _csrf: csrfOf(again) }).expect(303);
    await app.plugin.jobs.dispatchOutbox();
    expect(await app.plugin.db.knex('loyalty_outbox').where({ id: row.id }).first()).toMatchObject({ state: 'sent' });
  });
});
