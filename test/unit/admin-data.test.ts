import { creditRates, liabilityMinor } from '../../plugin/domain/liability';
import { neutraliseCell, csvCell } from '../../plugin/domain/csv-cell';
import { judgeTierEdit } from '../../plugin/domain/catalog-edits';
import { judgeOpeningBalances, openingBalanceReference } from '../../plugin/domain/opening-balance';
import type { Reward } from '../../plugin/domain/rewards';
import { SETTINGS, SETTING_KEYS, withDefaults } from '../../plugin/domain/settings';
import { SETTING_FIELDS, formValue, parseSettingsForm, settingsFormValues } from '../../plugin/domain/settings-form';
import type { Tier } from '../../plugin/domain/tiers';
import { ledgerRange } from '../../plugin/web/admin/export-router';
import { barChart, escapeXml } from '../../plugin/web/admin/svg-chart';
import { rewardOf } from '../support/rewards';

const defaults = withDefaults({});

describe('the settings form, generated from the registry', () => {
  it('has one field per registered setting, its control from the schema', () => {
    expect(SETTING_FIELDS.map((f) => f.key)).toEqual(SETTING_KEYS);
    const control = (key: string) => SETTING_FIELDS.find((f) => f.key === key)?.control;
    expect(control('refund_window_days')).toEqual({ kind: 'number', min: 0, max: 365, nullable: false });
    expect(control('points_expiry_months')).toMatchObject({ kind: 'number', nullable: true });
    expect(control('debt_policy')).toEqual({ kind: 'select', options: ['debt', 'write_off'], nullable: false });
    expect(control('statements_default_opt_in')).toEqual({ kind: 'boolean' });
    expect(control('time_zone')).toEqual({ kind: 'text' });
    expect(control('earn_rates')).toMatchObject({ kind: 'json' });
    expect(control('points_expiry')).toMatchObject({ kind: 'json', nullable: true });
  });

  it('shows every default in its field and reads it back as no change', () => {
    const body = Object.fromEntries(SETTING_FIELDS.map((f) => [f.key, formValue(f, defaults[f.key])]));
    const parsed = parseSettingsForm(body, defaults);
    expect(parsed.problems).toEqual([]);
    expect(parsed.changes).toEqual([]);
  });

  it("draws each setting's text from its own value alone, so moving the time zone or tier currency changes no other field", () => {
    expect(settingsFormValues(defaults)).toEqual(Object.fromEntries(SETTING_FIELDS.map((f) => [f.key, formValue(f, defaults[f.key])])));
    const before = settingsFormValues(defaults);
    const moved = settingsFormValues(withDefaults({ time_zone: 'Asia/Tokyo', tier_base_currency: 'EUR', base_rule: { active: true, starts_at: '2027-01-01T00:00:00.000Z', ends_at: null, cap: null } }));
    expect(Object.keys(before).filter((key) => moved[key] !== before[key])).toEqual(['base_rule', 'tier_base_currency', 'time_zone']);
    expect([moved.time_zone, moved.tier_base_currency]).toEqual(['Asia/Tokyo', 'EUR']);
    // An instant is shown as stored, never as a wall time in the program's zone.
    expect(JSON.parse(moved.base_rule ?? '')).toMatchObject({ starts_at: '2027-01-01T00:00:00.000Z' });
  });

  it('turns posted text into changes with before and after, only for what differs', () => {
    const parsed = parseSettingsForm({ earn_rates: '{"USD":"2","EUR":"1","GBP":"1"}', refund_window_days: '7', debt_policy: 'debt', _csrf: 'x' }, defaults);
    expect(parsed.problems).toEqual([]);
    expect(parsed.changes).toEqual([
      { key: 'earn_rates', before: SETTINGS.earn_rates.default, after: { USD: '2', EUR: '1', GBP: '1' } },
      { key: 'refund_window_days', before: 14, after: 7 },
    ]);
  });

  it('names the field and the reason for each bad value', () => {
    const parsed = parseSettingsForm(
      { earn_rates: '{"USD":"lots"}', refund_window_days: '999', points_expiry_months: 'soon', time_zone: 'Mars/Olympus', debt_policy: 'forgive', expiry_warning_days: '[' },
      defaults,
    );
    const paths = parsed.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['earn_rates.USD', 'refund_window_days', 'points_expiry_months', 'time_zone', 'debt_policy', 'expiry_warning_days']));
    expect(parsed.problems.find((p) => p.path === 'points_expiry_months')?.message).toBe('must be a whole number');
    expect(parsed.problems.find((p) => p.path === 'expiry_warning_days')?.message).toBe('must be valid JSON');
    expect(parsed.changes).toEqual([]);
  });

  it('refuses a "__proto__" key, which would be checked and audited but not stored', () => {
    for (const [key, text] of [
      ['job_schedules', '{"__proto__":"* * * * *"}'],
      ['earn_rates', '{"__proto__":{"x":1},"USD":"1"}'],
      ['tier_qualifying_rates', '{"EUR":{"__proto__":"1"}}'],
    ] as const) {
      const parsed = parseSettingsForm({ [key]: text }, defaults);
      expect(parsed.problems).toEqual([{ path: key, message: 'has names that are not allowed: __proto__', reason: { code: 'unknown_keys', params: { keys: ['__proto__'] } } }]);
      expect(parsed.changes).toEqual([]);
    }
  });

  it('takes only known currencies as tier qualifying rates', () => {
    const parsed = parseSettingsForm({ tier_qualifying_rates: '{"<b>x</b>":"1","":"1","usd":"1","EUR":"1.1"}' }, defaults);
    expect(parsed.problems.map((p) => p.path).sort()).toEqual(['tier_qualifying_rates.', 'tier_qualifying_rates.<b>x</b>', 'tier_qualifying_rates.usd']);
    expect(parseSettingsForm({ tier_qualifying_rates: '{"EUR":"1.1"}' }, defaults).changes).toEqual([{ key: 'tier_qualifying_rates', before: {}, after: { EUR: '1.1' } }]);
  });

  it('reads a blank nullable number as null (points never expire)', () => {
    expect(parseSettingsForm({ points_expiry_months: '' }, defaults).changes).toEqual([{ key: 'points_expiry_months', before: 12, after: null }]);
    expect(parseSettingsForm({ refund_window_days: '' }, defaults).problems).toEqual([{ path: 'refund_window_days', message: 'is required', reason: { code: 'required' } }]);
  });

  it('gives each problem a reason the page can say in the admin language, with its bounds or allowed values', () => {
    const reasons = parseSettingsForm(
      { refund_window_days: '9999', churn_no_payment_days: '0', debt_policy: 'forgive', time_zone: 'Mars/Olympus', points_expiry: '{"policy":', earn_rates: '{"USD":"lots","XXX1":"1"}', statements_default_opt_in: 'maybe', chargeback_penalty_points: '1.5' },
      defaults,
    ).problems.map((p) => [p.path, p.reason]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        ['refund_window_days', { code: 'at_most', params: { max: 365 } }],
        ['churn_no_payment_days', { code: 'at_least', params: { min: 1 } }],
        ['debt_policy', { code: 'one_of', params: { values: ['debt', 'write_off'] } }],
        ['time_zone', { code: 'time_zone' }],
        ['points_expiry', { code: 'json' }],
        ['earn_rates.USD', { code: 'decimal', params: { example: '1.5' } }],
        ['statements_default_opt_in', { code: 'yes_no' }],
        ['chargeback_penalty_points', { code: 'whole_number' }],
      ]),
    );
    expect(reasons.some(([path, reason]) => String(path).startsWith('earn_rates') && (reason as { code: string }).code === 'currency')).toBe(true);
  });
});

describe('CSV cells', () => {
  it.each([
    ["=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"],
    ['+1+1', "'+1+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\rx', "'\rx"],
    ['Ann Lee', 'Ann Lee'],
    ['', ''],
  ])('%j becomes %j', (input, output) => expect(neutraliseCell(input)).toBe(output));

  it('passes our own numbers as numbers and dates as ISO', () => {
    expect(csvCell(-5)).toBe(-5);
    expect(csvCell(null)).toBe('');
    expect(csvCell(new Date('2026-12-01T00:00:00Z'))).toBe('2026-12-01T00:00:00.000Z');
  });
});

describe('the SVG bar chart', () => {
  it('escapes labels and is labelled for assistive technology', () => {
    const svg = barChart({ id: 'x', title: 'Tiers <b>', desc: 'Members per tier.', bars: [{ label: '<script>alert(1)</script>', value: 3, display: '3' }, { label: 'Gold & "co"', value: 0, display: '0' }] });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(svg).toContain('Gold &amp; &quot;co&quot;');
    expect(svg).toMatch(/^<svg [^>]*role="img"[^>]*aria-labelledby="x-title x-desc"/);
    expect(svg).toContain('<title id="x-title">Tiers &lt;b&gt;</title>');
    expect(svg).toContain('<desc id="x-desc">Members per tier. &lt;script&gt;alert(1)&lt;/script&gt;: 3; Gold &amp; &quot;co&quot;: 0</desc>');
    expect((svg.match(/<rect /g) ?? []).length).toBe(2);
  });

  it('scales bars to the largest value and never draws a negative width', () => {
    const svg = barChart({ id: 'y', title: 't', desc: 'd', bars: [{ label: 'a', value: 10, display: '10' }, { label: 'b', value: 5, display: '5' }, { label: 'c', value: -3, display: '-3' }], width: 340 });
    const widths = [...svg.matchAll(/<rect [^>]*width="(\d+)"/g)].map((m) => Number(m[1]));
    expect(widths).toEqual([100, 50, 0]);
    expect(escapeXml("'")).toBe('&#39;');
  });
});

const reward = (over: Partial<Reward>): Reward => rewardOf({ names: {}, ...over });

describe('liability at the credit conversion', () => {
  const now = new Date('2026-12-08T12:00:00Z');
  it('takes the best credit rate per currency among the rewards in force', () => {
    const rates = creditRates(
      [
        reward({ id: 1, costPoints: 500, values: { USD: 500, EUR: 450 } }),
        reward({ id: 2, costPoints: null, stepPoints: 100, values: { USD: 120 } }),
        reward({ id: 3, active: false, costPoints: 1, values: { USD: 1000 } }),
        reward({ id: 4, kind: 'promo_code', costPoints: 1, values: { GBP: 1000 } }),
        // Ended, or not started yet: not the conversion a member can redeem at now.
        reward({ id: 5, costPoints: 1, values: { USD: 900, JPY: 5 }, endsAt: new Date('2026-12-08T11:59:59Z') }),
        reward({ id: 6, costPoints: 1, values: { USD: 800 }, startsAt: new Date('2026-12-08T12:00:01Z') }),
      ],
      now,
    );
    expect(rates.get('USD')).toEqual({ minor: 120, points: 100 });
    expect(rates.get('EUR')).toEqual({ minor: 450, points: 500 });
    expect(rates.has('GBP')).toBe(false);
    expect(rates.has('JPY')).toBe(false);
    expect(liabilityMinor(1234, { minor: 120, points: 100 })).toBe(1480);
    expect(liabilityMinor(-5, { minor: 1, points: 1 })).toBe(0);
  });
});

const tier = (id: number, rank: number, thresholdMinor: number): Tier => ({ id, name: `T${id}`, rank, thresholdMinor, earnMultiplier: '1', renewalDiscountBp: 0, perks: {}, names: {} });

describe('tier and reward edits', () => {
  const tiers = [tier(1, 1, 0), tier(2, 2, 50000), tier(3, 3, 200000)];
  it('accepts a threshold between its neighbours, a multiplier and a percentage', () => {
    expect(judgeTierEdit({ threshold: '750.00', earn_multiplier: '1.5', renewal_discount_percent: '7.5' }, tiers[1] as Tier, tiers, 'USD')).toEqual({
      ok: true,
      value: { thresholdMinor: 75000, earnMultiplier: '1.5', renewalDiscountBp: 750 },
    });
  });
  it('refuses a threshold out of order and bad numbers, naming each field', () => {
    const r = judgeTierEdit({ threshold: '2500', earn_multiplier: 'x', renewal_discount_percent: '101' }, tiers[1] as Tier, tiers, 'USD');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.path).sort()).toEqual(['earn_multiplier', 'renewal_discount_percent', 'threshold']);
  });
  it.each([
    ['1', true],
    ['100', true],
    ['0.5', false],
    ['0', false],
    ['100.0001', false],
    ['999999.9999', false],
  ])('an earn multiplier of %s: within 1 to 100 %p', (multiplier, ok) => {
    const r = judgeTierEdit({ threshold: '750.00', earn_multiplier: multiplier, renewal_discount_percent: '0' }, tiers[1] as Tier, tiers, 'USD');
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.problems).toEqual([{ path: 'earn_multiplier', message: 'must be from 1 to 100', reason: { code: 'between', params: { min: 1, max: 100 } } }]);
  });
});

describe('opening balance rows', () => {
  const now = new Date('2026-12-07T00:00:00Z');
  it('judges every row: numbers, duplicates, dates, columns', () => {
    const judged = judgeOpeningBalances(
      [
        ['panel_client_id', 'points', 'email', 'name', 'expires_at', 'reference'],
        ['1', '100', 'a@example.com', 'Ann', '2027-06-30', ''],
        ['2', 'ten', '', '', '', ''],
        ['3', '-5', '', '', '', ''],
        ['1', '50', '', '', '', ''],
        ['4', '10', '', '', '2020-01-01', ''],
        ['5', '10', '', '', '2027-02-30', ''],
        ['', '10', '', '', '', ''],
        ['6', '10', 'not-an-email', '', '', 'legacy'],
      ],
      now,
    );
    expect(judged.fileProblems).toEqual([]);
    expect(judged.rows.map((r) => r.line)).toEqual([2]);
    expect(judged.problems).toEqual([
      { line: 3, path: 'points', message: 'must be a whole number', reason: { code: 'whole_number' } },
      { line: 4, path: 'points', message: 'must not be negative', reason: { code: 'not_negative' } },
      { line: 5, path: 'panel_client_id', message: 'repeats line 2', reason: { code: 'repeats_line', params: { line: 2 } } },
      { line: 6, path: 'expires_at', message: 'is in the past', reason: { code: 'in_past' } },
      { line: 7, path: 'expires_at', message: 'must be a date (YYYY-MM-DD) or an ISO 8601 instant with a time zone', reason: { code: 'date', params: { format: 'YYYY-MM-DD' } } },
      { line: 8, path: 'panel_client_id', message: 'is required', reason: { code: 'required' } },
      { line: 9, path: 'email', message: 'is not an email address', reason: { code: 'email' } },
    ]);
  });
  it('needs the required columns and knows no others', () => {
    expect(judgeOpeningBalances([['client', 'points']], now).fileProblems.map((p) => p.path)).toEqual(['client', 'panel_client_id']);
    expect(judgeOpeningBalances([], now).fileProblems).toEqual([{ path: 'file', message: 'is empty', reason: { code: 'empty_file' } }]);
  });
  it('names the row in the ledger reference, not the file', () => {
    expect(openingBalanceReference({ panelClientId: '42', reference: null })).toBe('import:opening:42');
    expect(openingBalanceReference({ panelClientId: '42', reference: 'whmcs-loyalty' })).toBe('import:whmcs-loyalty:42');
  });
});

describe('the ledger export range', () => {
  it('is whole days in the program time zone, "to" inclusive', () => {
    expect(ledgerRange({ from: '2026-11-01', to: '2026-11-30' }, 'Europe/Berlin')).toEqual({ ok: true, from: new Date('2026-10-31T23:00:00Z'), to: new Date('2026-11-30T23:00:00Z') });
  });
  it.each([
    [{}, ['from', 'to']],
    [{ from: '2026-13-01', to: '2026-11-01' }, ['from']],
    [{ from: '2026-11-02', to: '2026-11-01' }, ['to']],
    [{ from: '1990-01-01', to: '2026-11-01' }, ['to']],
    [{ from: ['a'], to: '2026-11-01' }, ['from']],
  ])('refuses %j naming %j', (query, paths) => {
    const r = ledgerRange(query as Record<string, unknown>, 'UTC');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.path)).toEqual(paths);
  });
});
