import fc from 'fast-check';
import {
  actionNameIn,
  actionNames,
  describeRules,
  evaluateAction,
  evaluateInvoice,
  evaluateUpgrade,
  milestonesAt,
  nextStreakReward,
  parseRule,
  settleStreakBonuses,
  streakAwards,
  streakMilestones,
  type ReachedMilestone,
  type Rule,
  type StoredRule,
  type StreakBonus,
} from '../../plugin/domain/rules';
import { countsOf, cycleMonths, isOnTime, renewalPeriod, runsOf, sortsBefore, type RenewalRecord } from '../../plugin/domain/service-streak';
import { decideTier, graceEndsAt, resumeGraceClock, type Tier } from '../../plugin/domain/tiers';
import type { Invoice } from '../../plugin/domain/billing-event';
import { redemptionBlock } from '../../plugin/domain/member';
import { priceBefore, setsPrice } from '../../plugin/domain/service-record';

const usd = (minor: number) => ({ currency: 'USD', minor });
const RATES = { USD: '1', RUB: '0.01' };
const AT = new Date('2026-11-22T10:15:00.000Z');
let nextId = 1;

function rule(type: string, params: Record<string, unknown>, extra: Partial<Omit<StoredRule, 'params' | 'type'>> = {}): Rule {
  const r = parseRule({ id: nextId++, type, params: JSON.stringify(params), active: true, startsAt: null, endsAt: null, capPoints: null, capPeriod: null, ...extra });
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.rule;
}

describe('rule params of the lifecycle types', () => {
  it.each([
    ['service_upgrade', {}, 'needs exactly one of points, percent'],
    ['service_upgrade', { points: 5, percent: 5 }, 'needs exactly one of points, percent'],
    ['service_upgrade', { points: 5, money_from: 'both' }, 'money_from'],
    ['renewal_streak', { points: 5 }, 'needs exactly one of streak, months'],
    ['renewal_streak', { streak: 3, months: 12, points: 5 }, 'needs exactly one of streak, months'],
    ['renewal_streak', { streak: 0, points: 5 }, 'streak'],
    ['action', { kind: 'Review!', points: 5 }, 'kind'],
    ['action', { kind: 'review', points: 5, per: 'week' }, 'per'],
  ])('%s %j is refused, naming %s', (type, params, expected) => {
    const r = parseRule({ id: 1, type, params: JSON.stringify(params), active: true, startsAt: null, endsAt: null, capPoints: null, capPeriod: null });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.join('; ')).toContain(expected);
  });

  it('fills defaults: lines earn the money, streak rules fire once, actions once ever', () => {
    expect(rule('service_upgrade', { points: 5 }).params).toMatchObject({ money_from: 'lines' });
    expect(rule('renewal_streak', { streak: 3, points: 5 }).params).toMatchObject({ repeat: false });
    expect(rule('action', { kind: 'review', points: 5 }).params).toMatchObject({ per: 'ever', limit: 1 });
  });
});

describe('evaluateUpgrade', () => {
  const flat = () => rule('service_upgrade', { points: 50 });
  const pct = () => rule('service_upgrade', { percent: 20 });
  const onEvent = () => rule('service_upgrade', { points: 10, money_from: 'event' });
  const run = (rules: Rule[], from: number | undefined, to: number | undefined, extra: { capUsage?: Map<number, number>; currency?: string } = {}) => {
    const cur = extra.currency ?? 'USD';
    const r = evaluateUpgrade({
      serviceId: '77',
      previousAmount: from === undefined ? undefined : { currency: cur, minor: from },
      amount: to === undefined ? undefined : { currency: cur, minor: to },
      rules,
      rates: RATES,
      at: AT,
      capUsage: extra.capUsage,
    });
    return r.kind === 'awards' ? r.awards.map((a) => [a.kind, a.rule.replace(/:\d+$/, ''), a.points]) : r.kind;
  };

  it.each<[string, () => Rule[], number | undefined, number | undefined, unknown]>([
    ['flat bonus on an upgrade', () => [flat()], 500, 1000, [['bonus', 'service_upgrade', 50]]],
    ['percent of the increase’s base points: 20% of 5.00 → 1', () => [pct()], 500, 1000, [['bonus', 'service_upgrade', 1]]],
    ['percent of a larger increase: 20% of 95.00 → 19', () => [pct()], 500, 10000, [['bonus', 'service_upgrade', 19]]],
    ['a downgrade earns nothing', () => [flat(), pct()], 1000, 500, 'downgrade'],
    ['the same price earns nothing', () => [flat()], 1000, 1000, 'unchanged'],
    ['without prices only a flat bonus applies', () => [flat(), pct()], undefined, undefined, [['bonus', 'service_upgrade', 50]]],
    ['no rule in force: no awards', () => [rule('service_upgrade', { points: 50 }, { active: false })], 500, 1000, []],
    ['money_from event: the increase earns at the base rate, plus the bonus', () => [onEvent()], 500, 10000, [['earn', 'base_rate', 95], ['bonus', 'service_upgrade', 10]]],
  ])('%s', (_name, rules, from, to, expected) => {
    expect(run(rules(), from, to)).toEqual(expected);
  });

  it('a cap cuts the bonus to what is left of it', () => {
    const capped = rule('service_upgrade', { points: 50 }, { capPoints: 60, capPeriod: 'month' });
    expect(run([capped], 500, 1000, { capUsage: new Map([[capped.id, 40]]) })).toEqual([['bonus', 'service_upgrade', 20]]);
    expect(run([capped], 500, 1000, { capUsage: new Map([[capped.id, 60]]) })).toEqual([]);
  });

  it('refuses more than MAX_POINTS in all (the event’s money plus its bonus), with the exact count', () => {
    const both = [rule('service_upgrade', { percent: 1000, money_from: 'event' })];
    const upgrade = (to: number) =>
      evaluateUpgrade({ serviceId: '77', previousAmount: usd(0), amount: usd(to), rules: both, rates: { USD: '10000' }, at: AT, capUsage: new Map() });
    // 9,000,000.00 at 10,000 a 1.00: 9·10^10 earned, 9·10^11 bonus (1000%): 9.9·10^11, in bounds.
    expect(upgrade(900_000_000)).toMatchObject({ kind: 'awards' });
    expect(upgrade(1_000_000_000)).toEqual({ kind: 'too_many_points', points: 1_100_000_000_000n });
  });

  it('percent bonuses follow the currency’s rate (RUB 0.01): 20% of 950.00 RUB → 1', () => {
    expect(run([pct()], 5000, 100000, { currency: 'RUB' })).toEqual([['bonus', 'service_upgrade', 1]]);
  });
});

describe('no double count between upgrade invoice lines and service.upgraded', () => {
  const inv: Invoice = {
    id: 'up-1',
    currency: 'USD',
    total: usd(10500),
    paidFromCredit: usd(0),
    items: [
      { type: 'upgrade', serviceId: '77', amount: usd(9500) },
      { type: 'domain', amount: usd(1000) },
    ],
  };
  const invoicePoints = (rules: Rule[]) => {
    const r = evaluateInvoice({ invoice: inv, member: { isFirstPurchase: false, tierMultiplier: '1', tier: null }, rules, rates: RATES, at: AT });
    return r.kind === 'awards' ? r.awards.reduce((s, a) => s + a.points, 0) : 0;
  };
  const eventPoints = (rules: Rule[]) => {
    const r = evaluateUpgrade({ serviceId: '77', previousAmount: usd(500), amount: usd(10000), rules, rates: RATES, at: AT });
    return r.kind === 'awards' ? r.awards.reduce((s, a) => s + a.points, 0) : 0;
  };

  it.each<[string, () => Rule[], number, number]>([
    ['default (lines earn the money): invoice 105, event only its bonus', () => [rule('service_upgrade', { points: 10 })], 105, 10],
    ['money_from event: the upgrade line earns nothing, the event earns the increase', () => [rule('service_upgrade', { points: 10, money_from: 'event' })], 10, 105],
    ['a switched-off event rule leaves the lines earning', () => [rule('service_upgrade', { points: 10, money_from: 'event' }, { active: false })], 105, 0],
  ])('%s', (_name, rules, fromInvoice, fromEvent) => {
    const list = rules();
    expect(invoicePoints(list)).toBe(fromInvoice);
    expect(eventPoints(list)).toBe(fromEvent);
    // The money (95.00 of upgrade, 10.00 of domain) is counted exactly once across both.
    expect(invoicePoints(list) + eventPoints(list) - 10 * Number(list[0]?.active)).toBe(105);
  });
});

describe('renewal streaks', () => {
  it.each([
    ['paid before the due day', '2026-11-21T23:00:00Z', '2026-11-22', 0, true],
    ['paid on the due day (until 24:00 UTC)', '2026-11-22T23:59:59Z', '2026-11-22', 0, true],
    ['paid the day after', '2026-11-23T00:00:00Z', '2026-11-22', 0, false],
    ['paid the day after, within 1 grace day', '2026-11-23T12:00:00Z', '2026-11-22', 1, true],
    ['no due date: counts as on time', '2030-01-01T00:00:00Z', undefined, 0, true],
  ])('%s', (_n, at, due, grace, onTime) => {
    expect(isOnTime(new Date(at), due, grace)).toBe(onTime);
  });

  it.each([
    ['monthly', 1],
    ['annually', 12],
    ['triennially', 36],
    ['6m', 6],
    ['2y', 24],
    ['14d', 0],
    ['one_time', 0],
  ])('%s covers %d months', (cycle, months) => expect(cycleMonths(cycle)).toBe(months));

  /** Monthly renewals due on the 1st, in due-date order; `late` ones paid on the 5th. */
  const history = (spec: string): RenewalRecord[] =>
    [...spec].map((c, i) => {
      const due = `2026-${String(i + 1).padStart(2, '0')}-01`;
      const paid = c === 'L' ? `${due.slice(0, 8)}05` : due;
      return { id: i + 1, dueDate: due, period: due, renewedAt: new Date(`${paid}T00:00:00Z`), onTime: c !== 'L', months: 1, amount: usd(5000) };
    });

  it('orders renewals by period, then instant, then id; a period is the due date or the UTC day', () => {
    expect(renewalPeriod(new Date('2026-03-05T23:00:00Z'), '2026-03-01')).toBe('2026-03-01');
    expect(renewalPeriod(new Date('2026-03-05T23:00:00Z'), undefined)).toBe('2026-03-05');
    const at = new Date('2026-03-01T00:00:00Z');
    expect(sortsBefore({ id: 9, period: '2026-02-01', renewedAt: at }, { period: '2026-03-01', renewedAt: at })).toBe(true);
    expect(sortsBefore({ id: 1, period: '2026-03-01', renewedAt: new Date('2026-03-02T00:00:00Z') }, { period: '2026-03-01', renewedAt: at })).toBe(false);
    expect(sortsBefore({ id: 1, period: '2026-03-01', renewedAt: at }, { id: 2, period: '2026-03-01', renewedAt: at })).toBe(true);
    // Not yet kept (no id): it sorts last on a tie.
    expect(sortsBefore({ id: 1, period: '2026-03-01', renewedAt: at }, { period: '2026-03-01', renewedAt: at })).toBe(true);
  });

  it('cuts the history into runs named by the late renewal each follows; the streak is the last run', () => {
    const runs = runsOf('', history('OOLOOOLO'));
    expect(runs.map((r) => [r.after, r.renewals.map((x) => x.period.slice(5, 7))])).toEqual([
      ['', ['01', '02']],
      ['2026-03-01', ['04', '05', '06']],
      ['2026-07-01', ['08']],
    ]);
    expect(countsOf(runs[1] ?? { after: '', renewals: [] })).toEqual({ streak: 3, months: 3 });
    // A late renewal first: the opening run is empty, and still returned.
    expect(runsOf('', history('LO')).map((r) => [r.after, r.renewals.length])).toEqual([
      ['', 0],
      ['2026-01-01', 1],
    ]);
  });

  it('names each milestone by run, rule and the time within the run it is reached', () => {
    const once = rule('renewal_streak', { streak: 2, points: 10 });
    const every = rule('renewal_streak', { streak: 2, points: 20, repeat: true });
    const off = rule('renewal_streak', { streak: 3, points: 30 }, { active: false });
    const reached = streakMilestones([once, every, off], runsOf('', history('OOOOLOOO')), AT);
    expect(reached.map((m) => [m.run, m.ruleId, m.ordinal, m.payable, m.counts.streak])).toEqual([
      ['', once.id, 1, true, 2],
      ['', every.id, 1, true, 2],
      ['', off.id, 1, false, 3],
      ['', every.id, 2, true, 4],
      ['2026-05-01', once.id, 1, true, 2],
      ['2026-05-01', every.id, 1, true, 2],
      ['2026-05-01', off.id, 1, false, 3],
    ]);
    // Judged at the renewal that reaches it; a panel clock ahead of ours counts as now.
    expect(reached[0]?.at).toEqual(new Date('2026-02-01T00:00:00Z'));
    const ahead = streakMilestones([once], runsOf('', history('OO')), new Date('2026-01-15T00:00:00Z'));
    expect(ahead[0]?.at).toEqual(new Date('2026-01-15T00:00:00Z'));
    // …while the earning pause is judged at the renewal's own instant, as the history dates suspensions.
    expect(ahead[0]?.renewedAt).toEqual(new Date('2026-02-01T00:00:00Z'));
  });

  const half = () => rule('renewal_streak', { months: 6, points: 60, repeat: true });
  it('an annual renewal that crosses two multiples of a 6-month rule reaches it once, named by the higher', () => {
    const r = half();
    expect(milestonesAt([r], '', { streak: 0, months: 0 }, { streak: 1, months: 12 }, { at: AT, renewedAt: AT, amount: null }).map((m) => m.ordinal)).toEqual([2]);
  });

  describe('settling a replayed stretch', () => {
    const r3 = rule('renewal_streak', { streak: 3, points: 30 });
    const milestone = (run: string, ordinal = 1, payable = true): ReachedMilestone => ({
      run,
      ruleId: r3.id,
      ordinal,
      payable,
      at: AT,
      renewedAt: AT,
      counts: { streak: 3, months: 3 },
      amount: null,
    });
    const bonus = (run: string, held = true, points = 30): StreakBonus => ({ id: 7, run, ruleId: r3.id, ordinal: 1, held, points, ledgerId: held ? 99 : null });

    it.each<[string, StreakBonus[], ReachedMilestone[], { moves: number; pay: number; takeBack: number }]>([
      ['newly reached: paid', [], [milestone('')], { moves: 0, pay: 1, takeBack: 0 }],
      ['still reached: nothing', [bonus('')], [milestone('')], { moves: 0, pay: 0, takeBack: 0 }],
      ['broken, reached in another run: moved', [bonus('')], [milestone('2026-06-01')], { moves: 1, pay: 0, takeBack: 0 }],
      ['broken, reached nowhere: taken back', [bonus('')], [], { moves: 0, pay: 0, takeBack: 1 }],
      ['taken back before, reached again: paid again', [bonus('', false, 0)], [milestone('')], { moves: 0, pay: 1, takeBack: 0 }],
      ['reached while the rule is off: not paid, and a broken bonus is not moved there', [bonus('')], [milestone('2026-06-01', 1, false)], { moves: 0, pay: 0, takeBack: 1 }],
    ])('%s', (_n, kept, reached, expected) => {
      const plan = settleStreakBonuses(kept, reached, [r3], true);
      expect({ moves: plan.moves.length, pay: plan.pay.length, takeBack: plan.takeBack.length }).toEqual(expected);
    });

    it('leaves a bonus of a rule no longer in the program as it is', () => {
      expect(settleStreakBonuses([bonus('')], [], [], true)).toEqual({ moves: [], pay: [], takeBack: [] });
    });

    it('takes back only for a late renewal: one on time leaves unreached only what a since-edited rule paid', () => {
      expect(settleStreakBonuses([bonus('')], [], [r3], false)).toEqual({ moves: [], pay: [], takeBack: [] });
    });
  });

  /**
   * The model of invariant 1: settling after each delivery, in any order, holds exactly the
   * milestones the whole history reaches, as settling once in order does.
   */
  it('holds the same milestones whatever the delivery order (fast-check)', () => {
    const rules = [rule('renewal_streak', { streak: 2, points: 20, repeat: true }), rule('renewal_streak', { months: 3, points: 7 })];
    const key = (m: { run: string; ruleId: number; ordinal: number }) => `${m.run}/${m.ruleId}/${m.ordinal}`;
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 9 }).chain((late) => fc.tuple(fc.constant(late), fc.shuffledSubarray([...late.keys()], { minLength: late.length, maxLength: late.length }))),
        ([late, order]) => {
          const all = history(late.map((l) => (l ? 'L' : 'O')).join(''));
          let held = new Map<string, StreakBonus>();
          const received: RenewalRecord[] = [];
          for (const i of order) {
            const r = all[i];
            if (!r) continue;
            received.push(r);
            received.sort((a, b) => (sortsBefore(a, b) ? -1 : 1));
            // Replaying everything received (the service replays only the stretch around it: same result).
            const reached = streakMilestones(rules, runsOf('', received), AT);
            const plan = settleStreakBonuses([...held.values()], reached, rules, !r.onTime);
            const next = new Map([...held].filter(([, b]) => b.held));
            for (const b of plan.takeBack) next.delete(key(b));
            for (const { from, to } of plan.moves) {
              next.delete(key(from));
              next.set(key(to), { ...from, run: to.run, ordinal: to.ordinal });
            }
            for (const m of plan.pay) next.set(key(m), { id: 0, run: m.run, ruleId: m.ruleId, ordinal: m.ordinal, held: true, points: 1, ledgerId: null });
            held = next;
          }
          const inOrder = streakMilestones(rules, runsOf('', all), AT).map(key).sort();
          expect([...held.keys()].sort()).toEqual(inOrder);
        },
      ),
    );
  });

  const r3 = () => rule('renewal_streak', { streak: 3, percent: 10 });
  const r3rep = () => rule('renewal_streak', { streak: 3, points: 20, repeat: true });
  const year = () => rule('renewal_streak', { months: 12, points: 200 });
  /** The awards of a streak evaluation that paid (`too_many_points` fails the test). */
  const paidOf = (r: ReturnType<typeof streakAwards>) => {
    if (r.kind !== 'awards') throw new Error(`too many points: ${r.points}`);
    return r.paid;
  };
  const streak = (rules: Rule[], before: [number, number], after: [number, number], capUsage?: Map<number, number>) =>
    paidOf(
      streakAwards(
        milestonesAt(rules, '', { streak: before[0], months: before[1] }, { streak: after[0], months: after[1] }, { at: AT, renewedAt: AT, amount: usd(5000) }),
        { serviceId: '77', rules, rates: RATES, capUsage },
      ),
    ).flatMap((a) => (a.award ? [a.award.points] : []));

  it.each<[string, () => Rule[], [number, number], [number, number], number[]]>([
    ['3rd on-time renewal in a row: +10% of 50.00 → 5', () => [r3()], [2, 2], [3, 3], [5]],
    ['2nd: nothing yet', () => [r3()], [1, 1], [2, 2], []],
    ['4th: a once rule does not fire again', () => [r3()], [3, 3], [4, 4], []],
    ['a repeating rule fires at 3, 6, 9…', () => [r3rep()], [5, 5], [6, 6], [20]],
    ['a late renewal (streak 0) earns nothing', () => [r3(), r3rep(), year()], [5, 5], [0, 0], []],
    ['1 year of continuous service: +200 when the months reach 12', () => [year()], [11, 11], [12, 12], [200]],
    ['an annual renewal reaches 12 months at once', () => [year()], [0, 0], [1, 12], [200]],
  ])('%s', (_n, rules, before, after, expected) => {
    expect(streak(rules(), before, after)).toEqual(expected);
  });

  it('caps the streak bonus, each milestone after those before it', () => {
    const capped = rule('renewal_streak', { streak: 3, points: 20, repeat: true }, { capPoints: 30, capPeriod: 'year' });
    expect(streak([capped], [2, 2], [3, 3], new Map([[capped.id, 15]]))).toEqual([15]);
    const twice = streakMilestones([capped], runsOf('', history('OOOOOO')), AT);
    expect(paidOf(streakAwards(twice, { serviceId: '77', rules: [capped], rates: RATES })).map((a) => a.award?.points ?? 0)).toEqual([20, 10]);
  });

  it('refuses streak bonuses of more than MAX_POINTS in all, paying none of them', () => {
    const huge = rule('renewal_streak', { streak: 1, percent: 1000, repeat: true });
    const reached = milestonesAt([huge], '', { streak: 0, months: 0 }, { streak: 1, months: 1 }, { at: AT, renewedAt: AT, amount: usd(1_000_000_000_00) });
    expect(streakAwards(reached, { serviceId: '77', rules: [huge], rates: { USD: '10000' } })).toEqual({ kind: 'too_many_points', points: 100_000_000_000_000n });
  });

  it('tells the tab the next streak reward', () => {
    expect(nextStreakReward([r3rep()], AT, { streak: 4, months: 4 }, 1)).toEqual({ renewalsToGo: 2, points: 20, streak: 3 });
    expect(nextStreakReward([r3()], AT, { streak: 4, months: 4 }, 1)).toBeNull();
    expect(nextStreakReward([r3(), year()], AT, { streak: 1, months: 1 }, 1)).toEqual({ renewalsToGo: 2, percent: 10, streak: 3 });
    expect(nextStreakReward([year()], AT, { streak: 1, months: 3 }, 3)).toEqual({ renewalsToGo: 3, points: 200, months: 12 });
  });
});

describe('a service’s price on record, for an upgrade without previous_amount', () => {
  const at = new Date('2026-11-10T10:00:00Z');
  const row = (amountAt: string | null, amountMinor: number | null = 2000) => ({ amountMinor, currency: amountMinor === null ? null : 'USD', amountAt: amountAt === null ? null : new Date(amountAt) });

  it.each<[string, ReturnType<typeof row>, unknown, boolean]>([
    ['set before the upgrade: the price it had', row('2026-11-01T00:00:00Z'), usd(2000), true],
    ['set at the same instant', row('2026-11-10T10:00:00Z'), usd(2000), true],
    ['set by a newer event delivered first: not the price before', row('2026-11-12T00:00:00Z'), null, false],
    ['kept before its time was: taken as it stands', row(null), usd(2000), true],
    ['no price', row(null, null), null, true],
  ])('%s', (_n, r, before, sets) => {
    expect(priceBefore(r, at)).toEqual(before);
    expect(setsPrice(r, at)).toBe(sets);
  });

  it('a lower price than that is a downgrade, whatever the event calls it', () => {
    const r = evaluateUpgrade({ serviceId: '7', amount: usd(1000), previousAmount: priceBefore(row('2026-11-01T00:00:00Z'), at) ?? undefined, rules: [rule('service_upgrade', { points: 50 })], rates: RATES, at: AT });
    expect(r).toEqual({ kind: 'downgrade', decrease: usd(1000) });
  });
});

describe('action rules', () => {
  const review = () => rule('action', { kind: 'review', points: 25 });
  const survey = () => rule('action', { kind: 'survey', points: 5, per: 'month', limit: 2 });
  const run = (rules: Rule[], kind: string, already: boolean, times: number, capUsage?: Map<number, number>) => {
    const r = evaluateAction({ rules, at: AT, action: { kind, reference: 'x' }, already, timesInPeriod: times, capUsage });
    return r.kind === 'awards' ? r.awards.map((a) => a.points) : r.kind;
  };

  it.each<[string, () => Rule[], string, boolean, number, unknown]>([
    ['a review earns its bonus', () => [review()], 'review', false, 0, [25]],
    ['the same reference again: once', () => [review()], 'review', true, 0, 'already_awarded'],
    ['once ever: a second review of something else', () => [review()], 'review', false, 1, 'limit_reached'],
    ['per month, limit 2: the second this month earns', () => [survey()], 'survey', false, 1, [5]],
    ['per month, limit 2: the third does not', () => [survey()], 'survey', false, 2, 'limit_reached'],
    ['a kind without a rule', () => [review()], 'social_follow', false, 0, 'no_rule'],
    ['a switched-off rule', () => [rule('action', { kind: 'review', points: 25 }, { active: false })], 'review', false, 0, 'no_rule'],
  ])('%s', (_n, rules, kind, already, times, expected) => {
    expect(run(rules(), kind, already, times)).toEqual(expected);
  });

  it('a cap cuts an action bonus', () => {
    const capped = rule('action', { kind: 'review', points: 25, per: 'day', limit: 10 }, { capPoints: 30, capPeriod: 'month' });
    expect(run([capped], 'review', false, 1, new Map([[capped.id, 25]]))).toEqual([5]);
  });
});

describe('action rules named per language (issue 12: rule descriptions are program data)', () => {
  const labels = { en: 'writing a review', ru: 'написание отзыва' };

  it('takes labels by language code, refused as other rules’ labels are (the reason’s code: rule-edits.test.ts)', () => {
    expect(rule('action', { kind: 'review', points: 25, label: 'a review', labels }).params).toMatchObject({ label: 'a review', labels });
    for (const [bad, problem] of [
      [{ Russian: 'отзыв' }, 'params.labels.Russian'],
      [{ ru: '' }, 'params.labels.ru'],
      [{ ru: 'x'.repeat(65) }, 'params.labels.ru'],
    ] as const) {
      const r = parseRule({ id: 1, type: 'action', params: JSON.stringify({ kind: 'review', points: 25, labels: bad }), active: true, startsAt: null, endsAt: null, capPoints: null, capPeriod: null });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problems.join('; ')).toContain(problem);
    }
  });

  it.each<[string, Record<string, unknown>, string[], string]>([
    ['the reader’s language', { labels, label: 'a review' }, ['ru', 'en'], 'написание отзыва'],
    ['the program’s language when the reader’s has none', { labels }, ['tr', 'en'], 'writing a review'],
    ['the label when neither has one', { labels: { ru: 'написание отзыва' }, label: 'a review' }, ['tr', 'vi'], 'a review'],
    ['the kind when there is no label at all', { labels: { ru: 'написание отзыва' } }, ['tr', 'vi'], 'review'],
    ['the kind of a rule with no text', {}, ['en'], 'review'],
  ])('names the action in %s', (_n, text, languages, expected) => {
    const r = rule('action', { kind: 'review', points: 25, ...text });
    const name = actionNames([r, rule('signup', { points: 5 })])[`action:${r.id}`];
    expect(name && actionNameIn(name, languages)).toBe(expected);
  });

  it('"how you earn" carries the labels, with the label or the kind to fall back to; the award names the same', () => {
    const labelled = rule('action', { kind: 'review', points: 25, labels });
    const plain = rule('action', { kind: 'survey', points: 5, label: 'answering a survey' });
    const lines = describeRules({ earnRates: { USD: '1' }, rules: [labelled, plain] }, 'USD', AT).filter((l) => l.key === 'rules.action');
    expect(lines).toEqual([
      { key: 'rules.action', params: { points: 25, action: 'review' }, actionLabels: labels },
      { key: 'rules.action', params: { points: 5, action: 'answering a survey' } },
    ]);
    const r = evaluateAction({ rules: [labelled], at: AT, action: { kind: 'review', reference: 'x' }, already: false, timesInPeriod: 0 });
    expect(r.kind === 'awards' && r.awards[0]?.params).toEqual({ action: 'review', points: 25 });
  });
});

describe('suspension and the tier grace clock', () => {
  const tiers: Tier[] = [
    { id: 1, name: 'Bronze', rank: 0, thresholdMinor: 0, earnMultiplier: '1', renewalDiscountBp: 0, perks: {} } as unknown as Tier,
    { id: 2, name: 'Gold', rank: 1, thresholdMinor: 100000, earnMultiplier: '1', renewalDiscountBp: 0, perks: {} } as unknown as Tier,
  ];
  const base = { tiers, currentTierId: 2, spendMinor: 0, belowSince: new Date('2026-01-01T00:00:00Z'), now: new Date('2026-03-01T00:00:00Z'), graceDays: 30, review: true };

  it('downgrades after the grace period, but not while a service is suspended', () => {
    expect(decideTier(base).action).toBe('downgrade');
    expect(decideTier({ ...base, paused: true }).action).toBe('none');
  });

  it.each([
    ['suspended after falling below: the suspended time is added', '2026-01-01', '2026-01-10', '2026-01-20', '2026-01-11'],
    ['fell below while suspended: the clock starts at the resume', '2026-01-10', '2026-01-01', '2026-01-20', '2026-01-20'],
    ['no suspension recorded: unchanged', '2026-01-01', null, '2026-01-20', '2026-01-01'],
  ])('%s', (_n, below, suspended, resumed, expected) => {
    const d = (s: string) => new Date(`${s}T00:00:00Z`);
    expect(resumeGraceClock(d(below), suspended === null ? null : d(suspended), d(resumed))?.toISOString().slice(0, 10)).toBe(expected);
  });

  it.each([
    ['not suspended: the grace period from falling below', '2026-01-01', null, '2026-01-20', '2026-01-31'],
    ['suspended since the 10th: the 9 days used count, the rest waits for the resume', '2026-01-01', '2026-01-10', '2026-03-01', '2026-03-22'],
    ['fell below while suspended: all 30 days are still ahead', '2026-01-10', '2026-01-01', '2026-03-01', '2026-03-31'],
    ['not below: no date', null, '2026-01-01', '2026-03-01', null],
  ])('graceEndsAt, %s', (_n, below, suspended, at, expected) => {
    const d = (s: string | null) => (s === null ? null : new Date(`${s}T00:00:00Z`));
    const ends = graceEndsAt({ belowSince: d(below), suspendedSince: d(suspended), at: d(at) as Date, graceDays: 30 });
    expect(ends?.toISOString().slice(0, 10) ?? null).toBe(expected);
    // The review agrees: it downgrades at that instant once the suspension ends then, not a moment before.
    if (ends && below) {
      const belowSince = resumeGraceClock(d(below), d(suspended), d(at) as Date);
      expect(decideTier({ ...base, belowSince, now: ends }).action).toBe('downgrade');
      expect(decideTier({ ...base, belowSince, now: new Date(ends.getTime() - 1) }).action).toBe('none');
    }
  });
});

describe('redemption blocks', () => {
  it.each<[string, number, string | null]>([
    ['active', 10, null],
    ['active', 0, null],
    ['active', -5, 'in_debt'],
    ['inactive', 10, 'client_inactive'],
    ['closed', 10, 'client_closed'],
  ])('status %s with %d points: %s', (status, pointsAvailable, expected) => {
    expect(redemptionBlock({ status, pointsAvailable })).toBe(expected);
  });
});
