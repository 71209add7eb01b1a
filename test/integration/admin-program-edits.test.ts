import { adminAgent, auditRows, formOf, unescapeHtml, type AdminAgent } from '../support/admin';
import { SettingsRepository } from '../../plugin/repositories/settings-repository';
import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';

/** Polls `check` until it holds (true) or 10 seconds pass (false). */
async function until(check: () => Promise<boolean> | boolean): Promise<boolean> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 25))) if (await check()) return true;
  return false;
}

/**
 * A save waits on the settings another transaction holds: on MariaDB, InnoDB's monitor shows a
 * transaction waiting for a lock on loyalty_settings (information_schema.innodb_trx is refreshed
 * too seldom to poll, test/integration/backfill-restart.test.ts); on SQLite, whose one
 * connection the holder has, a caller waits for it.
 */
async function settingsLockWaited(app: TestApp): Promise<boolean> {
  if (app.plugin.db.dialect === 'sqlite') return app.plugin.db.poolStats().pending > 0;
  const dbName = decodeURIComponent(new URL(app.db.url).pathname.slice(1));
  const [rows] = (await app.plugin.db.knex.raw('SHOW ENGINE INNODB STATUS')) as [Array<{ Status: string }>];
  return (rows[0]?.Status ?? '').split('---TRANSACTION').some((t) => t.includes('TRX HAS BEEN WAITING') && t.includes(`of table \`${dbName}\`.\`loyalty_settings\``));
}

/**
 * Two owners with the same earning rule, tier or settings form open: each save writes only the
 * fields changed on its own form, over the row (or settings) as it is then, so neither reverts
 * the other. The same field changed on both to different values is refused (422,
 * `changed_meanwhile`) with the value now beside the field, and nothing written or audited.
 */
describe('admin: rule, tier and settings forms open in two places', () => {
  let app: TestApp;
  let olga: AdminAgent;
  let omar: AdminAgent;

  const count = async (table: string) => Number((await app.plugin.db.knex(table).count({ n: '*' }).first())?.n ?? 0);
  /** Opens the settings page and reads one form off it, as its browser would post it unchanged. */
  const open = async (agent: AdminAgent, testId: string) => formOf((await agent.get('/admin/settings').expect(200)).text, testId);
  const rule = async (id: number) => (await app.plugin.db.repos.rules.all()).find((r) => r.id === id);
  const tier = async (id: number) => (await app.plugin.db.repos.tiers.list()).find((t) => t.id === id);
  const writes = async () => ({
    rules: await app.plugin.db.knex('loyalty_rules').orderBy('id'),
    tiers: await app.plugin.db.knex('loyalty_tiers').orderBy('id'),
    settings: await app.plugin.db.knex('loyalty_settings').orderBy('key'),
    audits: await count('loyalty_audit'),
  });
  /** A field's error paragraphs' text, in the form of `testId`. */
  const errorOf = (html: string, testId: string, field: string) => {
    const form = new RegExp(`data-testid="${testId}"[\\s\\S]*?</form>`).exec(html)?.[0] ?? '';
    return [...form.matchAll(new RegExp(`data-testid="error-${field}">([^<]*)<`, 'g'))].map((m) => unescapeHtml(m[1] ?? ''));
  };

  beforeAll(async () => {
    app = await startTestApp();
    olga = await adminAgent(app, 'owner', { id: '1', name: 'Olga Owner' });
    omar = await adminAgent(app, 'owner', { id: '2', name: 'Omar Owner' });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  describe('an earning rule', () => {
    let id: number;
    beforeAll(async () => {
      const found = (await app.plugin.db.repos.rules.all()).find((r) => r.type === 'annual_prepay_bonus');
      if (!found) throw new Error('no seeded annual_prepay_bonus rule');
      id = found.id;
    });

    it('two forms saved with different fields: both changes are kept, each audited over the rule as it was', async () => {
      const a = await open(olga, `rule-${id}`);
      const b = await open(omar, `rule-${id}`);
      expect(JSON.parse(a.shown ?? '')).toMatchObject({ cap_points: '', cap_period: '', active: 'false' });

      await olga.post(`/admin/settings/rules/${id}`).type('form').send({ ...a, cap_points: '5', cap_period: 'day' }).expect(200);
      // Omar's form still shows no cap; he only switches the rule on.
      const res = await omar.post(`/admin/settings/rules/${id}`).type('form').send({ ...b, active: 'true' }).expect(200);
      expect(res.text).toContain(`data-target="rule:${id}"`);
      expect(await rule(id)).toMatchObject({ active: true, capPoints: 5, capPeriod: 'day' });

      const audit = (await auditRows(app)).filter((r) => r.action === 'rule.update' && r.target === `rule:${id}`);
      expect(audit.map((r) => r.actor_id)).toEqual(['1', '2']);
      expect(JSON.parse(String(audit[1]?.before))).toMatchObject({ active: false, cap: { points: 5, period: 'day' } });
      expect(JSON.parse(String(audit[1]?.after))).toMatchObject({ active: true, cap: { points: 5, period: 'day' } });
    });

    it('the same field changed on both to different values: the second save is refused with the value now, nothing written, no audit row; seen and saved again, it holds', async () => {
      const a = await open(olga, `rule-${id}`);
      const b = await open(omar, `rule-${id}`);
      await olga.post(`/admin/settings/rules/${id}`).type('form').send({ ...a, params: '{"percent": 30}' }).expect(200);
      const before = await writes();

      const refused = await omar.post(`/admin/settings/rules/${id}`).type('form').send({ ...b, params: '{"percent": 40}', cap_points: '9' }).expect(422);
      expect(refused.text).toContain('data-testid="refused"');
      expect(errorOf(refused.text, `rule-${id}`, 'params')).toEqual(['Parameters (JSON): changed to {\n  "percent": 30\n} while the form was open; check it and save again']);
      // Nothing of the refused post is written, not even the field no one else touched.
      expect(await writes()).toEqual(before);
      expect(JSON.parse((await rule(id))?.params ?? '')).toEqual({ percent: 30 });

      // The form comes back with what Omar typed, and now knows he has seen Olga's params.
      const again = formOf(refused.text, `rule-${id}`);
      expect(again).toMatchObject({ params: '{"percent": 40}', cap_points: '9' });
      expect(JSON.parse(again.shown ?? '')).toMatchObject({ params: '{\n  "percent": 30\n}', cap_points: '5' });
      await omar.post(`/admin/settings/rules/${id}`).type('form').send(again).expect(200);
      expect(await rule(id)).toMatchObject({ capPoints: 9 });
      expect(JSON.parse((await rule(id))?.params ?? '')).toEqual({ percent: 40 });
    });

    it('a form sent back unchanged writes nothing, even when another save came in meanwhile', async () => {
      const a = await open(olga, `rule-${id}`);
      const b = await open(omar, `rule-${id}`);
      await olga.post(`/admin/settings/rules/${id}`).type('form').send({ ...a, ends_at: '2030-01-01T00:00' }).expect(200);
      const before = await writes();
      const res = await omar.post(`/admin/settings/rules/${id}`).type('form').send(b).expect(200);
      expect(res.text).toContain('Nothing changed');
      expect(await writes()).toEqual(before);
      expect(await rule(id)).toMatchObject({ endsAt: new Date('2030-01-01T00:00:00Z') });
    });

    it('two saves at once, each of its own field, both stand; of two at once to the same field, one is refused', async () => {
      const [a, b] = [await open(olga, `rule-${id}`), await open(omar, `rule-${id}`)];
      const active = b.active !== 'true';
      const answers = await Promise.all([
        olga.post(`/admin/settings/rules/${id}`).type('form').send({ ...a, cap_points: '11', cap_period: 'month' }),
        omar.post(`/admin/settings/rules/${id}`).type('form').send({ ...b, active: String(active) }),
      ]);
      expect(answers.map((r) => r.status)).toEqual([200, 200]);
      expect(await rule(id)).toMatchObject({ active, capPoints: 11, capPeriod: 'month' });

      const [c, d] = [await open(olga, `rule-${id}`), await open(omar, `rule-${id}`)];
      const audits = await count('loyalty_audit');
      const racing = await Promise.all([
        olga.post(`/admin/settings/rules/${id}`).type('form').send({ ...c, cap_points: '12' }),
        omar.post(`/admin/settings/rules/${id}`).type('form').send({ ...d, cap_points: '13' }),
      ]);
      expect(racing.map((r) => r.status).sort()).toEqual([200, 422]);
      const won = racing[0]?.status === 200 ? 12 : 13;
      expect((await rule(id))?.capPoints).toBe(won);
      expect(await count('loyalty_audit')).toBe(audits + 1);
    });
  });

  describe('a tier', () => {
    let id: number;
    beforeAll(async () => {
      const silver = (await app.plugin.db.repos.tiers.list()).find((t) => t.name === 'Silver');
      if (!silver) throw new Error('no Silver tier');
      id = silver.id;
    });

    it('two forms saved with different fields: both changes are kept', async () => {
      const a = await open(olga, `tier-${id}`);
      const b = await open(omar, `tier-${id}`);
      expect(JSON.parse(a.shown ?? '')).toMatchObject({ threshold: '500.00', name_ru: 'Серебряный' });

      await olga.post(`/admin/settings/tiers/${id}`).type('form').send({ ...a, threshold: '600.00', name_en: 'Silver Plus' }).expect(200);
      await omar.post(`/admin/settings/tiers/${id}`).type('form').send({ ...b, renewal_discount_percent: '7.5', name_ru: 'Серебряный плюс' }).expect(200);
      expect(await tier(id)).toMatchObject({ thresholdMinor: 60000, renewalDiscountBp: 750, names: expect.objectContaining({ en: 'Silver Plus', ru: 'Серебряный плюс' }) });
      const audit = (await auditRows(app)).filter((r) => r.action === 'tier.update' && r.target === `tier:${id}`);
      expect(audit.map((r) => r.actor_id)).toEqual(['1', '2']);
      expect(JSON.parse(String(audit[1]?.before))).toMatchObject({ thresholdMinor: 60000, names: expect.objectContaining({ en: 'Silver Plus' }) });
    });

    it('the same field changed on both to different values: refused with the value now, nothing written, no audit row; to the same value, no conflict', async () => {
      const a = await open(olga, `tier-${id}`);
      const b = await open(omar, `tier-${id}`);
      await olga.post(`/admin/settings/tiers/${id}`).type('form').send({ ...a, earn_multiplier: '1.5' }).expect(200);
      const before = await writes();

      const refused = await omar.post(`/admin/settings/tiers/${id}`).set('Accept-Language', 'ru').type('form').send({ ...b, earn_multiplier: '2', name_tr: 'Gümüş+' }).expect(422);
      expect(errorOf(refused.text, `tier-${id}`, 'earn_multiplier')).toEqual(['Множитель баллов: изменилось на 1.5, пока форма была открыта; проверьте и сохраните ещё раз']);
      expect(await writes()).toEqual(before);
      expect(formOf(refused.text, `tier-${id}`)).toMatchObject({ earn_multiplier: '2', name_tr: 'Gümüş+' });

      // Had Omar typed what Olga saved, there is nothing between them.
      await omar.post(`/admin/settings/tiers/${id}`).type('form').send({ ...b, earn_multiplier: '1.5' }).expect(200);
      expect((await tier(id))?.earnMultiplier).toBe('1.5');
    });

    it('a form sent back unchanged writes nothing, even when another save came in meanwhile', async () => {
      const a = await open(olga, `tier-${id}`);
      const b = await open(omar, `tier-${id}`);
      await olga.post(`/admin/settings/tiers/${id}`).type('form').send({ ...a, name_vi: 'Bạc+' }).expect(200);
      const before = await writes();
      const res = await omar.post(`/admin/settings/tiers/${id}`).type('form').send(b).expect(200);
      expect(res.text).toContain('Nothing changed');
      expect(await writes()).toEqual(before);
      expect((await tier(id))?.names.vi).toBe('Bạc+');
    });

    it('of two saves at once to the same field, one is refused and one audited', async () => {
      const [a, b] = [await open(olga, `tier-${id}`), await open(omar, `tier-${id}`)];
      const audits = await count('loyalty_audit');
      const racing = await Promise.all([
        olga.post(`/admin/settings/tiers/${id}`).type('form').send({ ...a, renewal_discount_percent: '8' }),
        omar.post(`/admin/settings/tiers/${id}`).type('form').send({ ...b, renewal_discount_percent: '9' }),
      ]);
      expect(racing.map((r) => r.status).sort()).toEqual([200, 422]);
      expect((await tier(id))?.renewalDiscountBp).toBe(racing[0]?.status === 200 ? 800 : 900);
      expect(await count('loyalty_audit')).toBe(audits + 1);
    });
  });

  describe('the settings form', () => {
    const settings = async () => {
      app.plugin.services.settings.invalidate();
      return app.plugin.services.settings.snapshot();
    };
    const settingAudits = async () => (await auditRows(app)).filter((r) => r.action === 'settings.update');

    it('two forms saved with different settings: both changes are kept, each audited alone', async () => {
      const a = await open(olga, 'settings-form');
      const b = await open(omar, 'settings-form');
      expect(JSON.parse(a.shown ?? '')).toMatchObject({ refund_window_days: '0', debt_policy: 'debt', time_zone: 'UTC', tier_base_currency: 'USD', earn_rates: '{\n  "USD": "1",\n  "EUR": "1",\n  "GBP": "1"\n}' });
      const audits = (await settingAudits()).length;

      // Olga moves the time zone and the tier currency, which other forms' texts are drawn in:
      // no setting's text depends on them, so Omar's form sees no change but his own.
      await olga.post('/admin/settings').type('form').send({ ...a, refund_window_days: '21', time_zone: 'Europe/Berlin', tier_base_currency: 'EUR' }).expect(200);
      const res = await omar.post('/admin/settings').type('form').send({ ...b, debt_policy: 'write_off', earn_rates: '{"USD":"2","EUR":"1","GBP":"1"}' }).expect(200);
      expect(res.text).toContain('data-target="setting:debt_policy"');
      expect(res.text).not.toContain('data-target="setting:refund_window_days"');
      expect(await settings()).toMatchObject({ refund_window_days: 21, time_zone: 'Europe/Berlin', tier_base_currency: 'EUR', debt_policy: 'write_off', earn_rates: { USD: '2', EUR: '1', GBP: '1' } });

      const audit = (await settingAudits()).slice(audits);
      expect(audit.map((r) => [r.actor_id, r.target])).toEqual([
        ['1', 'setting:refund_window_days'],
        ['1', 'setting:tier_base_currency'],
        ['1', 'setting:time_zone'],
        ['2', 'setting:earn_rates'],
        ['2', 'setting:debt_policy'],
      ]);
    });

    it('the same setting changed on both to different values: the second save is refused with the value now, nothing written, no audit row; seen and saved again, it holds', async () => {
      const a = await open(olga, 'settings-form');
      const b = await open(omar, 'settings-form');
      await olga.post('/admin/settings').type('form').send({ ...a, chargeback_penalty_points: '10' }).expect(200);
      const before = await writes();

      const refused = await omar.post('/admin/settings').type('form').send({ ...b, chargeback_penalty_points: '20', tier_grace_days: '45' }).expect(422);
      expect(refused.text).toContain('data-testid="refused"');
      expect(errorOf(refused.text, 'settings-form', 'chargeback_penalty_points').map((e) => e.trim())).toEqual(['Chargeback penalty (points): changed to 10 while the form was open; check it and save again']);
      // Nothing of the refused post is written, not even the setting no one else touched.
      expect(await writes()).toEqual(before);
      expect(await settings()).toMatchObject({ chargeback_penalty_points: 10, tier_grace_days: 30 });

      // The form comes back with what Omar typed, and now knows he has seen Olga's penalty.
      const again = formOf(refused.text, 'settings-form');
      expect(again).toMatchObject({ chargeback_penalty_points: '20', tier_grace_days: '45' });
      expect(JSON.parse(again.shown ?? '')).toMatchObject({ chargeback_penalty_points: '10', tier_grace_days: '30' });
      await omar.post('/admin/settings').type('form').send(again).expect(200);
      expect(await settings()).toMatchObject({ chargeback_penalty_points: 20, tier_grace_days: 45 });

      // Had Omar typed what Olga saved, there is nothing between them.
      const c = await open(olga, 'settings-form');
      const d = await open(omar, 'settings-form');
      await olga.post('/admin/settings').type('form').send({ ...c, renewal_grace_days: '3' }).expect(200);
      const same = await omar.post('/admin/settings').type('form').send({ ...d, renewal_grace_days: '3' }).expect(200);
      expect(same.text).toContain('Nothing changed');
    });

    it('a form sent back unchanged writes nothing, even when another save came in meanwhile', async () => {
      const a = await open(olga, 'settings-form');
      const b = await open(omar, 'settings-form');
      await olga.post('/admin/settings').type('form').send({ ...a, expiry_warning_days: '[14, 3]', statements_default_opt_in: 'true' }).expect(200);
      const before = await writes();
      const res = await omar.post('/admin/settings').type('form').send(b).expect(200);
      expect(res.text).toContain('Nothing changed');
      expect(await writes()).toEqual(before);
      expect(await settings()).toMatchObject({ expiry_warning_days: [14, 3], statements_default_opt_in: true });
    });

    it('two saves at once, each of its own setting, both stand; of two at once to the same setting, one is refused and one audited', async () => {
      const [a, b] = [await open(olga, 'settings-form'), await open(omar, 'settings-form')];
      const answers = await Promise.all([
        olga.post('/admin/settings').type('form').send({ ...a, churn_no_payment_days: '120' }),
        omar.post('/admin/settings').type('form').send({ ...b, churn_spend_drop_percent: '40' }),
      ]);
      expect(answers.map((r) => r.status)).toEqual([200, 200]);
      expect(await settings()).toMatchObject({ churn_no_payment_days: 120, churn_spend_drop_percent: 40 });

      const [c, d] = [await open(olga, 'settings-form'), await open(omar, 'settings-form')];
      const audits = await count('loyalty_audit');
      const racing = await Promise.all([
        olga.post('/admin/settings').type('form').send({ ...c, churn_spend_window_months: '6' }),
        omar.post('/admin/settings').type('form').send({ ...d, churn_spend_window_months: '9' }),
      ]);
      expect(racing.map((r) => r.status).sort()).toEqual([200, 422]);
      expect((await settings()).churn_spend_window_months).toBe(racing[0]?.status === 200 ? 6 : 9);
      expect(await count('loyalty_audit')).toBe(audits + 1);
    });

    it('a save waits for one in progress, and is judged over what that one wrote', async () => {
      const key = 'churn_spend_window_months';
      const db = app.plugin.db;
      await db.repos.settings.set(key, 4, app.clock.now());
      const b = await open(omar, 'settings-form');
      expect(b[key]).toBe('4');
      // Another save holds the settings, as a save does between its read and its commit.
      const held = await db.knex.transaction();
      let posting: Promise<{ status: number; text: string }> | undefined;
      try {
        await held('loyalty_settings').select('key').forUpdate();
        posting = omar.post('/admin/settings').type('form').send({ ...b, [key]: '5' }).then((r) => r);
        await expect(until(() => settingsLockWaited(app))).resolves.toBe(true);
        await new SettingsRepository(held).set(key, 6, app.clock.now());
        await held.commit();
      } finally {
        if (!held.isCompleted()) await held.rollback();
      }
      const res = await posting;
      expect(res.status).toBe(422);
      expect(errorOf(res.text, 'settings-form', key).map((e) => e.trim())).toEqual(['Churn: spend window (months): changed to 6 while the form was open; check it and save again']);
      expect((await settings())[key]).toBe(6);
    });

    it('of two saves at once to a setting with no row yet (its default), one is refused and one audited', async () => {
      // No row to lock: the save that inserts second finds the first's row, and is judged again over it.
      for (const round of [1, 2, 3]) {
        await app.plugin.db.knex('loyalty_settings').where({ key: 'anniversary_bonus' }).delete();
        const [a, b] = [await open(olga, 'settings-form'), await open(omar, 'settings-form')];
        expect(JSON.parse(a.shown ?? '')).toMatchObject({ anniversary_bonus: '{\n  "active": false,\n  "points_per_year": 50\n}' });
        const audits = await count('loyalty_audit');
        const racing = await Promise.all([
          olga.post('/admin/settings').type('form').send({ ...a, anniversary_bonus: `{"active":true,"points_per_year":${60 + round}}` }),
          omar.post('/admin/settings').type('form').send({ ...b, anniversary_bonus: `{"active":true,"points_per_year":${70 + round}}` }),
        ]);
        expect(racing.map((r) => r.status).sort()).toEqual([200, 422]);
        expect((await settings()).anniversary_bonus).toEqual({ active: true, points_per_year: racing[0]?.status === 200 ? 60 + round : 70 + round });
        expect(await count('loyalty_audit')).toBe(audits + 1);
      }
    });
  });
});
