import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { adminAgent, auditRows, csrfOf, fieldOf, unescapeHtml, type AdminAgent } from '../support/admin';
import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';

const key = () => randomBytes(12).toString('hex');

/** The owner's rewards catalog: a reward made, edited and redeemed, each change audited. */
describe('admin: the rewards catalog', () => {
  let app: TestApp;
  let owner: AdminAgent;
  let billing: AdminAgent;
  let viewer: AdminAgent;

  beforeAll(async () => {
    app = await startTestApp();
    owner = await adminAgent(app, 'owner', { id: '7', name: 'Olga Owner' });
    billing = await adminAgent(app, 'billing');
    viewer = await adminAgent(app, 'viewer');
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const rewardCount = async () => (await app.plugin.db.repos.rewards.list()).length;
  const earn = (clientId: string, total: string, locale = 'en') =>
    app.send(invoicePaid({ client: { id: clientId, locale }, invoice: { id: `inv-${key()}`, total, items: [{ type: 'renewal', amount: total }] } })).expect(200);
  /** The new-reward page's form fields a browser would post with it. */
  const newForm = async () => {
    const page = (await owner.get('/admin/settings/rewards/new').expect(200)).text;
    return { _csrf: csrfOf(page), key: fieldOf(page, 'key') };
  };
  /** A reward's editor, submitted with `changes` over the values it shows, as a browser would. */
  const edit = async (id: number, changes: Record<string, string>, status: number, agent = owner) => {
    const page = (await owner.get(`/admin/settings/rewards/${id}`).expect(200)).text;
    const fields: Record<string, string> = {};
    for (const m of page.matchAll(/<input id="[^"]*" name="([^"]+)" type="[^"]*" value="([^"]*)"/g)) fields[m[1] ?? ''] = unescapeHtml(m[2] ?? '');
    return agent.post(`/admin/settings/rewards/${id}`).type('form').send({ _csrf: csrfOf(page), shown: fieldOf(page, 'shown'), ...fields, ...changes }).expect(status);
  };

  const perk = {
    kind: 'perk',
    pricing: 'fixed',
    name_en: 'Free SSL certificate',
    name_ru: 'Бесплатный SSL-сертификат',
    description_en: 'A year of a DV certificate, as a code.',
    cost_points: '300',
    value_USD: '9.00',
    stock: '2',
    limit_per_month: '1',
    active: 'true',
    promo_type: 'amount',
    promo_valid_days: '60',
  };

  it('an owner adds a perk: it is audited, shown to members in their language, and redeemable', async () => {
    const form = await newForm();
    const res = await owner.post('/admin/settings/rewards').type('form').send({ ...form, ...perk }).expect(200);
    expect(res.text).toContain('data-testid="changes"');
    const made = (await app.plugin.db.repos.rewards.list()).find((r) => r.names.en === 'Free SSL certificate');
    expect(made).toMatchObject({ kind: 'perk', costPoints: 300, values: { USD: 900 }, stock: 2, limitPerMonth: 1, active: true, promo: { type: 'amount', validDays: 60 } });
    if (!made) throw new Error('no reward made');
    expect(res.text).toContain(`action="/admin/settings/rewards/${made.id}"`);
    const audit = (await auditRows(app)).filter((r) => r.action === 'reward.create');
    expect(audit).toEqual([expect.objectContaining({ actor_id: '7', role: 'owner', target: `reward:${made.id}` })]);
    expect(JSON.parse(String(audit[0]?.after))).toMatchObject({ names: { en: 'Free SSL certificate' }, costPoints: 300 });

    // The same form posted again (a double click, a reload) is the same reward.
    const before = await rewardCount();
    const again = await owner.post('/admin/settings/rewards').type('form').send({ ...form, ...perk }).expect(200);
    expect(again.text).toContain(`action="/admin/settings/rewards/${made.id}"`);
    expect(await rewardCount()).toBe(before);
    expect((await auditRows(app)).filter((r) => r.action === 'reward.create')).toHaveLength(1);

    // A Russian member finds it in their catalog and redeems it.
    await earn('rw-1', '400.00', 'ru');
    const offers = (await app.plugin.services.redemptions.catalog('rw-1')).offers.map((o) => o.reward.id);
    expect(offers).toContain(made.id);
    const token = await app.plugin.services.auth.mintSsoToken('rw-1');
    const client = request.agent(app.baseUrl);
    await client.get(`/sso?token=${encodeURIComponent(token)}`).expect(303);
    expect((await client.get('/client/rewards/redeem').expect(200)).text).toContain('Бесплатный SSL-сертификат');
    const redeemed = await app.plugin.services.redemptions.redeem('rw-1', { rewardId: made.id, idempotencyKey: key() });
    expect(redeemed).toMatchObject({ ok: true, redemption: { points: 300 } });
    expect((await app.plugin.db.repos.rewards.find(made.id))?.stock).toBe(1);
  });

  it('refuses a bad reward field by field, in the admin language, and writes nothing', async () => {
    const before = await rewardCount();
    const audits = (await auditRows(app)).length;
    const form = await newForm();
    const res = await owner
      .post('/admin/settings/rewards')
      .set('Accept-Language', 'tr')
      .type('form')
      .send({ ...form, ...perk, name_en: '', cost_points: '0', value_USD: 'nine', starts_at: '2027-05-01T10:00', ends_at: '2027-04-01T10:00', promo_type: 'percent', promo_percent: '150' })
      .expect(422);
    for (const field of ['name_en', 'cost_points', 'value_USD', 'ends_at', 'promo_percent']) expect(res.text).toContain(`data-testid="error-${field}"`);
    expect(res.text).toContain('Ad (İngilizce): zorunlu alan');
    expect(res.text).toContain('Puan cinsinden fiyat: 1 ile 1.000.000.000 arasında olmalı');
    // The posted text stays in its field for the owner to fix.
    expect(res.text).toContain('value="nine"');
    expect(await rewardCount()).toBe(before);
    expect((await auditRows(app)).length).toBe(audits);
    // The refused form keeps its key: its corrected post is still one reward.
    expect(fieldOf(res.text, 'key')).toBe(form.key);
    // A post without the form's one-time key makes nothing either.
    const keyless = await owner.post('/admin/settings/rewards').type('form').send({ _csrf: (await newForm())._csrf, ...perk }).expect(422);
    expect(keyless.text).toContain('data-testid="refused"');
    expect(await rewardCount()).toBe(before);
  });

  it('refuses a window end past what the database holds, on the program clock west of UTC', async () => {
    await app.plugin.services.settings.update({ time_zone: 'America/New_York' });
    try {
      const before = await rewardCount();
      const res = await owner.post('/admin/settings/rewards').type('form').send({ ...(await newForm()), ...perk, ends_at: '9999-12-31T23:59' }).expect(422);
      expect(res.text).toContain('data-testid="error-ends_at"');
      expect(await rewardCount()).toBe(before);
    } finally {
      await app.plugin.services.settings.update({ time_zone: 'UTC' });
    }
  });

  it('an owner edits every field; the change is audited with before and after and members see it', async () => {
    const reward = (await app.plugin.db.repos.rewards.list()).find((r) => r.costPoints === 500);
    if (!reward) throw new Error('no seeded reward');
    const res = await edit(
      reward.id,
      { name_en: '6.00 account credit', name_ru: '6.00 на баланс', cost_points: '550', value_USD: '6.00', value_EUR: '', limit_total: '2', starts_at: '2026-01-01T00:00', ends_at: '2099-01-01T00:00', min_tier_rank: '' },
      200,
    );
    expect(res.text).toContain(`data-target="reward:${reward.id}"`);
    const saved = await app.plugin.db.repos.rewards.find(reward.id);
    expect(saved).toMatchObject({ names: expect.objectContaining({ en: '6.00 account credit' }), costPoints: 550, values: { USD: 600, GBP: 500 }, limitTotal: 2, kind: 'credit' });
    expect(saved?.startsAt).toEqual(new Date('2026-01-01T00:00:00Z'));
    const row = (await auditRows(app)).filter((r) => r.action === 'reward.update').pop();
    expect(JSON.parse(String(row?.before))).toMatchObject({ costPoints: 500, values: { USD: 500, EUR: 500, GBP: 500 } });
    expect(JSON.parse(String(row?.after))).toMatchObject({ costPoints: 550, values: { USD: 600, GBP: 500 } });

    // A description over several lines comes back as typed, not indented by the page's layout.
    const lines = 'Added to your balance.\nUsed on your next invoice.';
    await edit(reward.id, { description_en: lines }, 200);
    expect((await owner.get(`/admin/settings/rewards/${reward.id}`).expect(200)).text).toContain(`>${lines}</textarea>`);

    // Saving the page unchanged changes nothing and writes no audit row.
    const audits = (await auditRows(app)).length;
    expect((await edit(reward.id, {}, 200)).text).toContain('data-testid="changes"');
    expect((await auditRows(app)).length).toBe(audits);

    await earn('rw-2', '600.00');
    const offer = (await app.plugin.services.redemptions.catalog('rw-2')).offers.find((o) => o.reward.id === reward.id);
    expect(offer?.reward).toMatchObject({ costPoints: 550 });
  });

  it('never writes back a stock that redemptions changed while the editor was open', async () => {
    const reward = (await app.plugin.db.repos.rewards.list()).find((r) => r.names.en === 'Free SSL certificate');
    if (!reward) throw new Error('no perk');
    await app.plugin.db.repos.rewards.update(reward.id, { stock: 5, limitPerMonth: null }, app.clock.now());
    const page = (await owner.get(`/admin/settings/rewards/${reward.id}`).expect(200)).text;
    const form = { _csrf: csrfOf(page), shown: fieldOf(page, 'shown'), stock: '5' };
    expect(JSON.parse(form.shown)).toMatchObject({ stock: '5' });
    // A member redeems meanwhile: 4 left.
    await earn('rw-3', '400.00');
    expect(await app.plugin.services.redemptions.redeem('rw-3', { rewardId: reward.id, idempotencyKey: key() })).toMatchObject({ ok: true });

    // The owner renames it, leaving the stock as shown: the 4 stay 4.
    await owner.post(`/admin/settings/rewards/${reward.id}`).type('form').send({ ...form, name_en: 'SSL certificate' }).expect(200);
    expect(await app.plugin.db.repos.rewards.find(reward.id)).toMatchObject({ stock: 4, names: expect.objectContaining({ en: 'SSL certificate' }) });

    // The owner sets 10 on a form that showed 5: refused, with the stock as it is now.
    const refused = await owner.post(`/admin/settings/rewards/${reward.id}`).type('form').send({ ...form, stock: '10' }).expect(422);
    expect(refused.text).toContain('data-testid="error-stock"');
    expect(JSON.parse(fieldOf(refused.text, 'shown'))).toMatchObject({ stock: '4' });
    expect(refused.text).toContain('name="stock" type="number" value="10"');
    expect((await app.plugin.db.repos.rewards.find(reward.id))?.stock).toBe(4);
    // Seen, and saved again: now it is 10.
    await owner.post(`/admin/settings/rewards/${reward.id}`).type('form').send({ _csrf: csrfOf(refused.text), shown: fieldOf(refused.text, 'shown'), stock: '10' }).expect(200);
    expect((await app.plugin.db.repos.rewards.find(reward.id))?.stock).toBe(10);
  });

  it('two owners editing at once: each change stands, and the same field changed both ways is refused', async () => {
    const reward = (await app.plugin.db.repos.rewards.list()).find((r) => r.stepPoints === 100);
    if (!reward) throw new Error('no flexible reward');
    const open = async () => {
      const page = (await owner.get(`/admin/settings/rewards/${reward.id}`).expect(200)).text;
      return { _csrf: csrfOf(page), shown: fieldOf(page, 'shown') };
    };
    const [a, b] = [await open(), await open()];
    await owner.post(`/admin/settings/rewards/${reward.id}`).type('form').send({ ...a, step_points: '50', min_points: '100' }).expect(200);
    // B only switches it off: A's step stays.
    await owner.post(`/admin/settings/rewards/${reward.id}`).type('form').send({ ...b, step_points: '100', min_points: '100', active: 'false' }).expect(200);
    expect(await app.plugin.db.repos.rewards.find(reward.id)).toMatchObject({ stepPoints: 50, minPoints: 100, active: false });
    // B then sets the step too, on the form that showed 100: refused, A's 50 shown.
    const refused = await owner.post(`/admin/settings/rewards/${reward.id}`).type('form').send({ ...b, step_points: '200', min_points: '200' }).expect(422);
    expect(refused.text).toContain('data-testid="error-step_points"');
    expect((await app.plugin.db.repos.rewards.find(reward.id))?.stepPoints).toBe(50);
    await app.plugin.db.repos.rewards.update(reward.id, { stepPoints: 100, minPoints: 100, active: true }, app.clock.now());
  });

  it('is the owner’s: other roles are refused, and an unknown reward is a 404', async () => {
    await billing.get('/admin/settings/rewards/new').expect(403);
    await viewer.get('/admin/settings/rewards/1').expect(403);
    const before = await rewardCount();
    await billing.post('/admin/settings/rewards').type('form').send({ ...perk, key: key() }).expect(403);
    expect(await rewardCount()).toBe(before);
    await owner.get('/admin/settings/rewards/999999').expect(404);
    await owner.get('/admin/settings/rewards/abc').expect(404);
    const page = (await owner.get('/admin/settings/rewards/new').expect(200)).text;
    await owner.post('/admin/settings/rewards/999999').type('form').send({ _csrf: csrfOf(page), active: 'true' }).expect(404);
  });

  it('lists the catalog on the program page with a link to each reward and to a new one', async () => {
    const page = (await owner.get('/admin/settings').expect(200)).text;
    for (const r of await app.plugin.db.repos.rewards.list()) expect(page).toContain(`href="/admin/settings/rewards/${r.id}"`);
    expect(page).toContain('href="/admin/settings/rewards/new"');
  });
});
