import fc from 'fast-check';
import * as backfillServiceRenewals from '../../migrations/20261209120020_backfill_service_renewals';
import * as backfillStreakBonuses from '../../migrations/20261209120030_backfill_streak_bonuses';
import type { RuleInput } from '../../plugin/services/program-service';
import { deactivateRules, expectBalancesConsistent, memberOf, serviceEvent, startTestApp, tableCounts, type TestApp, type WireEvent } from '../support/harness';

/**
 * Invariant 1 for renewal streaks: the same renewals delivered in any order, and any number of
 * times, leave a service with the same streak and its member with the same points as in-order
 * delivery (domain/service-streak.ts). Over the signed webhook, on SQLite and MariaDB
 * (TEST_DATABASE_URL).
 */
describe('renewal streaks whatever the delivery order', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());
  afterEach(async () => {
    await expectBalancesConsistent(app.plugin);
    await deactivateRules(app.plugin);
  });

  const add = (input: Omit<RuleInput, 'active'>) => app.plugin.services.program.addRule({ active: true, ...input });
  const member = (clientId: string) => memberOf(app.plugin, clientId);
  const points = async (clientId: string) => {
    const m = await member(clientId);
    return m.pointsAvailable + m.pointsPending;
  };
  const streakOf = async (clientId: string) => {
    const s = await app.plugin.db.repos.services.find((await member(clientId)).id, 'R1');
    return s && { streak: s.streak, months: s.streakMonths };
  };
  const entries = async (clientId: string) => {
    const rows = await app.plugin.db.knex('loyalty_ledger').where({ member_id: (await member(clientId)).id }).orderBy('id');
    return rows.map((r) => ({ kind: String(r.kind), delta: Number(r.delta), reasonCode: String(r.reason_code), rule: r.rule as string | null, reference: r.reference as string | null, params: JSON.parse(String(r.reason_params ?? '{}')) }));
  };
  const ledger = async (clientId: string) => (await entries(clientId)).map((e) => [e.kind, e.delta, e.reasonCode]);

  /** A renewal of service R1 due on `due`: paid on the due day (on time), or three days after it (late). */
  const renewal = (clientId: string, due: string, late = false): WireEvent =>
    serviceEvent('service.renewed', clientId, { id: 'R1', amount: '50.00', due_date: due }, { tag: due, occurred_at: late ? `${addDays(due, 3)}T08:00:00Z` : `${due}T08:00:00Z` });
  const send = async (event: WireEvent) => (await app.send(event).expect(200)).body as { outcome: string; points: number; detail?: string };

  describe('three on-time renewals, rule “3 in a row: +30”', () => {
    const dues = ['2026-08-01', '2026-09-01', '2026-10-01'];

    it('delivered 3rd, 1st, 2nd: the streak reaches 3 and pays 30, as in order', async () => {
      await add({ type: 'renewal_streak', params: { streak: 3, points: 30 } });
      const inOrder = [];
      for (const due of dues) inOrder.push(await send(renewal('ord-in', due)));
      expect(inOrder).toEqual([
        { event: expect.any(String), outcome: 'applied', points: 0, detail: 'streak_1' },
        { event: expect.any(String), outcome: 'applied', points: 0, detail: 'streak_2' },
        { event: expect.any(String), outcome: 'applied', points: 30 },
      ]);
      const answers = [];
      for (const due of ['2026-10-01', '2026-08-01', '2026-09-01']) answers.push(await send(renewal('ord-312', due)));
      expect(answers.map((a) => [a.points, a.detail])).toEqual([
        [0, 'streak_1'],
        [0, 'streak_2'],
        [30, undefined],
      ]);
      expect(await streakOf('ord-312')).toEqual({ streak: 3, months: 3 });
      expect(await points('ord-312')).toBe(30);
    });

    it.each(permutations([0, 1, 2]).map((p) => [p.map((i) => i + 1).join(', '), p] as const))('delivered %s: streak 3, months 3, one bonus of 30', async (name, order) => {
      await add({ type: 'renewal_streak', params: { streak: 3, points: 30 } });
      const client = `ord-${name.replace(/\D/g, '')}-all`;
      for (const i of order) await send(renewal(client, dues[i] ?? ''));
      expect(await streakOf(client)).toEqual({ streak: 3, months: 3 });
      expect(await points(client)).toBe(30);
      expect(await ledger(client)).toEqual([['bonus', 30, 'renewal_streak']]);
    });

    it('redelivery changes nothing: the same event again, or the same due date under another event id', async () => {
      await add({ type: 'renewal_streak', params: { streak: 3, points: 30 } });
      const events = ['2026-09-01', '2026-10-01', '2026-08-01'].map((due) => renewal('ord-re', due));
      for (const e of events) await send(e);
      const before = { counts: await tableCounts(app.plugin), points: await points('ord-re'), streak: await streakOf('ord-re') };
      expect(before.points).toBe(30);
      for (const e of [...events].reverse()) expect(await send(e)).toMatchObject({ outcome: 'duplicate' });
      expect(await tableCounts(app.plugin)).toEqual(before.counts);
      // The panel reports the renewal due 1 September again, under a new event id: one period, counted once.
      const again = await send(serviceEvent('service.renewed', 'ord-re', { id: 'R1', amount: '50.00', due_date: '2026-09-01' }, { tag: 'again', occurred_at: '2026-09-01T09:00:00Z' }));
      expect(again).toMatchObject({ outcome: 'applied', points: 0, detail: 'already_counted' });
      expect({ points: await points('ord-re'), streak: await streakOf('ord-re') }).toEqual({ points: before.points, streak: before.streak });
    });
  });

  describe('a late renewal between on-time ones (June late; rule “3 in a row: +30”)', () => {
    const history: Array<[string, boolean]> = [
      ['2026-04-01', false],
      ['2026-05-01', false],
      ['2026-06-01', true],
      ['2026-07-01', false],
      ['2026-08-01', false],
      ['2026-09-01', false],
    ];
    const byDue = new Map(history);
    const deliver = async (client: string, dues: string[]) => {
      const out = [];
      for (const due of dues) out.push(await send(renewal(client, due, byDue.get(due))));
      return out.map((a) => [a.points, a.detail]);
    };

    it('in order: two, reset, three: one bonus, streak 3', async () => {
      await add({ type: 'renewal_streak', params: { streak: 3, points: 30 } });
      expect(await deliver('mid-in', history.map(([d]) => d))).toEqual([
        [0, 'streak_1'],
        [0, 'streak_2'],
        [0, 'late_streak_reset'],
        [0, 'streak_1'],
        [0, 'streak_2'],
        [30, undefined],
      ]);
      expect(await streakOf('mid-in')).toEqual({ streak: 3, months: 3 });
    });

    it('the late one delivered last resets the streak as in order; the bonus moves to the streak that now reaches it', async () => {
      await add({ type: 'renewal_streak', params: { streak: 3, points: 30 } });
      const answers = await deliver('mid-last', ['2026-04-01', '2026-05-01', '2026-07-01', '2026-08-01', '2026-09-01', '2026-06-01']);
      expect(answers).toEqual([
        [0, 'streak_1'],
        [0, 'streak_2'],
        [30, undefined],
        [0, 'streak_4'],
        [0, 'streak_5'],
        // April–May no longer reach 3; July–September do: the bonus already paid stands for that streak.
        [0, 'late_streak_reset'],
      ]);
      expect(await streakOf('mid-last')).toEqual({ streak: 3, months: 3 });
      expect(await points('mid-last')).toBe(30);
      expect(await ledger('mid-last')).toEqual([['bonus', 30, 'renewal_streak']]);
    });

    it('a late one that breaks a streak already paid, with no streak to take its place: the bonus is taken back by a new entry, and paid again when a streak reaches it', async () => {
      await add({ type: 'renewal_streak', params: { streak: 3, points: 30 } });
      expect(await deliver('mid-back', ['2026-04-01', '2026-05-01', '2026-07-01'])).toEqual([
        [0, 'streak_1'],
        [0, 'streak_2'],
        [30, undefined],
      ]);
      const late = renewal('mid-back', '2026-06-01', true);
      expect(await send(late)).toMatchObject({ outcome: 'applied', points: -30, detail: 'late_streak_reset' });
      expect(await streakOf('mid-back')).toEqual({ streak: 1, months: 1 });
      expect(await points('mid-back')).toBe(0);
      // A replay takes nothing more.
      expect(await send(late)).toMatchObject({ outcome: 'duplicate', points: -30 });
      expect(await points('mid-back')).toBe(0);
      expect(await deliver('mid-back', ['2026-08-01', '2026-09-01'])).toEqual([
        [0, 'streak_2'],
        [30, undefined],
      ]);
      expect(await streakOf('mid-back')).toEqual({ streak: 3, months: 3 });
      expect(await points('mid-back')).toBe(30);
      expect(await ledger('mid-back')).toEqual([
        ['bonus', 30, 'renewal_streak'],
        ['reverse', -30, 'renewal_streak_taken_back'],
        ['bonus', 30, 'renewal_streak'],
      ]);
      expect((await entries('mid-back'))[1]?.params).toEqual({ service: 'R1', due_date: '2026-06-01', points: 30 });
    });

    it('any order, with redeliveries, ends as in order (fast-check)', async () => {
      const streak2 = await add({ type: 'renewal_streak', params: { streak: 2, points: 20, repeat: true } });
      const months3 = await add({ type: 'renewal_streak', params: { months: 3, points: 7 } });
      const dues = history.map(([d]) => d);
      await deliver('mid-ref', dues);
      const expected = { streak: await streakOf('mid-ref'), points: await points('mid-ref') };
      // In order: +20 at May, +7 (3 months) never before June resets it… then +20 at Aug, +7 at Sep.
      expect(expected).toEqual({ streak: { streak: 3, months: 3 }, points: 20 + 20 + 7 });
      const bonusesOf = async (client: string) => {
        const net = new Map<string, number>();
        for (const e of await entries(client)) if (e.reference === 'service:R1') net.set(String(e.rule ?? e.reasonCode), (net.get(String(e.rule ?? e.reasonCode)) ?? 0) + e.delta);
        return net;
      };
      const expectedNet = await bonusesOf('mid-ref');
      expect(expectedNet.get(`renewal_streak:${streak2}`)).toBe(40);
      expect(expectedNet.get(`renewal_streak:${months3}`)).toBe(7);
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.shuffledSubarray(dues, { minLength: dues.length, maxLength: dues.length }), fc.array(fc.nat(dues.length - 1), { maxLength: 4 }), async (order, again) => {
          const client = `mid-prop-${++run}`;
          // Redeliveries (same event id) of some renewals, each after its first delivery.
          const sequence = [...order];
          for (const i of again) sequence.splice(sequence.indexOf(order[i] ?? '') + 1 + (i % 2), 0, order[i] ?? '');
          await deliver(client, sequence);
          expect({ streak: await streakOf(client), points: await points(client) }).toEqual(expected);
          const net = await bonusesOf(client);
          expect(net.get(`renewal_streak:${streak2}`)).toBe(40);
          expect(net.get(`renewal_streak:${months3}`)).toBe(7);
        }),
        { numRuns: process.env.TEST_DATABASE_URL ? 12 : 25, endOnFailure: true },
      );
    });
  });

  describe('an install upgraded from the streak counters alone (migrations 20261209120020 and …030)', () => {
    const keptRows = async (clientId: string) => {
      const memberId = (await member(clientId)).id;
      const renewals = await app.plugin.db.knex('loyalty_service_renewals').where({ member_id: memberId }).orderBy('id');
      const bonuses = await app.plugin.db.knex('loyalty_streak_bonuses').where({ member_id: memberId }).orderBy('id');
      return {
        renewals: renewals.map((r) => [r.due_date, r.period, new Date(r.renewed_at).toISOString(), Boolean(Number(r.on_time)), Number(r.months), r.currency, Number(r.amount_minor), Number(r.event_id)]),
        bonuses: bonuses.map((b) => [b.run_after, Number(b.rule_id), Number(b.ordinal), Boolean(Number(b.held)), Number(b.points), Number(b.ledger_id)]),
      };
    };
    const forget = async (clientId: string) => {
      const memberId = (await member(clientId)).id;
      await app.plugin.db.knex('loyalty_service_renewals').where({ member_id: memberId }).delete();
      await app.plugin.db.knex('loyalty_streak_bonuses').where({ member_id: memberId }).delete();
    };
    const backfill = async () => {
      await backfillServiceRenewals.up(app.plugin.db.knex);
      await backfillStreakBonuses.up(app.plugin.db.knex);
    };

    it('rebuilds the renewals and the bonuses they paid from the history and the ledger; running again adds nothing', async () => {
      await add({ type: 'renewal_streak', params: { streak: 3, points: 30 } });
      for (const [due, late] of [['2026-03-01', false], ['2026-04-01', false], ['2026-05-01', false], ['2026-06-01', true], ['2026-07-01', false]] as const) await send(renewal('up-1', due, late));
      const live = await keptRows('up-1');
      expect(live.bonuses).toHaveLength(1);
      // What the earlier code left: the history, the ledger and the counters on the service's row.
      await forget('up-1');
      await backfill();
      expect(await keptRows('up-1')).toEqual(live);
      const counts = await tableCounts(app.plugin);
      await backfill();
      expect(await tableCounts(app.plugin)).toEqual(counts);
    });

    it('after the upgrade, an older renewal delivered late neither pays a bonus twice nor loses the streak', async () => {
      await add({ type: 'renewal_streak', params: { streak: 3, points: 30 } });
      for (const due of ['2026-04-01', '2026-05-01', '2026-06-01']) await send(renewal('up-2', due));
      await forget('up-2');
      await backfill();
      // March, on time, lengthens the streak the bonus was paid for: paid already.
      expect(await send(renewal('up-2', '2026-03-01'))).toMatchObject({ points: 0, detail: 'streak_4' });
      expect(await streakOf('up-2')).toEqual({ streak: 4, months: 4 });
      // A renewal due mid-April, paid late, leaves March–April (2) and May–June (2): the bonus is taken back.
      expect(await send(renewal('up-2', '2026-04-15', true))).toMatchObject({ points: -30, detail: 'late_streak_reset' });
      expect(await streakOf('up-2')).toEqual({ streak: 2, months: 2 });
      expect(await points('up-2')).toBe(0);
    });
  });
});

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}
