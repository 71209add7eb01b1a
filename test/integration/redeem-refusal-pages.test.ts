import { Translations, type Translator } from '../../plugin/i18n';
import { cookiesOf, paidClient } from '../support/client';
import { expectBalancesConsistent, startTestApp, tableCounts, type TestApp } from '../support/harness';
import { addReward } from '../support/rewards';

const DAY = 86_400_000;
const byTestId = (html: string, id: string) => new RegExp(`data-testid="${id}"[^>]*>([\\s\\S]*?)</`).exec(html)?.[1];
const mainOf = (html: string) => /<main[\s\S]*?<\/main>/.exec(html)?.[0] ?? html;

/**
 * What a posted confirmation answers when it is refused: a reward the member's catalog doesn't
 * offer shows nothing of itself (a draft's name and terms stayed readable by posting to its
 * id), and a points amount that is not one of the reward's steps, however it is written, is the
 * confirmation page with its refusal in the member's language, not a generic error.
 */
describe('redemption refusal pages', () => {
  let app: TestApp;
  let ru: Translator;
  let en: Translator;
  let fixedId = 0;
  let flexibleId = 0;

  beforeAll(async () => {
    app = await startTestApp();
    const translations = new Translations();
    await translations.init();
    ru = translations.for('ru');
    en = translations.for('en');
    const rewards = await app.plugin.db.repos.rewards.list();
    fixedId = rewards.find((r) => r.costPoints === 500)?.id ?? 0;
    flexibleId = rewards.find((r) => r.stepPoints === 100)?.id ?? 0;
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  /** Every row a redemption writes, so "nothing written" covers the redemption and its panel action too. */
  const written = async () => {
    const n = async (table: string) => Number((await app.plugin.db.knex(table).count({ n: '*' }).first())?.n);
    return { ...(await tableCounts(app.plugin)), redemptions: await n('loyalty_redemptions'), outbox: await n('loyalty_outbox') };
  };

  /** A signed-in member's confirmation form of a reward on offer, to post to any reward id. */
  async function formOf(clientId: string, total: string, locale: string) {
    const cookie = await paidClient(app, clientId, total, locale);
    const page = await app.http.get(`/client/rewards/redeem/${flexibleId}`).set('Cookie', cookie).expect(200);
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(page.text)?.[1] ?? '';
    const jar = [...cookie, ...cookiesOf(page)].join('; ');
    return {
      jar,
      get: (rewardId: number) => app.http.get(`/client/rewards/redeem/${rewardId}`).set('Cookie', jar),
      post: (rewardId: number, fields: Record<string, string> = {}) =>
        app.http.post(`/client/rewards/redeem/${rewardId}`).set('Cookie', jar).type('form').send({ _csrf: field('_csrf'), key: field('key'), ...fields }),
    };
  }

  describe('a reward the member is not offered', () => {
    it('a draft, one not started, one ended and an id that is no reward: a post is one "not offered" page showing nothing of the reward', async () => {
      const now = app.clock.now().getTime();
      const draft = await addReward(app, {
        kind: 'promo_code',
        names: { en: 'SECRET Black Friday launch' },
        descriptions: { en: 'Unannounced: 50% off everything' },
        costPoints: 100,
        values: {},
        promo: { type: 'percent', percent: 50, validDays: 3 },
        active: false,
      });
      const future = await addReward(app, { names: { en: 'Scheduled Xmas gift' }, descriptions: { en: 'Coming in December' }, costPoints: 100, startsAt: new Date(now + 30 * DAY) });
      const ended = await addReward(app, { names: { en: 'Summer special' }, descriptions: { en: 'Was on in July' }, costPoints: 100, endsAt: new Date(now - DAY) });
      const none = (await app.plugin.db.repos.rewards.list()).reduce((max, r) => Math.max(max, r.id), 0) + 1000;
      const form = await formOf('hidden-1', '900.00', 'en');
      const before = await written();
      const pages: string[] = [];
      for (const id of [draft, future, ended, none]) {
        await form.get(id).expect(404);
        const res = await form.post(id).expect(422);
        const main = mainOf(res.text);
        expect({ id, refusal: byTestId(main, 'refusal') }).toEqual({ id, refusal: en.t('redeem.refusal.reward_unavailable') });
        expect(main).toContain('href="/client/rewards/redeem"');
        for (const secret of ['SECRET', 'Black Friday', 'Unannounced', '50', 'Scheduled', 'Xmas', 'December', 'Summer', 'July', en.t('redeem.confirm_heading')]) {
          expect({ id, shows: main.includes(secret) ? secret : null }).toEqual({ id, shows: null });
        }
        expect(main).not.toContain('data-testid="confirm-form"');
        pages.push(main);
      }
      // The same page for each: a post can't tell a hidden reward from no reward.
      expect(new Set(pages).size).toBe(1);
      expect(await written()).toEqual(before);
    });

    it('switched off while its page was open: refused in the member’s language, without its content', async () => {
      const reward = await addReward(app, { names: { en: 'Hosting upgrade', ru: 'Улучшение хостинга' }, descriptions: { ru: 'Больше места' }, costPoints: 100 });
      const form = await formOf('hidden-ru', '900.00', 'ru');
      expect((await form.get(reward).expect(200)).text).toContain('Улучшение хостинга');
      await app.plugin.db.repos.rewards.update(reward, { active: false }, app.clock.now());
      const before = await written();
      const res = await form.post(reward).expect(422);
      expect(res.text).toContain('lang="ru"');
      expect(byTestId(mainOf(res.text), 'refusal')).toBe(ru.t('redeem.refusal.reward_unavailable'));
      expect(res.text).not.toContain('Улучшение хостинга');
      expect(res.text).not.toContain('Больше места');
      expect(await written()).toEqual(before);
    });

    it('a reward on offer keeps its confirmation page with the refusal: a fixed one the member can’t afford', async () => {
      const form = await formOf('hidden-poor', '200.00', 'en');
      const res = await form.post(fixedId).expect(422);
      expect(res.text).toContain('data-testid="confirm-form"');
      expect(byTestId(res.text, 'refusal')).toBe(en.t('redeem.refusal.not_enough_points', { points: en.t('points_count', { count: 300, formatted: '300' }) }));
    });
  });

  describe('the points of a flexible reward', () => {
    const BAD = ['1e2', '0', '00', '-100', '150', '100.5', '100.01', '+100', '0x64', '１００', '1,000', '1 000', 'abc', '99999999999999999', '9007199254740993', '9'.repeat(400)];

    it.each(BAD.map((v) => [v.length > 24 ? `${v.slice(0, 6)}… (${v.length} digits)` : v, v]))('%s: the confirmation page with the invalid-points refusal in the member’s language, 422, nothing written', async (_label, points) => {
      const form = await formOf(`pts-${Buffer.from(points).toString('hex').slice(0, 24)}`, '900.00', 'ru');
      const before = await written();
      const res = await form.post(flexibleId, { points }).expect(422);
      expect(res.text).toContain('lang="ru"');
      expect(res.text).toContain('data-testid="confirm-form"');
      expect(byTestId(res.text, 'refusal')).toBe(ru.t('redeem.refusal.invalid_points'));
      expect(res.text).not.toContain('data-testid="error-detail"');
      expect(await written()).toEqual(before);
    });

    it('a whole number written with zeros after the point, as a number field may send it, is that number', async () => {
      const form = await formOf('pts-decimal', '900.00', 'en');
      for (const [points, spent] of [
        ['100.0', 100],
        ['200.00', 200],
        ['0300', 300],
      ] as const) {
        const res = await form.post(flexibleId, { points, key: `decimal-points-key-${spent}` }).expect(303);
        const id = Number(/\/client\/redemptions\/(\d+)$/.exec(String(res.headers.location))?.[1]);
        expect({ points, spent: (await app.plugin.db.repos.redemptions.findById(id))?.points }).toEqual({ points, spent });
      }
      expect((await app.plugin.db.repos.members.findByPanelClientId('pts-decimal'))?.pointsAvailable).toBe(300);
    });

    it('the service refuses points that are not a whole step as invalid_points, writing nothing', async () => {
      await paidClient(app, 'pts-service', '900.00');
      const before = await written();
      for (const points of [Number.NaN, 1.5, -100, 0, 150, Number.POSITIVE_INFINITY, 2 ** 60]) {
        const result = await app.plugin.services.redemptions.redeem('pts-service', { rewardId: flexibleId, points, idempotencyKey: `service-points-key-${String(points).replace(/\W/g, '')}` });
        expect({ points, result }).toEqual({ points, result: { ok: false, refusal: 'invalid_points' } });
      }
      expect(await written()).toEqual(before);
    });
  });
});
