import { adminAgent, auditRows, formOf, unescapeHtml, type AdminAgent } from '../support/admin';
import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';

/**
 * Two owners with the same earning rule or tier form open: each save writes only the fields
 * changed on its own form, over the row as it is then, so neither reverts the other. The same
 * field changed on both to different values is refused (422, `changed_meanwhile`) with the value
 * now beside the field, and nothing written or audited.
 */
describe('admin: rule and tier forms open in two places', () => {
  let app: TestApp;
  let olga: AdminAgent;
  let omar: AdminAgent;

  const count = async (table: string) => Number((await app.plugin.db.knex(table).count({ n: '*' }).first())?.n ?? 0);
  /** Opens the settings page and reads one form off it, as its browser would post it unchanged. */
  const open = async (agent: AdminAgent, testId: string) => formOf((await agent.get('/admin/settings').expect(200)).text, testId);
  const rule = async (id: number) => (await app.plugin.db.repos.rules.all()).find((r) => r.id === id);
  const tier = async (id: number) => (await app.plugin.db.repos.tiers.list()).find((t) => t.id === id);
  const writes = async () => ({ rules: await app.plugin.db.knex('loyalty_rules').orderBy('id'), tiers: await app.plugin.db.knex('loyalty_tiers').orderBy('id'), audits: await count('loyalty_audit') });
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
});
