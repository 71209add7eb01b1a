import { adminAgent, auditRows, csrfOf, fieldOf, type AdminAgent } from '../support/admin';
import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';

/**
 * The program page's earning rules and tier names: a new rule of a registered type (once per
 * form, however often it is posted), a rule's window in the program's time zone and its cap,
 * and a tier's name per language; each audited, each bad field refused beside it with nothing
 * written, and the next event earning by what was saved.
 */
describe('admin: earning rules and tier names', () => {
  let app: TestApp;
  let owner: AdminAgent;

  const count = async (table: string) => Number((await app.plugin.db.knex(table).count({ n: '*' }).first())?.n ?? 0);
  const ledger = async (clientId: string) => {
    const m = await app.plugin.db.repos.members.findByPanelClientId(clientId);
    const rows = await app.plugin.db.knex('loyalty_ledger').where({ member_id: m?.id ?? 0 }).orderBy('id');
    return rows.map((r: Record<string, unknown>) => ({ id: Number(r.id), delta: Number(r.delta), kind: r.kind, rule: r.rule }));
  };
  const settingsPage = async (agent: AdminAgent = owner, language = 'en') => (await agent.get('/admin/settings').set('Accept-Language', language).expect(200)).text;
  /** The new rule form as a browser posts it: every field, the page's CSRF token and one-time key. */
  const newRuleForm = (page: string, fields: Record<string, string>) => ({
    _csrf: csrfOf(page),
    key: fieldOf(page, 'key'),
    type: '',
    active: 'true',
    params: '{}',
    starts_at: '',
    ends_at: '',
    cap_points: '',
    cap_period: '',
    ...fields,
  });
  const ruleWrites = async () => ({ rules: await app.plugin.db.knex('loyalty_rules').orderBy('id'), audits: await count('loyalty_audit') });

  beforeAll(async () => {
    app = await startTestApp();
    owner = await adminAgent(app, 'owner', { id: '1', name: 'Olga Owner' });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  it('an owner creates a rule: the change shows before null and after the rule, it is audited, and the very next paid invoice earns by it', async () => {
    // An event first, so the engine holds the rules in its cache when the new one is saved.
    await app.send(invoicePaid({ client: { id: 'new-1' } })).expect(200);
    const earlier = await ledger('new-1');
    expect(earlier).toEqual([expect.objectContaining({ delta: 120, kind: 'earn', rule: 'base_rate' })]);

    const page = await settingsPage();
    expect(page).toContain('data-testid="new-rule"');
    expect(page).toContain('<option value="renewal_bonus">Renewal bonus (renewal_bonus)</option>');
    const res = await owner.post('/admin/settings/rules').type('form').send(newRuleForm(page, { type: 'renewal_bonus', params: '{"percent": 50}' })).expect(200);
    const rule = (await app.plugin.db.repos.rules.all()).at(-1);
    expect(rule).toMatchObject({ type: 'renewal_bonus', active: true, startsAt: null, endsAt: null, capPoints: null, capPeriod: null });
    expect(JSON.parse(rule?.params ?? '')).toEqual({ percent: 50 });
    const change = new RegExp(`<tr data-target="rule:${rule?.id}">[\\s\\S]*?data-testid="before">null</code>[\\s\\S]*?data-testid="after">([^<]*)</code>`).exec(res.text);
    expect(change?.[1]).toBe('{&quot;type&quot;:&quot;renewal_bonus&quot;,&quot;active&quot;:true,&quot;params&quot;:{&quot;percent&quot;:50},&quot;startsAt&quot;:null,&quot;endsAt&quot;:null,&quot;cap&quot;:null}');

    await app.send(invoicePaid({ client: { id: 'new-1' } })).expect(200);
    // The renewal line of 100.00 earns 50% more; the earlier entries are as they were.
    expect(await ledger('new-1')).toEqual([...earlier, expect.objectContaining({ delta: 120, kind: 'earn' }), expect.objectContaining({ delta: 50, kind: 'bonus', rule: `renewal_bonus:${rule?.id}` })]);

    const audit = (await auditRows(app)).filter((r) => r.action === 'rule.create');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_id: '1', role: 'owner', target: `rule:${rule?.id}` });
    expect(JSON.parse(String(audit[0]?.before))).toBeNull();
    expect(JSON.parse(String(audit[0]?.after))).toEqual({ type: 'renewal_bonus', active: true, params: { percent: 50 }, startsAt: null, endsAt: null, cap: null });
  });

  it('the same create form posted twice, or several times at once, makes one rule and one audit row', async () => {
    const page = await settingsPage();
    const form = newRuleForm(page, { type: 'first_purchase', params: '{"points": 25}' });
    const before = await ruleWrites();
    const first = await owner.post('/admin/settings/rules').type('form').send(form).expect(200);
    const again = await owner.post('/admin/settings/rules').type('form').send(form).expect(200);
    const after = await ruleWrites();
    expect(after.rules).toHaveLength(before.rules.length + 1);
    expect(after.audits).toBe(before.audits + 1);
    const id = Number(after.rules.at(-1)?.id);
    // The second post answers as the first did: the rule it made.
    for (const res of [first, again]) expect(res.text).toContain(`data-target="rule:${id}"`);
    // Each answer carries a fresh key for the next rule.
    expect(fieldOf(first.text, 'key')).not.toBe(form.key);

    const racing = newRuleForm(await settingsPage(), { type: 'signup', params: '{"points": 10}', active: 'false' });
    const answers = await Promise.all([1, 2, 3].map(() => owner.post('/admin/settings/rules').type('form').send(racing)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    const raced = await ruleWrites();
    expect(raced.rules).toHaveLength(after.rules.length + 1);
    expect(raced.audits).toBe(after.audits + 1);
    expect((await auditRows(app)).filter((r) => r.action === 'rule.create').map((r) => r.target)).toEqual(expect.arrayContaining([`rule:${id}`, `rule:${String(raced.rules.at(-1)?.id)}`]));
  });

  it('refuses an unknown type, bad params JSON, params the type does not take, an end before the start and half a cap, each beside its field, with 422 and nothing written', async () => {
    const before = await ruleWrites();
    const post = async (fields: Record<string, string>, language = 'en') =>
      (await owner.post('/admin/settings/rules').set('Accept-Language', language).type('form').send(newRuleForm(await settingsPage(owner, language), fields)).expect(422)).text;

    const unknown = await post({ type: 'mega_bonus', params: '{not json' });
    expect(unknown).toContain('data-testid="refused"');
    expect(unknown).toMatch(/data-testid="error-type">Rule type: must be one of product_multiplier, exclusion, promo,/);
    expect(unknown).toMatch(/data-testid="error-params">Parameters \(JSON\): must be valid JSON</);
    // What was typed comes back to be corrected.
    expect(unknown).toContain('>{not json</textarea>');

    const schema = await post({ type: 'renewal_bonus', params: '{"percent": 0, "bonus": 1}' });
    expect(schema).toMatch(/data-testid="error-params">Parameters \(JSON\): has names that are not allowed: bonus</);
    expect(schema).toMatch(/data-testid="error-params">Parameters \(JSON\) \(percent\): must be at least 1</);

    const window = await post({ type: 'renewal_bonus', params: '{"percent": 5}', starts_at: '2026-12-10T10:00', ends_at: '2026-12-01T10:00', cap_points: '100' });
    expect(window).toMatch(/data-testid="error-ends_at">Ends: must be after the start</);
    expect(window).toMatch(/data-testid="error-cap_period">Cap period: this field is required</);
    expect(window).toContain('value="2026-12-10T10:00"');

    const dates = await post({ type: 'promo', params: '{"multiplier": "2"}', starts_at: 'tomorrow', ends_at: '2026-02-30T10:00', cap_points: '-5', cap_period: 'week' });
    expect(dates).toMatch(/data-testid="error-starts_at">Starts: must be a date \(YYYY-MM-DDTHH:MM\)</);
    expect(dates).toMatch(/data-testid="error-ends_at">Ends: must be a date/);
    expect(dates).toMatch(/data-testid="error-cap_points">Cap: points per member: must be from 1 to 1,000,000,000</);
    expect(dates).toMatch(/data-testid="error-cap_period">Cap period: must be one of day, month, year</);

    const russian = await post({ type: 'renewal_bonus', params: '{"percent": 5}', starts_at: '2026-12-10T10:00', ends_at: '2026-12-10T10:00' }, 'ru');
    expect(russian).toMatch(/data-testid="error-ends_at">Окончание: должно быть позже начала</);
    expect(russian).not.toMatch(/must be/);

    // A tampered key is refused too, and the form comes back with a fresh one.
    const page = await settingsPage();
    const tampered = await owner.post('/admin/settings/rules').type('form').send({ ...newRuleForm(page, { type: 'signup', params: '{"points": 5}' }), key: 'x' }).expect(422);
    expect(tampered.text).toContain('data-testid="error-key"');
    expect(fieldOf(tampered.text, 'key')).toMatch(/^[A-Za-z0-9_-]{16,64}$/);

    expect(await ruleWrites()).toEqual(before);
  });

  it("says why a rule type's own param check refused, beside the params in a non-English admin's language, with 422 and nothing written", async () => {
    const before = await ruleWrites();
    const window = { starts_at: '2026-12-10T10:00', ends_at: '2026-12-20T10:00' };
    const refusals: Array<[string, string, object, Record<string, string>, string]> = [
      ['ru', 'product_multiplier', { multiplier: '0.5', product_groups: ['vps'] }, {}, 'Параметры (JSON) (multiplier): должно быть больше 1 и не больше 100 (чтобы за эти позиции баллы не начислялись, добавьте правило «Исключение»)'],
      ['tr', 'promo', { multiplier: '150' }, window, 'Parametreler (JSON) (multiplier): 1 değerinden büyük ve en fazla 100 olmalı (bu kalemler puan kazandırmasın istiyorsanız bir Hariç tutma kuralı ekleyin)'],
      ['vi', 'product_multiplier', { multiplier: '1,5', product_groups: ['vps'] }, {}, 'Tham số (JSON) (multiplier): phải là số thập phân, ví dụ 1.5'],
      ['zh', 'exclusion', { item_types: ['domain'], labels: { Russian: 'домены' } }, {}, '参数（JSON） (labels.Russian)：必须是小写字母的语言代码，例如 ru'],
      ['ru', 'product_multiplier', { multiplier: '2' }, {}, 'Параметры (JSON): укажите хотя бы одно из полей item_types, product_groups, product_ids'],
      ['tr', 'exclusion', { label: 'everything' }, {}, 'Parametreler (JSON): şu alanlardan en az biri gerekli: item_types, product_groups, product_ids'],
      ['vi', 'service_upgrade', { points: 50, percent: 10 }, {}, 'Tham số (JSON): cần đúng một trong các trường points, percent'],
      ['zh', 'service_upgrade', {}, {}, '参数（JSON）：points, percent 必须且只能填写其中一项'],
      ['ru', 'renewal_streak', { streak: 3, months: 12, points: 50 }, {}, 'Параметры (JSON): укажите ровно одно из полей streak, months'],
      ['tr', 'renewal_streak', { months: 12 }, {}, 'Parametreler (JSON): şu alanlardan tam olarak biri verilmeli: points, percent'],
      ['vi', 'action', { kind: 'Trustpilot review', points: 50 }, {}, 'Tham số (JSON) (kind): phải gồm 1 đến 32 ký tự: chữ thường a–z, chữ số hoặc _ . -'],
    ];
    const GENERIC = ['недопустимое значение', 'geçerli değil', 'không hợp lệ', '：无效'];
    for (const [language, type, params, fields, reason] of refusals) {
      const page = await settingsPage(owner, language);
      const res = await owner.post('/admin/settings/rules').set('Accept-Language', language).type('form').send(newRuleForm(page, { type, params: JSON.stringify(params), ...fields }));
      const said = [...res.text.matchAll(/data-testid="error-params">([^<]*)</g)].map((m) => m[1]);
      expect([type, params, res.status, said]).toEqual([type, params, 422, [reason]]);
      expect(said.filter((text) => GENERIC.some((g) => text?.includes(g)))).toEqual([]);
    }
    expect(await ruleWrites()).toEqual(before);
  });

  it("edits a rule's window as wall times in the program's time zone and its cap: shown back as entered, audited with before and after, and the next events earn by them", async () => {
    await app.plugin.services.settings.update({ time_zone: 'Europe/Istanbul' });
    const rule = (await app.plugin.db.repos.rules.all()).find((r) => r.type === 'annual_prepay_bonus');
    if (!rule) throw new Error('no seeded annual_prepay_bonus rule');
    const page = await settingsPage();
    expect(page).toContain('Europe/Istanbul');
    // Warm the engine's rule cache before the edit.
    await app.send(invoicePaid({ client: { id: 'win-0' } })).expect(200);

    const refused = await owner
      .post(`/admin/settings/rules/${rule.id}`)
      .type('form')
      .send({ _csrf: csrfOf(page), active: 'true', params: rule.params, starts_at: '2026-11-22T14:00', ends_at: '2026-11-22T13:00', cap_points: '', cap_period: '' })
      .expect(422);
    expect(refused.text).toMatch(/data-testid="error-ends_at">Ends: must be after the start</);
    expect((await app.plugin.db.repos.rules.all()).find((r) => r.id === rule.id)).toEqual(rule);

    // 13:00–14:00 in Istanbul (UTC+3) is 10:00–11:00 UTC.
    const res = await owner
      .post(`/admin/settings/rules/${rule.id}`)
      .type('form')
      .send({ _csrf: csrfOf(page), active: 'true', params: rule.params, starts_at: '2026-11-22T13:00', ends_at: '2026-11-22T14:00', cap_points: '5', cap_period: 'day' })
      .expect(200);
    const saved = (await app.plugin.db.repos.rules.all()).find((r) => r.id === rule.id);
    expect(saved).toMatchObject({ active: true, startsAt: new Date('2026-11-22T10:00:00Z'), endsAt: new Date('2026-11-22T11:00:00Z'), capPoints: 5, capPeriod: 'day' });
    expect(res.text).toContain(`data-target="rule:${rule.id}"`);
    expect(res.text).toContain(`id="rule-${rule.id}-starts-at" name="starts_at" type="datetime-local" placeholder="YYYY-MM-DDTHH:MM" value="2026-11-22T13:00"`);
    expect(res.text).toContain(`id="rule-${rule.id}-ends-at" name="ends_at" type="datetime-local" placeholder="YYYY-MM-DDTHH:MM" value="2026-11-22T14:00"`);
    // The params come back exactly as stored, pretty-printed (no indentation added by the page).
    const params = new RegExp(`id="rule-${rule.id}-params"[^>]*>([^<]*)</textarea>`).exec(res.text)?.[1]?.replace(/&quot;/g, '"');
    expect(params).toBe(JSON.stringify(JSON.parse(rule.params), null, 2));
    const audit = (await auditRows(app)).filter((r) => r.action === 'rule.update' && r.target === `rule:${rule.id}`);
    expect(audit).toHaveLength(1);
    expect(JSON.parse(String(audit[0]?.before))).toMatchObject({ active: false, startsAt: null, endsAt: null, cap: null });
    expect(JSON.parse(String(audit[0]?.after))).toMatchObject({ active: true, startsAt: '2026-11-22T10:00:00.000Z', endsAt: '2026-11-22T11:00:00.000Z', cap: { points: 5, period: 'day' } });

    // In the window (10:15 UTC) the 20% annual bonus of 20 is cut to the cap of 5; at its end (exclusive) and before its start, none.
    await app.send(invoicePaid({ client: { id: 'win-1' }, occurred_at: '2026-11-22T10:15:00Z' })).expect(200);
    await app.send(invoicePaid({ client: { id: 'win-2' }, occurred_at: '2026-11-22T11:00:00Z' })).expect(200);
    await app.send(invoicePaid({ client: { id: 'win-3' }, occurred_at: '2026-11-22T09:59:59Z' })).expect(200);
    expect((await ledger('win-1')).filter((e) => e.rule === `annual_prepay_bonus:${rule.id}`).map((e) => e.delta)).toEqual([5]);
    for (const outside of ['win-2', 'win-3']) expect((await ledger(outside)).filter((e) => e.rule === `annual_prepay_bonus:${rule.id}`)).toEqual([]);

    // The same form sent back unchanged is no change; blank window and cap fields take them off.
    const shown = await settingsPage();
    const unchanged = await owner
      .post(`/admin/settings/rules/${rule.id}`)
      .type('form')
      .send({ _csrf: csrfOf(shown), active: 'true', params: rule.params, starts_at: '2026-11-22T13:00', ends_at: '2026-11-22T14:00', cap_points: '5', cap_period: 'day' })
      .expect(200);
    expect(unchanged.text).toContain('Nothing changed');
    await owner.post(`/admin/settings/rules/${rule.id}`).type('form').send({ _csrf: csrfOf(shown), active: 'false', params: rule.params, starts_at: '', ends_at: '', cap_points: '', cap_period: '' }).expect(200);
    expect((await app.plugin.db.repos.rules.all()).find((r) => r.id === rule.id)).toMatchObject({ active: false, startsAt: null, endsAt: null, capPoints: null, capPeriod: null });
    await app.plugin.services.settings.update({ time_zone: 'UTC' });
  });

  it("edits a tier's name per language, the English one required, audited with before and after; the page shows the new name at once", async () => {
    const silver = (await app.plugin.db.repos.tiers.list()).find((t) => t.name === 'Silver');
    if (!silver) throw new Error('no Silver tier');
    const page = await settingsPage();
    expect(page).toContain(`id="tier-${silver.id}-name_ru" name="name_ru" value="Серебряный"`);
    expect(page).toContain(`<label for="tier-${silver.id}-name_zh">Name (Chinese)</label>`);
    const form = { _csrf: csrfOf(page), threshold: '500.00', earn_multiplier: silver.earnMultiplier, renewal_discount_percent: String(silver.renewalDiscountBp / 100) };
    const names = { name_en: 'Silver', name_ru: 'Серебряный', name_tr: 'Gümüş', name_vi: 'Bạc', name_zh: '白银' };

    const before = { tiers: await app.plugin.db.knex('loyalty_tiers').orderBy('id'), audits: await count('loyalty_audit') };
    const blank = await owner.post(`/admin/settings/tiers/${silver.id}`).set('Accept-Language', 'ru').type('form').send({ ...form, ...names, name_en: ' ', name_vi: 'x'.repeat(65) }).expect(422);
    expect(blank.text).toMatch(/data-testid="error-name_en">Название \(английский\): обязательное поле</);
    expect(blank.text).toMatch(/data-testid="error-name_vi">Название \(вьетнамский\): не длиннее 64 символов</);
    expect({ tiers: await app.plugin.db.knex('loyalty_tiers').orderBy('id'), audits: await count('loyalty_audit') }).toEqual(before);

    const res = await owner.post(`/admin/settings/tiers/${silver.id}`).type('form').send({ ...form, ...names, name_en: 'Silver Plus', name_ru: 'Серебряный плюс', name_tr: '' }).expect(200);
    expect(res.text).toContain(`data-target="tier:${silver.id}"`);
    const saved = (await app.plugin.db.repos.tiers.list()).find((t) => t.id === silver.id);
    // The key name stays (promos and panel groups refer to it); Turkish, left blank, falls back.
    expect(saved).toMatchObject({ name: 'Silver', names: { en: 'Silver Plus', ru: 'Серебряный плюс', vi: 'Bạc', zh: '白银' } });
    expect(saved?.names.tr).toBeUndefined();
    const audit = (await auditRows(app)).filter((r) => r.action === 'tier.update' && r.target === `tier:${silver.id}`);
    expect(audit).toHaveLength(1);
    expect(JSON.parse(String(audit[0]?.before)).names).toEqual(silver.names);
    expect(JSON.parse(String(audit[0]?.after)).names).toEqual(saved?.names);

    // The admin page in Russian heads the tier's form with its new Russian name at once.
    expect(await settingsPage(owner, 'ru')).toContain('<h3>Серебряный плюс</h3>');
  });

  it('a billing or viewer admin may not create a rule (403), and nothing is written', async () => {
    const page = await settingsPage();
    const agents = [await adminAgent(app, 'billing'), await adminAgent(app, 'viewer')];
    const before = await ruleWrites();
    for (const agent of agents) {
      await agent.post('/admin/settings/rules').type('form').send(newRuleForm(page, { type: 'signup', params: '{"points": 5}' })).expect(403);
    }
    expect(await ruleWrites()).toEqual(before);
  });
});
