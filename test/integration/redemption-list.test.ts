import { randomBytes } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { hasIndex } from '../../migrations/helpers';
import { REDEMPTIONS_PAGE_SIZE } from '../../plugin/services/redemption-service';
import { unescapeHtml } from '../support/admin';
import { clientSession, paidClient } from '../support/client';
import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';
import { addReward } from '../support/rewards';
import { TestPanel } from '../support/test-panel';

/** One row of the list page: the redemption it links to, its state and what it says. */
interface Row {
  id: number;
  state: string;
  href: string;
  name: string;
  code: string | null;
  cells: string[];
}

function rowsOf(html: string): Row[] {
  return [...html.matchAll(/<tr data-redemption="(\d+)" data-state="(\w+)">([\s\S]*?)<\/tr>/g)].map((m) => {
    const body = m[3] ?? '';
    const link = /<a href="([^"]+)" data-testid="redemption-link">([^<]*)<\/a>/.exec(body);
    const code = /data-testid="redemption-code">([^<]*)</.exec(body)?.[1];
    const cells = [...body.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => unescapeHtml((c[1] ?? '').replace(/<br>/g, ' ').replace(/<[^>]+>/g, '')).trim());
    return { id: Number(m[1]), state: m[2] ?? '', href: link?.[1] ?? '', name: unescapeHtml(link?.[2] ?? ''), code: code === undefined ? null : unescapeHtml(code), cells };
  });
}

const testIdHref = (html: string, testid: string): string | null => {
  const m = new RegExp(`<a href="([^"]+)"[^>]*data-testid="${testid}"`).exec(html);
  return m?.[1] ? unescapeHtml(m[1]) : null;
};
const testIdText = (html: string, testid: string): string | null => {
  const m = new RegExp(`data-testid="${testid}">([^<]*)<`).exec(html);
  return m?.[1] === undefined ? null : unescapeHtml(m[1]);
};

/**
 * Every redemption a member made is in reach from the client area: the catalog's "Your
 * rewards" shows the latest few and links to the list of them all, which pages by id (newest
 * first) and links each to its own page, so the first code of many is one click or a few
 * pages away. A client only ever sees their own, and a bad page link is a 400 in their language.
 */
describe('the list of all a member’s redemptions', () => {
  let app: TestApp;
  const panel = new TestPanel();
  let promoId: number;
  let creditId: number;

  beforeAll(async () => {
    app = await startTestApp({ panelApi: panel });
    promoId = await addReward(app, { names: { en: 'Ten off', ru: 'Скидка 10' }, kind: 'promo_code', costPoints: 10, values: { USD: 1000 }, promo: { type: 'amount', validDays: 365 } });
    creditId = await addReward(app, { names: { en: 'Small credit' }, costPoints: 10, values: { USD: 10 } });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  /** `n` redemptions of `rewardId`, a minute apart, delivered by the panel: their ids and codes, oldest first. */
  async function redeemMany(clientId: string, n: number, rewardId = promoId): Promise<Array<{ id: number; code: string | null }>> {
    const made: Array<{ id: number; code: string | null }> = [];
    for (let i = 0; i < n; i++) {
      const r = await app.plugin.services.redemptions.redeem(clientId, { rewardId, idempotencyKey: randomBytes(12).toString('base64url') });
      if (!r.ok) throw new Error(`not redeemed: ${r.refusal}`);
      made.push({ id: r.redemption.id, code: r.redemption.code });
      app.clock.advance(60_000);
    }
    await app.plugin.jobs.dispatchOutbox();
    return made;
  }

  const get = (path: string, cookie: string[]) => app.http.get(path).set('Cookie', cookie.join('; '));

  /** Every page of the list, following its "older" links from the catalog's link. */
  async function allPages(cookie: string[]): Promise<Array<{ html: string; rows: Row[]; path: string }>> {
    const catalog = (await get('/client/rewards/redeem', cookie).expect(200)).text;
    let path = testIdHref(catalog, 'all-redemptions');
    const pages: Array<{ html: string; rows: Row[]; path: string }> = [];
    while (path !== null) {
      const html = (await get(path, cookie).expect(200)).text;
      pages.push({ html, rows: rowsOf(html), path });
      path = testIdHref(html, 'older');
      if (pages.length > 10) throw new Error('the older links never end');
    }
    return pages;
  }

  it('11 promo codes: the catalog shows the latest 10 and links to all; the first code is on the list and its own page', async () => {
    const cookie = await paidClient(app, 'list-eleven', '500.00');
    const made = await redeemMany('list-eleven', 11);
    const first = made[0];
    if (!first?.code) throw new Error('no first code');

    const tab = (await get('/client/rewards', cookie).expect(200)).text;
    expect(testIdHref(tab, 'redemptions-link')).toBe('/client/redemptions');
    const catalog = (await get('/client/rewards/redeem', cookie).expect(200)).text;
    expect(catalog).not.toContain(first.code);
    expect(testIdHref(catalog, 'all-redemptions')).toBe('/client/redemptions');

    const pages = await allPages(cookie);
    expect(pages).toHaveLength(1);
    const rows = pages[0]?.rows ?? [];
    expect(rows.map((r) => r.id)).toEqual(made.map((m) => m.id).reverse());
    expect(rows.map((r) => r.code)).toEqual(made.map((m) => `Your code: ${m.code}`).reverse());
    const oldest = rows[rows.length - 1];
    // Date, reward, points, state with the code.
    expect(oldest?.cells).toEqual(['Nov 23, 2026', 'Ten off', '10', `Ready to use Your code: ${first.code}`]);
    expect(oldest?.state).toBe('applied');
    expect(testIdHref(pages[0]?.html ?? '', 'newest')).toBeNull();

    const own = (await get(oldest?.href ?? '', cookie).expect(200)).text;
    expect(oldest?.href).toBe(`/client/redemptions/${first.id}`);
    expect(testIdText(own, 'redemption-code')).toBe(`Your code: ${first.code}`);
  });

  it('pages of 20 by id: 40 make two full pages and no third, 21 make a page of 20 and one of 1; each page links to the newest', async () => {
    expect(REDEMPTIONS_PAGE_SIZE).toBe(20);
    for (const [clientId, n, sizes] of [
      ['list-forty', 40, [20, 20]],
      ['list-twentyone', 21, [20, 1]],
      ['list-twenty', 20, [20]],
    ] as const) {
      const cookie = await paidClient(app, clientId, '500.00');
      const made = await redeemMany(clientId, n, creditId);
      const pages = await allPages(cookie);
      expect(pages.map((p) => p.rows.length)).toEqual(sizes);
      // Newest first, each once, all of them.
      expect(pages.flatMap((p) => p.rows.map((r) => r.id))).toEqual(made.map((m) => m.id).reverse());
      pages.forEach((p, i) => {
        expect(testIdHref(p.html, 'newest')).toBe(i === 0 ? null : '/client/redemptions');
        // The older link's cursor is the last id shown.
        if (i < pages.length - 1) expect(testIdHref(p.html, 'older')).toBe(`/client/redemptions?before=${p.rows[p.rows.length - 1]?.id}`);
      });
      expect(pages[0]?.rows[0]).toMatchObject({ name: 'Small credit', state: 'applied', code: null });
      expect(pages[0]?.rows[0]?.cells.slice(2)).toEqual(['10', 'Added to your account']);
    }
  });

  it('below the oldest: an empty page that says there is nothing older, with the way back to the newest', async () => {
    const cookie = await paidClient(app, 'list-below', '500.00');
    const [only] = await redeemMany('list-below', 1, creditId);
    const html = (await get(`/client/redemptions?before=${only?.id}`, cookie).expect(200)).text;
    expect(rowsOf(html)).toEqual([]);
    expect(testIdText(html, 'redemptions-empty')).toBe('There are no older rewards.');
    expect(testIdHref(html, 'newest')).toBe('/client/redemptions');
    expect(testIdHref(html, 'older')).toBeNull();
  });

  it('a client sees only their own: another client’s ids as the cursor show none of theirs, and a client with none sees none', async () => {
    const mine = await paidClient(app, 'list-mine', '500.00');
    const theirsCookie = await paidClient(app, 'list-theirs', '500.00');
    const a = await redeemMany('list-mine', 2);
    const b = await redeemMany('list-theirs', 3);
    const c = await redeemMany('list-mine', 2);
    const newest = Math.max(...[...a, ...b, ...c].map((r) => r.id));
    for (const before of [undefined, newest + 1, b[2]?.id, b[0]?.id, c[0]?.id]) {
      const html = (await get(`/client/redemptions${before === undefined ? '' : `?before=${before}`}`, mine).expect(200)).text;
      const ids = rowsOf(html).map((r) => r.id);
      expect(ids).toEqual([...a, ...c].map((r) => r.id).filter((id) => before === undefined || id < before).reverse());
      for (const theirs of b) {
        expect(html).not.toContain(theirs.code ?? '-');
        expect(html).not.toContain(`/client/redemptions/${theirs.id}"`);
      }
    }
    expect(rowsOf((await get('/client/redemptions', theirsCookie).expect(200)).text).map((r) => r.id)).toEqual(b.map((r) => r.id).reverse());

    // Signed in through the panel, not a member yet: nothing to list, and no catalog to redeem from.
    const stranger = await clientSession(app, 'list-stranger');
    const html = (await get(`/client/redemptions?before=${newest + 1}`, stranger).expect(200)).text;
    expect(rowsOf(html)).toEqual([]);
    expect(testIdText(html, 'redemptions-empty')).toBe('There are no older rewards.');
    expect(testIdHref(html, 'redeem-link')).toBeNull();
    expect(testIdText((await get('/client/redemptions', stranger).expect(200)).text, 'redemptions-empty')).toBe('You have not redeemed any points yet.');

    // Signed out: no list at all.
    const out = await app.http.get('/client/redemptions').expect(401);
    expect(rowsOf(out.text)).toEqual([]);
  });

  it('in the member’s language, with the name the reward had when redeemed, else in English, else its current names', async () => {
    const ru = await paidClient(app, 'list-ru', '500.00', 'ru');
    const zh = await paidClient(app, 'list-zh', '500.00', 'zh');
    const [ruOne] = await redeemMany('list-ru', 1);
    await redeemMany('list-zh', 1);
    await app.plugin.db.repos.rewards.update(promoId, { names: { en: 'Renamed', ru: 'Переименована' } }, app.clock.now());
    try {
      const ruHtml = (await get('/client/redemptions', ru).expect(200)).text;
      expect(ruHtml).toContain('<h1>Полученные награды</h1>');
      const [ruRow] = rowsOf(ruHtml);
      expect(ruRow?.cells).toEqual(['23 нояб. 2026 г.', 'Скидка 10', '10', `Готов к использованию Ваш промокод: ${ruOne?.code}`]);
      // No Russian name kept: English, as the catalog does.
      expect(rowsOf((await get('/client/redemptions', zh).expect(200)).text)[0]?.name).toBe('Ten off');
      // A row from before names were kept: the reward's names now.
      await app.plugin.db.knex('loyalty_redemptions').where({ id: ruOne?.id }).update({ reward_names: null });
      expect(rowsOf((await get('/client/redemptions', ru).expect(200)).text)[0]?.name).toBe('Переименована');
    } finally {
      await app.plugin.db.repos.rewards.update(promoId, { names: { en: 'Ten off', ru: 'Скидка 10' } }, app.clock.now());
    }
  });

  it.each(['abc', '-1', '0', '1.5', '1e3', '0x10', '%201', '0001', '1000000000000000', '9007199254740993', '99999999999999999999999999999'])('before=%s is a 400 naming it, in the member’s language', async (value) => {
    // A Russian member (signing in again for each value: the event is a replay).
    const ru = await paidClient(app, 'list-bad-ru', '10.00', 'ru');
    const res = await get(`/client/redemptions?before=${value}`, ru).expect(400);
    expect(testIdText(res.text, 'error-message')).toBe('Эта ссылка недействительна. Откройте страницу заново из раздела «Бонусы».');
    expect(testIdText(res.text, 'error-detail')).toBe('Параметр ссылки before должен быть указан один раз — целым числом длиной от 1 до 15 цифр.');
    const json = await get(`/client/redemptions?before=${value}`, ru).set('Accept', 'application/json').expect(400);
    expect(json.text).not.toContain('data-redemption');
  });

  it('before given twice is a 400 naming it', async () => {
    const en = await clientSession(app, 'list-eleven');
    const res = await get('/client/redemptions?before=5&before=2', en).expect(400);
    expect(testIdText(res.text, 'error-message')).toBe('This link is not valid. Open the page again from your Rewards tab.');
    expect(testIdText(res.text, 'error-detail')).toBe('The link’s before parameter must be given once, as a whole number 1 to 15 digits long.');
  });

  it.each(['before[]=1', 'before[a]=1', 'before[]=1&before[]=2', 'before[0][0]=1'])(
    '%s: an array or object is a 400 naming before where the host parses them (express "extended"); else another parameter, ignored',
    async (query) => {
      const en = await clientSession(app, 'list-eleven');
      // A host mounting the plugin in-process may parse brackets into arrays and objects.
      const host = express();
      host.set('query parser', 'extended');
      host.use(app.plugin.router);
      const res = await request(host).get(`/client/redemptions?${query}`).set('Cookie', en.join('; ')).expect(400);
      expect(testIdText(res.text, 'error-message')).toBe('This link is not valid. Open the page again from your Rewards tab.');
      expect(testIdText(res.text, 'error-detail')).toBe('The link’s before parameter must be given once, as a whole number 1 to 15 digits long.');
      // The sidecar's own parser reads `before[]` as a parameter of that name, which the page doesn't take.
      expect(rowsOf((await get(`/client/redemptions?${query}`, en).expect(200)).text)).toHaveLength(11);
    },
  );

  it('the largest cursor allowed and an empty one are pages, not errors', async () => {
    const en = await clientSession(app, 'list-eleven');
    expect(rowsOf((await get('/client/redemptions?before=999999999999999', en).expect(200)).text)).toHaveLength(11);
    expect(rowsOf((await get('/client/redemptions?before=', en).expect(200)).text)).toHaveLength(11);
  });

  it('pages on the (member_id, id) index, and a page is read while the member’s row is locked', async () => {
    expect(await hasIndex(app.plugin.db.knex, 'loyalty_redemptions', 'loyalty_redemptions_member_id_idx')).toBe(true);
    const member = await app.plugin.db.repos.members.findByPanelClientId('list-forty');
    if (!member) throw new Error('no member');
    const query = app.plugin.db.knex('loyalty_redemptions').where({ member_id: member.id }).andWhere('id', '<', 1_000_000).orderBy('id', 'desc').limit(21);
    if (app.db.dialect === 'sqlite') {
      const plan = JSON.stringify(await app.plugin.db.knex.raw(`EXPLAIN QUERY PLAN ${query.toString()}`));
      expect(plan).toContain('loyalty_redemptions_member_id_idx');
      // Rows come in index order: no sort of a member's whole list.
      expect(plan).not.toContain('TEMP B-TREE');
    } else {
      const [rows] = (await app.plugin.db.knex.raw(`EXPLAIN ${query.toString()}`)) as [Array<{ key: string | null; Extra: string | null }>];
      expect(rows[0]?.key).toBe('loyalty_redemptions_member_id_idx');
      expect(rows[0]?.Extra ?? '').not.toContain('filesort');

      // A redemption holds the member's row (and its own rows) while it runs: the list doesn't wait for it.
      const cookie = await clientSession(app, 'list-forty');
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked: () => void = () => undefined;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const tx = app.plugin.db.knex.transaction(async (trx) => {
        await trx('loyalty_members').where({ id: member.id }).forUpdate();
        await trx('loyalty_redemptions').where({ member_id: member.id }).forUpdate();
        locked();
        await held;
      });
      await isLocked;
      try {
        const started = Date.now();
        const res = await get('/client/redemptions', cookie).timeout(3_000).expect(200);
        expect(rowsOf(res.text)).toHaveLength(20);
        expect(Date.now() - started).toBeLessThan(3_000);
      } finally {
        release();
        await tx;
      }
    }
  });
});

describe('the list of redemptions under a mount point', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ panelApi: new TestPanel(), mountAt: '/loyalty' });
  });
  afterAll(() => app.close());

  it('links from the tab and the catalog, to each redemption and to older pages, stay under the mount', async () => {
    const rewardId = await addReward(app, { names: { en: 'Tiny credit' }, costPoints: 10, values: { USD: 10 } });
    const cookie = (await paidClient(app, 'mounted-list', '500.00')).join('; ');
    const ids: number[] = [];
    for (let i = 0; i < REDEMPTIONS_PAGE_SIZE + 1; i++) {
      const r = await app.plugin.services.redemptions.redeem('mounted-list', { rewardId, idempotencyKey: randomBytes(12).toString('base64url') });
      if (!r.ok) throw new Error(r.refusal);
      ids.push(r.redemption.id);
    }
    expect(testIdHref((await app.http.get('/client/rewards').set('Cookie', cookie).expect(200)).text, 'redemptions-link')).toBe('/loyalty/client/redemptions');
    expect(testIdHref((await app.http.get('/client/rewards/redeem').set('Cookie', cookie).expect(200)).text, 'all-redemptions')).toBe('/loyalty/client/redemptions');
    const first = (await app.http.get('/client/redemptions').set('Cookie', cookie).expect(200)).text;
    expect(rowsOf(first)[0]?.href).toBe(`/loyalty/client/redemptions/${ids[ids.length - 1]}`);
    expect(testIdHref(first, 'older')).toBe(`/loyalty/client/redemptions?before=${ids[1]}`);
    const older = (await app.http.get(`/client/redemptions?before=${ids[1]}`).set('Cookie', cookie).expect(200)).text;
    expect(rowsOf(older).map((r) => r.href)).toEqual([`/loyalty/client/redemptions/${ids[0]}`]);
    expect(testIdHref(older, 'newest')).toBe('/loyalty/client/redemptions');
  });
});
