import { randomBytes } from 'node:crypto';
import { migrations } from '../../migrations';
import { Database } from '../../plugin/db/database';
import { MIGRATIONS_TABLE, PluginMigrationSource } from '../../plugin/db/migration-source';
import type { PromoSpec } from '../../plugin/domain/rewards';
import { unescapeHtml } from '../support/admin';
import { paidClient } from '../support/client';
import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';
import { addReward } from '../support/rewards';
import { insertOldMember } from '../support/old-schema';
import { createTestDatabase, type TestDatabase } from '../support/test-db';
import { TestPanel } from '../support/test-panel';

const DAY = 86_400_000;
const ADD_COLUMN = '20261211120000_add_redemptions_code_terms';

/**
 * A member's page for a redeemed code says what it is worth and until when: the terms the
 * redemption made the code with (kept on its row), not the reward's terms today, with the end
 * told on the program's clock in the member's language.
 */
describe('the redemption page of a code: what it gives and until when', () => {
  let app: TestApp;
  const panel = new TestPanel();

  beforeAll(async () => {
    app = await startTestApp({ panelApi: panel });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const code = (promo: PromoSpec, values: Record<string, number> = {}) => addReward(app, { kind: 'promo_code', costPoints: 50, values, promo });

  async function redeem(clientId: string, rewardId: number, locale = 'en') {
    const jar = await paidClient(app, clientId, '300.00', locale);
    const done = await app.plugin.services.redemptions.redeem(clientId, { rewardId, idempotencyKey: randomBytes(12).toString('hex') });
    if (!done.ok) throw new Error(`not redeemed: ${done.refusal}`);
    const page = async () => {
      const html = (await app.http.get(`/client/redemptions/${done.redemption.id}`).set('Cookie', jar.join('; ')).expect(200)).text;
      const shown = (testid: string) => {
        const text = new RegExp(`data-testid="${testid}">([^<]*)<`).exec(html)?.[1];
        return text === undefined ? null : unescapeHtml(text);
      };
      return { terms: shown('redemption-code-terms'), code: shown('redemption-code'), state: shown('redemption-state') };
    };
    return { id: done.redemption.id, page };
  }

  it('a percentage code: its percentage and its end on the program’s clock, on its way and once ready; the reward changed later does not change it', async () => {
    await app.plugin.services.settings.update({ time_zone: 'Europe/Moscow' });
    try {
      const rewardId = await code({ type: 'percent', percent: 15, validDays: 30 });
      const r = await redeem('pc-percent', rewardId);
      // Redeemed 2026-11-23 12:00 UTC, so it ends 2026-12-23 12:00 UTC: 15:00 in Moscow.
      const terms = 'This code gives 15% off, valid until Dec 23, 2026, 3:00 PM GMT+3.';
      expect(await r.page()).toEqual({ terms, code: null, state: 'On its way' });
      await app.plugin.jobs.dispatchOutbox();
      const ready = await r.page();
      expect(ready).toMatchObject({ terms, state: 'Ready to use' });
      expect(ready.code).toMatch(/^Your code: RW-[A-Z2-9]{10}$/);

      await app.plugin.db.repos.rewards.update(rewardId, { promo: { type: 'percent', percent: 5, validDays: 1 } }, app.clock.now());
      expect((await r.page()).terms).toBe(terms);
    } finally {
      await app.plugin.services.settings.update({ time_zone: 'UTC' });
    }
  });

  it('an amount code gives its amount in the member’s currency, in their language, and a code with no end says so', async () => {
    const amount = await code({ type: 'amount', validDays: 7 }, { USD: 1000 });
    const ru = await redeem('pc-amount-ru', amount, 'ru');
    await app.plugin.db.repos.rewards.update(amount, { values: { USD: 2500 } }, app.clock.now());
    await app.plugin.jobs.dispatchOutbox();
    expect((await ru.page()).terms).toBe('Условия промокода: скидка 10,00\u00a0$, действует до 30 нояб. 2026 г., 12:00 UTC.');

    const endless = await code({ type: 'percent', percent: 10, validDays: null });
    expect((await (await redeem('pc-endless-zh', endless, 'zh')).page()).terms).toBe('优惠码内容：立减 10%，长期有效。');
    expect((await (await redeem('pc-amount-tr', amount, 'tr')).page()).terms).toBe('Kodun koşulları: $25,00 indirim, 30 Kas 2026 12:00 UTC tarihine kadar geçerli.');
    expect((await (await redeem('pc-amount-vi', amount, 'vi')).page()).terms).toBe('Điều kiện của mã: giảm 25,00\u00a0US$, có hiệu lực đến 12:00 UTC 30 thg 11, 2026.');
  });

  it('a code from before its terms were kept shows the code alone; a code the panel refused shows no terms', async () => {
    const rewardId = await code({ type: 'percent', percent: 20, validDays: 10 });
    const old = await redeem('pc-old', rewardId);
    await app.plugin.jobs.dispatchOutbox();
    await app.plugin.db.knex('loyalty_redemptions').where({ id: old.id }).update({ code_terms: null });
    const page = await old.page();
    expect(page.terms).toBeNull();
    expect(page.code).toMatch(/^Your code: RW-/);

    const refused = await redeem('pc-refused', rewardId);
    expect((await refused.page()).terms).not.toBeNull();
    panel.refuse = true;
    try {
      await app.plugin.jobs.dispatchOutbox();
    } finally {
      panel.refuse = false;
    }
    expect(await refused.page()).toEqual({ terms: null, code: null, state: 'Could not be delivered: your points were returned' });
  });
});

describe('the redemptions’ code_terms migrations', () => {
  let testDb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = Database.connect(testDb.url, { clock: () => new Date('2026-12-11T12:00:00Z') });
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  const config = (list = migrations) => ({ migrationSource: new PluginMigrationSource(list), tableName: MIGRATIONS_TABLE });
  const at = new Date('2026-12-01T00:00:00Z');

  it('fill the terms of earlier codes from their own promo.create action, leave the rest null, and do nothing run again', async () => {
    const before = migrations.findIndex((m) => m.name === ADD_COLUMN);
    expect(before).toBeGreaterThan(0);
    await db.knex.migrate.latest(config(migrations.slice(0, before)));
    const memberId = await insertOldMember(db.knex, 'before-terms', { email: 'b@example.com' });
    const rewardId = (await db.repos.rewards.list())[0]?.id;
    const redemption = (key: string, code: string | null) => ({
      member_id: memberId,
      reward_id: rewardId,
      points: 10,
      currency: 'USD',
      value_minor: 900,
      state: 'applied',
      idempotency_key: key,
      action_key: `redemption:${key}`,
      code,
      spent_lots: '[]',
      created_at: at,
      updated_at: at,
    });
    const action = (key: string, name: string, payload: unknown) => ({
      action: name,
      payload: JSON.stringify(payload),
      state: 'sent',
      attempts: 1,
      next_attempt_at: at,
      idempotency_key: `redemption:${key}`,
      created_at: at,
    });
    const ends = new Date(at.getTime() + 30 * DAY).toISOString();
    await db.knex('loyalty_redemptions').insert([
      redemption('terms-percent-0001', 'RW-PERCENT01'),
      redemption('terms-amount-00001', 'RW-AMOUNT001'),
      redemption('terms-no-action-01', 'RW-NOACTION1'),
      redemption('terms-bad-payload1', 'RW-BADPAYLD1'),
      redemption('terms-credit-00001', null),
    ]);
    await db.knex('loyalty_outbox').insert([
      action('terms-percent-0001', 'promo.create', { clientId: 'before-terms', code: 'RW-PERCENT01', discount: { type: 'percent', percent: 15 }, expiresAt: ends, description: 'x' }),
      action('terms-amount-00001', 'promo.create', { clientId: 'before-terms', code: 'RW-AMOUNT001', discount: { type: 'amount', amount: { currency: 'USD', minor: 900 } }, expiresAt: null, description: 'x' }),
      action('terms-bad-payload1', 'promo.create', { clientId: 'before-terms', code: 'RW-BADPAYLD1', discount: { type: 'percent' }, expiresAt: 'soon' }),
      action('terms-credit-00001', 'client.credit', { clientId: 'before-terms', amount: { currency: 'USD', minor: 900 }, description: 'x' }),
    ]);

    await db.knex.migrate.latest(config());
    const terms = async (key: string) => (await db.repos.redemptions.findByKey(key))?.codeTerms;
    expect(await terms('terms-percent-0001')).toEqual({ discount: { type: 'percent', percent: 15 }, expiresAt: new Date(ends) });
    expect(await terms('terms-amount-00001')).toEqual({ discount: { type: 'amount', amount: { currency: 'USD', minor: 900 } }, expiresAt: null });
    expect(await terms('terms-no-action-01')).toBeNull();
    expect(await terms('terms-bad-payload1')).toBeNull();
    expect(await terms('terms-credit-00001')).toBeNull();

    // Run again over a row changed since: it only fills what is still null.
    await db.knex('loyalty_redemptions').where({ idempotency_key: 'terms-amount-00001' }).update({ code_terms: JSON.stringify({ discount: { type: 'percent', percent: 1 }, expiresAt: null }) });
    const backfill = migrations[before + 1];
    const addColumn = migrations[before];
    if (!backfill || !addColumn) throw new Error('migrations missing');
    await backfill.up(db.knex);
    expect(await terms('terms-amount-00001')).toEqual({ discount: { type: 'percent', percent: 1 }, expiresAt: null });

    // The column checks before it acts, and goes down and up again.
    await addColumn.up(db.knex);
    await addColumn.down?.(db.knex);
    await addColumn.down?.(db.knex);
    expect(await db.knex.schema.hasColumn('loyalty_redemptions', 'code_terms')).toBe(false);
    await backfill.up(db.knex);
    await addColumn.up(db.knex);
    await backfill.up(db.knex);
    expect(await terms('terms-percent-0001')).toEqual({ discount: { type: 'percent', percent: 15 }, expiresAt: new Date(ends) });
  });
});
