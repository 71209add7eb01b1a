import { randomBytes } from 'node:crypto';
import { adminAgent, auditRows, csrfOf, type AdminAgent } from '../support/admin';
import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';

const key = () => randomBytes(8).toString('hex');

/** The owner's program page: settings generated from the registry, tiers, rules, rewards; all audited. */
describe('admin: program settings', () => {
  let app: TestApp;
  let owner: AdminAgent;
  let billing: AdminAgent;
  let viewer: AdminAgent;

  const earn = (clientId: string, total: string) =>
    app.send(invoicePaid({ client: { id: clientId }, invoice: { id: `inv-${key()}`, total, items: [{ type: 'renewal', amount: total }] } })).expect(200);
  const ledgerOf = async (clientId: string) => {
    const m = await app.plugin.db.repos.members.findByPanelClientId(clientId);
    return (await app.plugin.db.repos.ledger.pageForMember(m?.id ?? 0, { limit: 50 })).entries.map((e) => ({ id: e.id, delta: e.delta, kind: e.kind }));
  };
  const count = async (table: string) => Number((await app.plugin.db.knex(table).count({ n: '*' }).first())?.n ?? 0);
  /** Loads the settings page and submits one of its forms, as a browser would; checks the status. */
  const post = async (agent: AdminAgent, action: string, form: Record<string, string>, status: number) => {
    const page = (await agent.get('/admin/settings').expect(200)).text;
    return agent.post(action).type('form').send({ _csrf: csrfOf(page), ...form }).expect(status);
  };

  beforeAll(async () => {
    app = await startTestApp();
    owner = await adminAgent(app, 'owner', { id: '1', name: 'Olga Owner' });
    billing = await adminAgent(app, 'billing');
    viewer = await adminAgent(app, 'viewer');
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  it('shows a field per setting of the registry, with its current value', async () => {
    const page = (await owner.get('/admin/settings').expect(200)).text;
    for (const k of ['earn_rates', 'refund_window_days', 'points_expiry', 'debt_policy', 'tier_discount_method', 'time_zone', 'base_rule']) expect(page).toContain(`data-setting="${k}"`);
    expect(page).toMatch(/<select id="setting-debt_policy" name="debt_policy"><option value="debt" selected>debt<\/option><option value="write_off">write_off<\/option><\/select>/);
    expect(page).toContain('name="refund_window_days" type="number" step="1" min="0" max="365" value="0"');
  });

  it('an owner changes the earn rate: the next event earns by it, the earlier ledger is unchanged, and the change is audited with before and after', async () => {
    await earn('p-1', '100.00');
    const before = await ledgerOf('p-1');
    expect(before).toEqual([expect.objectContaining({ delta: 100, kind: 'earn' })]);

    const res = await post(owner, '/admin/settings', { earn_rates: '{"USD":"3","EUR":"1","GBP":"1"}' }, 200);
    expect(res.text).toContain('data-testid="changes"');
    expect(res.text).toContain('data-target="setting:earn_rates"');
    expect(res.text).toContain('{&quot;USD&quot;:&quot;1&quot;,&quot;EUR&quot;:&quot;1&quot;,&quot;GBP&quot;:&quot;1&quot;}');
    expect(res.text).toContain('{&quot;USD&quot;:&quot;3&quot;,&quot;EUR&quot;:&quot;1&quot;,&quot;GBP&quot;:&quot;1&quot;}');

    await earn('p-1', '100.00');
    const after = await ledgerOf('p-1');
    expect(after).toEqual([expect.objectContaining({ delta: 300, kind: 'earn' }), ...before]);

    const audit = (await auditRows(app)).filter((r) => r.action === 'settings.update');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_id: '1', role: 'owner', target: 'setting:earn_rates' });
    expect(JSON.parse(String(audit[0]?.before))).toEqual({ USD: '1', EUR: '1', GBP: '1' });
    expect(JSON.parse(String(audit[0]?.after))).toEqual({ USD: '3', EUR: '1', GBP: '1' });
  });

  it('posting the same values again changes nothing and writes no audit row', async () => {
    const audits = await count('loyalty_audit');
    const res = await post(owner, '/admin/settings', { earn_rates: '{"GBP":"1","USD":"3","EUR":"1"}', refund_window_days: '0' }, 200);
    expect(res.text).toContain('Nothing changed');
    expect(await count('loyalty_audit')).toBe(audits);
  });

  it('refuses bad values with 422, each error beside its field, the posted text kept, and nothing written', async () => {
    const settings = await app.plugin.db.knex('loyalty_settings').orderBy('key');
    const audits = await count('loyalty_audit');
    const res = await post(owner, '/admin/settings', { earn_rates: '{"USD":"lots"}', refund_window_days: '9999', time_zone: 'Mars/Olympus', debt_policy: 'forgive', points_expiry: '{"policy":', job_schedules: '{"no-such-job":"* * * * *"}' }, 422);
    expect(res.text).toContain('data-testid="refused"');
    expect(res.text).toMatch(/data-testid="error-earn_rates">Earn rates per currency \(USD\): must be a decimal number/);
    expect(res.text).toMatch(/data-testid="error-refund_window_days">[^<]*365/);
    expect(res.text).toMatch(/data-testid="error-time_zone">Time zone: is not a known time zone/);
    expect(res.text).toMatch(/data-testid="error-debt_policy">/);
    expect(res.text).toMatch(/data-testid="error-points_expiry">Expiry policy: must be valid JSON/);
    expect(res.text).toContain('value="9999"');
    expect(await app.plugin.db.knex('loyalty_settings').orderBy('key')).toEqual(settings);
    expect(await count('loyalty_audit')).toBe(audits);
    // A check beyond the schema (a schedule naming no job) is a field error too.
    const jobs = await post(owner, '/admin/settings', { job_schedules: '{"no-such-job":"* * * * *"}' }, 422);
    expect(jobs.text).toMatch(/data-testid="error-job_schedules">/);
    expect(await count('loyalty_audit')).toBe(audits);
  });

  it("an admin whose browser asks for Russian sees each setting's label and help in Russian, and a bad earn rate refused in Russian beside the field, nothing written", async () => {
    const settings = await app.plugin.db.knex('loyalty_settings').orderBy('key');
    const audits = await count('loyalty_audit');
    const page = (await owner.get('/admin/settings').set('Accept-Language', 'ru-RU,ru;q=0.9').expect(200)).text;
    expect(page).toContain('Базовые баллы за каждые 1.00, по валютам.');
    expect(page).not.toContain('lang="en"');
    expect(page).not.toContain('exact decimal strings, floor rounding');
    const res = await owner
      .post('/admin/settings')
      .set('Accept-Language', 'ru-RU,ru;q=0.9')
      .type('form')
      .send({ _csrf: csrfOf(page), earn_rates: '{"USD":"много"}', refund_window_days: '9999', debt_policy: 'forgive' })
      .expect(422);
    expect(res.text).toMatch(/<p class="form-error" id="setting-earn_rates-error" data-testid="error-earn_rates">Баллы за 1.00 по валютам \(USD\): нужно десятичное число, например 1.5 <\/p>/);
    expect(res.text).toMatch(/data-testid="error-refund_window_days">Срок ожидания \(срок возврата, дней\): должно быть не больше 365 </);
    expect(res.text).toMatch(/data-testid="error-debt_policy">[^<]*: допустимые значения — debt, write_off/);
    // The English machine messages stay out of the Russian page.
    expect(res.text).not.toMatch(/must be|is not a|Too big|Invalid option/);
    expect(await app.plugin.db.knex('loyalty_settings').orderBy('key')).toEqual(settings);
    expect(await count('loyalty_audit')).toBe(audits);

    const silver = (await app.plugin.db.repos.tiers.list())[1];
    if (!silver) throw new Error('no tier');
    const tierPage = (await owner.get('/admin/settings').set('Accept-Language', 'ru').expect(200)).text;
    const tier = await owner
      .post(`/admin/settings/tiers/${silver.id}`)
      .set('Accept-Language', 'ru')
      .type('form')
      .send({ _csrf: csrfOf(tierPage), threshold: 'abc', earn_multiplier: 'x', renewal_discount_percent: '200' })
      .expect(422);
    expect(tier.text).toContain('Множитель баллов: нужно десятичное число, например 1.25');
    expect(tier.text).toContain('Скидка на продление, %: должно быть не больше 100');
    expect(tier.text).not.toMatch(/must be/);
    expect(await count('loyalty_audit')).toBe(audits);
  });

  it('billing and viewer admins may neither open nor post the settings (403)', async () => {
    await billing.get('/admin/settings').expect(403);
    await viewer.get('/admin/settings').expect(403);
    const page = (await owner.get('/admin/settings').expect(200)).text;
    // Even with a token of their own session's page they could not get: the role decides first.
    await billing.post('/admin/settings').type('form').send({ _csrf: csrfOf(page), earn_rates: '{"USD":"100"}' }).expect(403);
    await viewer.post('/admin/settings').type('form').send({ earn_rates: '{"USD":"100"}' }).expect(403);
    expect((await app.plugin.services.settings.snapshot()).earn_rates.USD).toBe('3');
  });

  it('edits a tier, switches a rule off and back, and edits a reward, each audited; bad values are refused per field', async () => {
    const tiers = await app.plugin.db.repos.tiers.list();
    const silver = tiers[1];
    if (!silver) throw new Error('no tier');
    const bad = await post(owner, `/admin/settings/tiers/${silver.id}`, { threshold: '999999.00', earn_multiplier: 'x', renewal_discount_percent: '2' }, 422);
    expect(bad.text).toContain('must be less than the threshold of Gold');
    expect(bad.text).toContain('must be a decimal number such as');
    const ok = await post(owner, `/admin/settings/tiers/${silver.id}`, { threshold: '600.00', earn_multiplier: '1.2', renewal_discount_percent: '3' }, 200);
    expect(ok.text).toContain(`data-target="tier:${silver.id}"`);
    expect((await app.plugin.db.repos.tiers.list())[1]).toMatchObject({ thresholdMinor: 60000, earnMultiplier: '1.2', renewalDiscountBp: 300 });

    const rule = (await app.plugin.db.repos.rules.all())[0];
    if (!rule) throw new Error('no rule');
    await post(owner, `/admin/settings/rules/${rule.id}`, { active: 'false', params: rule.params }, 200);
    expect((await app.plugin.db.repos.rules.all())[0]?.active).toBe(false);
    const badRule = await post(owner, `/admin/settings/rules/${rule.id}`, { active: 'true', params: '{not json' }, 422);
    expect(badRule.text).toContain('must be valid JSON');
    await post(owner, `/admin/settings/rules/${rule.id}`, { active: 'true', params: rule.params }, 200);

    const reward = (await app.plugin.db.repos.rewards.list()).find((r) => r.costPoints === 500);
    if (!reward) throw new Error('no reward');
    await post(owner, `/admin/settings/rewards/${reward.id}`, { active: 'true', cost_points: '0', stock: 'many' }, 422);
    await post(owner, `/admin/settings/rewards/${reward.id}`, { active: 'false', cost_points: '450', stock: '10' }, 200);
    expect(await app.plugin.db.repos.rewards.find(reward.id)).toMatchObject({ active: false, costPoints: 450, stock: 10 });
    await owner.get('/admin/settings/rewards/999999').expect(404);

    const actions = (await auditRows(app)).map((r) => `${String(r.action)} ${String(r.target)}`);
    expect(actions).toEqual(expect.arrayContaining([`tier.update tier:${silver.id}`, `rule.update rule:${rule.id}`, `reward.update reward:${reward.id}`]));
    const tierRow = (await auditRows(app)).find((r) => r.action === 'tier.update');
    expect(JSON.parse(String(tierRow?.before))).toMatchObject({ thresholdMinor: 50000 });
    expect(JSON.parse(String(tierRow?.after))).toMatchObject({ thresholdMinor: 60000 });
  });
});
