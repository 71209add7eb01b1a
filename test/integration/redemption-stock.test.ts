import { randomBytes } from 'node:crypto';
import { migrations } from '../../migrations';
import { Database } from '../../plugin/db/database';
import { MIGRATIONS_TABLE, PluginMigrationSource } from '../../plugin/db/migration-source';
import { adminAgent, csrfOf, type AdminAgent } from '../support/admin';
import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';
import { addReward } from '../support/rewards';
import { insertOldMember } from '../support/old-schema';
import { createTestDatabase, type TestDatabase } from '../support/test-db';
import { TestPanel } from '../support/test-panel';

const key = () => randomBytes(12).toString('base64url');

/**
 * A failed or cancelled redemption gives back a unit of stock only if it took one: one made
 * while the reward was unlimited gives none to a reward the owner capped since, and a unit
 * taken comes back once, whichever of a cancel and a failure gets there first.
 */
describe('redemption stock', () => {
  let app: TestApp;
  let owner: AdminAgent;
  const panel = new TestPanel();

  beforeAll(async () => {
    app = await startTestApp({ panelApi: panel });
    owner = await adminAgent(app, 'owner');
  });
  beforeEach(() => {
    panel.refuse = false;
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const rewards = () => app.plugin.db.repos.rewards;
  const stockOf = async (id: number) => (await rewards().find(id))?.stock;
  const earn = async (clientId: string, total = '900.00') => {
    await app.send(invoicePaid({ client: { id: clientId }, invoice: { id: `inv-${key()}`, total, items: [{ type: 'renewal', amount: total }] } })).expect(200);
  };
  const redeem = async (clientId: string, rewardId: number) => {
    const result = await app.plugin.services.redemptions.redeem(clientId, { rewardId, idempotencyKey: key() });
    if (!result.ok) throw new Error(result.refusal);
    return result.redemption;
  };
  const cancel = async (id: number) => {
    const page = (await owner.get('/admin/redemptions').expect(200)).text;
    return owner.post(`/admin/redemptions/${id}/cancel`).type('form').send({ _csrf: csrfOf(page) });
  };
  const failAll = async () => {
    panel.refuse = true;
    try {
      await app.plugin.jobs.dispatchOutbox();
    } finally {
      panel.refuse = false;
    }
  };

  it('keeps whether the redemption took a unit: yes from a stocked reward, no from an unlimited one', async () => {
    const stocked = await addReward(app, { names: { en: 'Stocked' }, costPoints: 100, stock: 3 });
    const unlimited = await addReward(app, { names: { en: 'Unlimited' }, costPoints: 100, stock: null });
    await earn('took-1');
    expect(await redeem('took-1', stocked)).toMatchObject({ tookStock: true });
    expect(await redeem('took-1', unlimited)).toMatchObject({ tookStock: false });
    expect(await stockOf(stocked)).toBe(2);
    expect(await stockOf(unlimited)).toBeNull();
  });

  it('an admin cancelling a redemption made while stock was unlimited adds no unit to a reward capped at 0 since', async () => {
    const reward = await addReward(app, { names: { en: 'Perk' }, costPoints: 100, stock: null });
    await earn('cap-1');
    await earn('cap-2');
    const r = await redeem('cap-1', reward);
    await rewards().update(reward, { stock: 0 }, app.clock.now());
    expect((await cancel(r.id)).status).toBe(303);
    expect(await app.plugin.db.repos.redemptions.findById(r.id)).toMatchObject({ state: 'cancelled' });
    expect(await stockOf(reward)).toBe(0);
    expect(await app.plugin.services.redemptions.redeem('cap-2', { rewardId: reward, idempotencyKey: key() })).toEqual({ ok: false, refusal: 'out_of_stock' });
  });

  it('a panel failure of a redemption made while stock was unlimited adds no unit to a reward capped at 0 since', async () => {
    const reward = await addReward(app, { names: { en: 'Perk' }, costPoints: 100, stock: null });
    await earn('capf-1');
    await earn('capf-2');
    const r = await redeem('capf-1', reward);
    await rewards().update(reward, { stock: 0 }, app.clock.now());
    await failAll();
    expect(await app.plugin.db.repos.redemptions.findById(r.id)).toMatchObject({ state: 'failed' });
    expect(await stockOf(reward)).toBe(0);
    expect(await app.plugin.services.redemptions.redeem('capf-2', { rewardId: reward, idempotencyKey: key() })).toEqual({ ok: false, refusal: 'out_of_stock' });
  });

  it('a unit taken comes back on a cancel and on a failure, and stays unlimited if the reward became so', async () => {
    const reward = await addReward(app, { names: { en: 'Perk' }, costPoints: 100, stock: 2 });
    await earn('back-1');
    const cancelled = await redeem('back-1', reward);
    const failed = await redeem('back-1', reward);
    expect(await stockOf(reward)).toBe(0);
    expect((await cancel(cancelled.id)).status).toBe(303);
    expect(await stockOf(reward)).toBe(1);
    await failAll();
    expect(await app.plugin.db.repos.redemptions.findById(failed.id)).toMatchObject({ state: 'failed' });
    expect(await stockOf(reward)).toBe(2);

    const third = await redeem('back-1', reward);
    await rewards().update(reward, { stock: null }, app.clock.now());
    expect((await cancel(third.id)).status).toBe(303);
    expect(await stockOf(reward)).toBeNull();
  });

  it('a cancel racing the failure compensation gives the unit and the points back once', async () => {
    const reward = await addReward(app, { names: { en: 'Race' }, costPoints: 100, stock: 10 });
    const csrf = csrfOf((await owner.get('/admin/redemptions').expect(200)).text);
    for (let i = 0; i < 10; i++) {
      const clientId = `race-${i}`;
      await earn(clientId, '100.00');
      const stock = await stockOf(reward);
      const r = await redeem(clientId, reward);
      // The failure starts a little later every other round, so each side gets to go first.
      const fail = async () => {
        if (i % 2 === 1) await new Promise((resolve) => setTimeout(resolve, 5));
        await app.plugin.db.transaction((tx) => app.plugin.services.redemptions.failed(tx, { idempotencyKey: r.actionKey }));
      };
      const [cancelled] = await Promise.all([owner.post(`/admin/redemptions/${r.id}/cancel`).type('form').send({ _csrf: csrf }), fail()]);
      const state = (await app.plugin.db.repos.redemptions.findById(r.id))?.state;
      expect(cancelled.status === 303 ? 'cancelled' : 'failed').toBe(state);
      if (cancelled.status !== 303) expect(cancelled.status).toBe(409);
      expect(await stockOf(reward)).toBe(stock);
      const member = await app.plugin.db.repos.members.findByPanelClientId(clientId);
      expect(member?.pointsAvailable).toBe(100);
      const returned = await app.plugin.db.knex('loyalty_ledger').where({ member_id: member?.id, reference: r.actionKey, kind: 'reverse' });
      expect(returned).toHaveLength(1);
    }
    // Which one wins is up to the scheduler (here both did, over the rounds, on SQLite and MariaDB); each is checked as it happens.
  });

  it("a retry keeps what it took: a failed unlimited redemption retried after the owner set stock holds a unit, and gives it back if it fails again", async () => {
    const reward = await addReward(app, { names: { en: 'Retry' }, costPoints: 100, stock: null });
    await earn('rt-1');
    const r = await redeem('rt-1', reward);
    await failAll();
    await rewards().update(reward, { stock: 2 }, app.clock.now());
    const page = (await owner.get('/admin/redemptions').expect(200)).text;
    await owner.post(`/admin/redemptions/${r.id}/retry`).type('form').send({ _csrf: csrfOf(page) }).expect(303);
    expect(await app.plugin.db.repos.redemptions.findById(r.id)).toMatchObject({ state: 'pending', tookStock: true });
    expect(await stockOf(reward)).toBe(1);
    await failAll();
    expect(await app.plugin.db.repos.redemptions.findById(r.id)).toMatchObject({ state: 'failed' });
    expect(await stockOf(reward)).toBe(2);

    // Retried while unlimited again: it holds none, and its cancel gives none to a cap set after.
    await rewards().update(reward, { stock: null }, app.clock.now());
    await owner.post(`/admin/redemptions/${r.id}/retry`).type('form').send({ _csrf: csrfOf(page) }).expect(303);
    expect(await app.plugin.db.repos.redemptions.findById(r.id)).toMatchObject({ state: 'pending', tookStock: false });
    await rewards().update(reward, { stock: 0 }, app.clock.now());
    expect((await cancel(r.id)).status).toBe(303);
    expect(await stockOf(reward)).toBe(0);
  });
});

describe('migration: redemptions keep whether they took stock', () => {
  const MIGRATION = '20261214100000_add_redemptions_took_stock';
  let testDb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = Database.connect(testDb.url, { clock: () => new Date('2026-12-12T12:00:00Z') });
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  const config = (list = migrations) => ({ migrationSource: new PluginMigrationSource(list), tableName: MIGRATIONS_TABLE });

  it('reads earlier redemptions as having taken none, checks before it acts, and goes down and up again', async () => {
    const at = migrations.findIndex((m) => m.name === MIGRATION);
    expect(at).toBeGreaterThan(0);
    await db.knex.migrate.latest(config(migrations.slice(0, at)));
    const memberId = await insertOldMember(db.knex, 'before-stock', { email: 'b@example.com' });
    const reward = (await db.repos.rewards.list())[0];
    await db.knex('loyalty_redemptions').insert({
      member_id: memberId,
      reward_id: reward?.id,
      points: 10,
      currency: 'USD',
      value_minor: 900,
      state: 'pending',
      idempotency_key: 'before-stock-key-0001',
      action_key: 'redemption:before-stock-key-0001',
      spent_lots: '[]',
      created_at: new Date('2026-12-01T00:00:00Z'),
      updated_at: new Date('2026-12-01T00:00:00Z'),
    });

    await db.knex.migrate.latest(config());
    expect(await db.repos.redemptions.findByKey('before-stock-key-0001')).toMatchObject({ tookStock: false, state: 'pending' });

    const migration = migrations[at];
    if (!migration) throw new Error(`no ${MIGRATION}`);
    await migration.up(db.knex);
    expect(await db.knex.schema.hasColumn('loyalty_redemptions', 'took_stock')).toBe(true);
    await migration.down?.(db.knex);
    await migration.down?.(db.knex);
    expect(await db.knex.schema.hasColumn('loyalty_redemptions', 'took_stock')).toBe(false);
    await migration.up(db.knex);
    expect(await db.knex.schema.hasColumn('loyalty_redemptions', 'took_stock')).toBe(true);
  });
});
