import { migrations } from '../../migrations';
import { Database } from '../../plugin/db/database';
import { MIGRATIONS_TABLE, PluginMigrationSource } from '../../plugin/db/migration-source';
import { adminAgent, type AdminAgent } from '../support/admin';
import { clientSession, cookiesOf } from '../support/client';
import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';
import { addReward } from '../support/rewards';
import { insertOldMember } from '../support/old-schema';
import { createTestDatabase, type TestDatabase } from '../support/test-db';
import { TestPanel } from '../support/test-panel';

const OLD = { en: 'Free SSL certificate', ru: 'Бесплатный SSL-сертификат' };
const NEW = { en: 'Free domain renewal', ru: 'Бесплатное продление домена' };
const MIGRATION = '20261211100000_add_redemptions_reward_names';

/**
 * History is never rewritten: a redemption keeps the reward's names it was made under, so an
 * owner renaming the reward later changes the catalog, not what members already redeemed.
 */
describe('a redemption keeps its reward’s names', () => {
  let app: TestApp;
  let viewer: AdminAgent;
  let rewardId = 0;
  const redeemed = new Map<string, { id: number; href: string; jar: string[] }>();

  const get = (path: string, jar: string[]) => app.http.get(path).set('Cookie', jar.join('; ')).expect(200);
  const summaryOf = (html: string) => /data-testid="redemption-summary">([^<]*)</.exec(html)?.[1];
  const recentOf = (html: string) => /data-testid="recent">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
  const adminRowOf = (html: string, id: number) => new RegExp(`<tr data-testid="redemption-row" data-id="${id}"[\\s\\S]*?</tr>`).exec(html)?.[0] ?? '';
  const memberRowsOf = (html: string) => /data-testid="member-redemptions">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';

  /** Signs the client in, then redeems the reward through its confirmation page, as a browser would. */
  async function redeemOverHttp(clientId: string, locale: string) {
    await app.send(invoicePaid({ client: { id: clientId, locale }, invoice: { id: `inv-${clientId}`, total: '100.00', items: [{ type: 'renewal', amount: '100.00' }] } })).expect(200);
    const jar = await clientSession(app, clientId);
    const page = await get(`/client/rewards/redeem/${rewardId}`, jar);
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(page.text)?.[1] ?? '';
    const done = await app.http
      .post(`/client/rewards/redeem/${rewardId}`)
      .set('Cookie', [...jar, ...cookiesOf(page)].join('; '))
      .type('form')
      .send({ _csrf: field('_csrf'), key: field('key'), terms: field('terms') })
      .expect(303);
    const href = String(done.headers.location);
    redeemed.set(clientId, { id: Number(/(\d+)$/.exec(href)?.[1]), href, jar });
  }

  beforeAll(async () => {
    app = await startTestApp({ panelApi: new TestPanel() });
    viewer = await adminAgent(app, 'viewer');
    rewardId = await addReward(app, { names: OLD, costPoints: 10, values: { USD: 900 } });
    await redeemOverHttp('names-en', 'en');
    await redeemOverHttp('names-ru', 'ru');
    await app.plugin.jobs.dispatchOutbox();
    // The owner renames the reward and changes its value.
    await app.plugin.db.repos.rewards.update(rewardId, { names: NEW, values: { USD: 2000 } }, app.clock.now());
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const mine = (clientId: string) => {
    const r = redeemed.get(clientId);
    if (!r) throw new Error(`${clientId} redeemed nothing`);
    return r;
  };

  it('keeps every language’s name on the redemption row', async () => {
    expect(await app.plugin.db.repos.redemptions.findById(mine('names-en').id)).toMatchObject({ rewardNames: OLD });
    expect(JSON.parse(String((await app.plugin.db.knex('loyalty_redemptions').where({ id: mine('names-ru').id }).first()).reward_names))).toEqual(OLD);
  });

  it('the member’s redemption page and their list of rewards show the name they redeemed, in their language', async () => {
    const en = mine('names-en');
    expect(summaryOf((await get(en.href, en.jar)).text)).toBe('Free SSL certificate: 10 points for $9.00');
    const recent = recentOf((await get('/client/rewards/redeem', en.jar)).text);
    expect(recent).toContain('Free SSL certificate: 10 points for $9.00');
    expect(recent).not.toContain(NEW.en);

    const ru = mine('names-ru');
    expect(summaryOf((await get(ru.href, ru.jar)).text)).toContain(OLD.ru);
    const recentRu = recentOf((await get('/client/rewards/redeem', ru.jar)).text);
    expect(recentRu).toContain(OLD.ru);
    expect(recentRu).not.toContain(NEW.ru);
  });

  it('the admin redemptions list and the member page show the name redeemed', async () => {
    const list = (await viewer.get('/admin/redemptions').expect(200)).text;
    for (const clientId of ['names-en', 'names-ru']) {
      const row = adminRowOf(list, mine(clientId).id);
      expect(row).toContain(`<td>${OLD.en}</td>`);
      expect(row).not.toContain(NEW.en);
    }
    const member = await app.plugin.db.repos.members.findByPanelClientId('names-ru');
    const rows = memberRowsOf((await viewer.get(`/admin/members/${member?.id}`).expect(200)).text);
    expect(rows).toContain(`<td>${mine('names-ru').id}</td><td>${OLD.en}</td>`);
    expect(rows).not.toContain(NEW.en);
  });

  it('a redemption made before names were kept shows the reward’s current name', async () => {
    const en = mine('names-en');
    await app.plugin.db.knex('loyalty_redemptions').where({ id: en.id }).update({ reward_names: null });
    expect(summaryOf((await get(en.href, en.jar)).text)).toBe('Free domain renewal: 10 points for $9.00');
    expect(recentOf((await get('/client/rewards/redeem', en.jar)).text)).toContain('Free domain renewal: 10 points for $9.00');
    expect(adminRowOf((await viewer.get('/admin/redemptions').expect(200)).text, en.id)).toContain(`<td>${NEW.en}</td>`);
  });
});

describe('the redemptions’ reward_names migration', () => {
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

  it('leaves earlier redemptions without names (they show the reward’s), checks before it acts, and goes down and up again', async () => {
    const at = migrations.findIndex((m) => m.name === MIGRATION);
    expect(at).toBeGreaterThan(0);
    await db.knex.migrate.latest(config(migrations.slice(0, at)));
    const memberId = await insertOldMember(db.knex, 'before-names', { email: 'b@example.com' });
    const reward = (await db.repos.rewards.list())[0];
    await db.knex('loyalty_redemptions').insert({
      member_id: memberId,
      reward_id: reward?.id,
      points: 10,
      currency: 'USD',
      value_minor: 900,
      state: 'applied',
      idempotency_key: 'before-names-key-0001',
      action_key: 'redemption:before-names-key-0001',
      spent_lots: '[]',
      created_at: new Date('2026-12-01T00:00:00Z'),
      updated_at: new Date('2026-12-01T00:00:00Z'),
    });

    await db.knex.migrate.latest(config());
    expect(await db.repos.redemptions.findByKey('before-names-key-0001')).toMatchObject({ rewardNames: null, rewardId: reward?.id });

    const migration = migrations[at];
    if (!migration) throw new Error(`no ${MIGRATION}`);
    await migration.up(db.knex);
    expect(await db.knex.schema.hasColumn('loyalty_redemptions', 'reward_names')).toBe(true);
    await migration.down?.(db.knex);
    await migration.down?.(db.knex);
    expect(await db.knex.schema.hasColumn('loyalty_redemptions', 'reward_names')).toBe(false);
    await migration.up(db.knex);
    expect(await db.knex.schema.hasColumn('loyalty_redemptions', 'reward_names')).toBe(true);
  });
});
