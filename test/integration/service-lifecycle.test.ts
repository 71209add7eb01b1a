import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEMPLATES_DIR } from '../../plugin/paths';
import { redemptionBlock } from '../../plugin/domain/member';
import { MemberAccount } from '../../plugin/services/member-account';
import { ViewRenderer } from '../../plugin/web/views';
import type { RuleInput } from '../../plugin/services/program-service';
import { actionEvent, clientEvent, deactivateRules, expectBalancesConsistent, invoicePaid, invoiceReversed, memberOf, serviceEvent, startTestApp, tableCounts, type TestApp, type WireEvent } from '../support/harness';

/**
 * Every lifecycle event over the signed webhook: its effect, its replay (same id: `duplicate`,
 * nothing written) and deliveries out of order. On SQLite and MariaDB (TEST_DATABASE_URL).
 */
describe('service lifecycle, reversals, client updates and actions', () => {
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
  const service = async (clientId: string, serviceId: string) => app.plugin.db.repos.services.find((await member(clientId)).id, serviceId);
  const history = async (clientId: string) => (await app.plugin.db.repos.history.forMember((await member(clientId)).id)).map((h) => [h.kind, h.details]);
  /** Sends, then sends again: the replay answers `duplicate` with the first answer and writes nothing. */
  const sendTwice = async (event: WireEvent) => {
    const first = await app.send(event).expect(200);
    const before = await tableCounts(app.plugin);
    const again = await app.send(event).expect(200);
    expect(again.body).toMatchObject({ outcome: 'duplicate', points: first.body.points, first_outcome: first.body.outcome });
    expect(await tableCounts(app.plugin)).toEqual(before);
    return first.body as { outcome: string; points: number; detail?: string };
  };

  describe('service.upgraded', () => {
    it('earns the flat bonus once per upgrade; the invoice lines keep earning the money', async () => {
      await add({ type: 'service_upgrade', params: { points: 50 } });
      const paid = await app.send(invoicePaid({ client: { id: 'u-1' }, invoice: { total: '95.00', items: [{ type: 'upgrade', service_id: 'S1', amount: '95.00' }] } })).expect(200);
      expect(paid.body.points).toBe(95);
      const first = await sendTwice(serviceEvent('service.upgraded', 'u-1', { id: 'S1', previous_amount: '5.00', amount: '100.00' }));
      expect(first).toMatchObject({ outcome: 'applied', points: 50 });
      // A second upgrade of the same service (a new event id) is another upgrade.
      const second = await app.send(serviceEvent('service.upgraded', 'u-1', { id: 'S1', previous_amount: '100.00', amount: '200.00' })).expect(200);
      expect(second.body.points).toBe(50);
      expect(await member('u-1')).toMatchObject({ pointsAvailable: 195 });
      expect(await service('u-1', 'S1')).toMatchObject({ amountMinor: 20000, state: 'active' });
    });

    it('a percentage of the recurring increase; with money_from event the upgrade line earns nothing', async () => {
      await add({ type: 'service_upgrade', params: { percent: 10, money_from: 'event' } });
      const paid = await app.send(invoicePaid({ client: { id: 'u-2' }, invoice: { total: '105.00', items: [{ type: 'upgrade', amount: '95.00' }, { type: 'domain', amount: '10.00' }] } })).expect(200);
      expect(paid.body.points).toBe(10);
      const up = await sendTwice(serviceEvent('service.upgraded', 'u-2', { id: 'S2', previous_amount: '5.00', amount: '100.00' }));
      // 95 for the money, 10% of it as the bonus (9).
      expect(up.points).toBe(104);
      expect((await member('u-2')).pointsAvailable).toBe(114);
    });

    it('a downgrade earns nothing and is recorded for churn signals', async () => {
      await add({ type: 'service_upgrade', params: { points: 50 } });
      const down = await sendTwice(serviceEvent('service.upgraded', 'u-3', { id: 'S3', previous_amount: '100.00', amount: '20.00' }));
      expect(down).toMatchObject({ points: 0, detail: 'downgrade' });
      expect(await history('u-3')).toEqual([['service_downgraded', { from: 10000, to: 2000, currency: 'USD' }]]);
    });

    describe('without previous_amount: the service’s price on record says which way it went', () => {
      const upgraded = (clientId: string, id: string, amount: string, at: string, extra: Record<string, string> = {}) =>
        serviceEvent('service.upgraded', clientId, { id, amount, currency: 'USD', ...extra }, { occurred_at: at });

      it('a lower price than the service had is a downgrade: nothing earned, recorded for churn; cycling down and up pays one upgrade', async () => {
        await add({ type: 'service_upgrade', params: { points: 50 } });
        await app.send(serviceEvent('service.created', 'dg-1', { id: 'S', amount: '20.00', currency: 'USD' }, { occurred_at: '2026-11-01T10:00:00Z' })).expect(200);
        expect(await sendTwice(upgraded('dg-1', 'S', '10.00', '2026-11-10T10:00:00Z'))).toMatchObject({ points: 0, detail: 'downgrade' });
        expect(await sendTwice(upgraded('dg-1', 'S', '20.00', '2026-11-11T10:00:00Z'))).toMatchObject({ points: 50 });
        expect(await sendTwice(upgraded('dg-1', 'S', '10.00', '2026-11-12T10:00:00Z'))).toMatchObject({ points: 0, detail: 'downgrade' });
        // The same price again: a plan change, no upgrade.
        expect(await sendTwice(upgraded('dg-1', 'S', '10.00', '2026-11-13T10:00:00Z'))).toMatchObject({ points: 0, detail: 'no_price_change' });
        expect((await member('dg-1')).pointsAvailable).toBe(50);
        expect(await history('dg-1')).toEqual([
          ['service_created', { known_before: false }],
          ['service_downgraded', { from: 2000, to: 1000, currency: 'USD' }],
          ['service_upgraded', { from: 1000, to: 2000, currency: 'USD', points: 50 }],
          ['service_downgraded', { from: 2000, to: 1000, currency: 'USD' }],
          ['service_upgraded', { from: 1000, to: 1000, currency: 'USD', points: 0 }],
        ]);
        // The churn job reads the downgraded service as it reads one the panel gave both prices for.
        const id = (await member('dg-1')).id;
        const signals = await app.plugin.db.repos.churn.signals([id], { recent: [], previous: [], since: new Date('2026-11-01T00:00:00Z') });
        expect(signals.get(id)).toMatchObject({ downgradedRecently: 1 });
      });

      it('a percentage rule has the increase to take its share of', async () => {
        await add({ type: 'service_upgrade', params: { percent: 50 } });
        await app.send(serviceEvent('service.created', 'dg-2', { id: 'S', amount: '10.00', currency: 'USD' }, { occurred_at: '2026-11-01T10:00:00Z' })).expect(200);
        // 10.00 → 30.00: half of the 20 base points of the increase.
        expect(await sendTwice(upgraded('dg-2', 'S', '30.00', '2026-11-10T10:00:00Z'))).toMatchObject({ points: 10 });
      });

      it('a price in another currency says nothing: the event is taken as the upgrade it says it is', async () => {
        await add({ type: 'service_upgrade', params: { points: 50 } });
        await app.send(serviceEvent('service.created', 'dg-3', { id: 'S', amount: '2000.00', currency: 'RUB' }, { occurred_at: '2026-11-01T10:00:00Z' })).expect(200);
        expect(await sendTwice(upgraded('dg-3', 'S', '10.00', '2026-11-10T10:00:00Z'))).toMatchObject({ points: 50 });
        expect(await history('dg-3')).toContainEqual(['service_upgraded', { from: null, to: 1000, currency: 'USD', points: 50 }]);
      });

      it('delivered out of order: a newer price is never the one an older upgrade is judged by, nor replaced by an older one', async () => {
        await add({ type: 'service_upgrade', params: { points: 50 } });
        await app.send(serviceEvent('service.created', 'dg-4', { id: 'S', amount: '10.00', currency: 'USD' }, { occurred_at: '2026-11-01T10:00:00Z' })).expect(200);
        // 10 → 20 on the 10th and 20 → 30 on the 12th, delivered the other way round.
        expect(await sendTwice(upgraded('dg-4', 'S', '30.00', '2026-11-12T10:00:00Z'))).toMatchObject({ points: 50 });
        expect(await sendTwice(upgraded('dg-4', 'S', '20.00', '2026-11-10T10:00:00Z'))).toMatchObject({ points: 50 });
        expect(await service('dg-4', 'S')).toMatchObject({ amountMinor: 3000, amountAt: new Date('2026-11-12T10:00:00Z') });
        // A creation delivered after an upgrade doesn't bring its older price back either.
        await app.send(upgraded('dg-5', 'S', '20.00', '2026-11-10T10:00:00Z')).expect(200);
        await app.send(serviceEvent('service.created', 'dg-5', { id: 'S', amount: '10.00', currency: 'USD' }, { occurred_at: '2026-11-01T10:00:00Z' })).expect(200);
        expect(await service('dg-5', 'S')).toMatchObject({ amountMinor: 2000 });
        expect(await sendTwice(upgraded('dg-5', 'S', '15.00', '2026-11-15T10:00:00Z'))).toMatchObject({ points: 0, detail: 'downgrade' });
        expect((await member('dg-5')).pointsAvailable).toBe(50);
      });

      it('a downgrade while earning is paused is still recorded as a downgrade', async () => {
        await add({ type: 'service_upgrade', params: { points: 50 } });
        await app.plugin.services.program.update({ pause_earning_while_suspended: true });
        try {
          await app.send(serviceEvent('service.created', 'dg-6', { id: 'S', amount: '20.00', currency: 'USD' }, { occurred_at: '2026-11-01T10:00:00Z' })).expect(200);
          await app.send(serviceEvent('service.suspended', 'dg-6', { id: 'S' }, { occurred_at: '2026-11-05T10:00:00Z' })).expect(200);
          expect(await sendTwice(upgraded('dg-6', 'S', '10.00', '2026-11-10T10:00:00Z'))).toMatchObject({ points: 0, detail: 'downgrade' });
          expect((await history('dg-6')).map(([k]) => k)).toContain('service_downgraded');
        } finally {
          await app.plugin.services.program.update({ pause_earning_while_suspended: false });
        }
      });
    });

    it('an upgrade before the service’s creation: the service is known from the upgrade, created later keeps its tenure', async () => {
      await add({ type: 'service_upgrade', params: { points: 50 } });
      const up = await app.send(serviceEvent('service.upgraded', 'u-4', { id: 'S4', previous_amount: '5.00', amount: '10.00' }, { occurred_at: '2026-11-22T12:00:00Z' })).expect(200);
      expect(up.body.points).toBe(50);
      const created = await sendTwice(serviceEvent('service.created', 'u-4', { id: 'S4', amount: '5.00' }, { occurred_at: '2026-11-01T00:00:00Z' }));
      expect(created).toMatchObject({ points: 0, detail: 'already_known' });
      expect(await member('u-4')).toMatchObject({ servicesActive: 1, firstServiceAt: new Date('2026-11-01T00:00:00Z'), pointsAvailable: 50 });
    });
  });

  describe('service.renewed', () => {
    const renewal = (clientId: string, due: string, at: string, extra: Record<string, string> = {}) =>
      serviceEvent('service.renewed', clientId, { id: 'R1', amount: '50.00', due_date: due, ...extra }, { tag: due, occurred_at: at });

    it('counts on-time renewals into a streak, pays the 3rd, resets on a late one; replays and old renewals count once', async () => {
      await add({ type: 'renewal_streak', params: { streak: 3, percent: 10, repeat: true } });
      const answers: Array<number | string | undefined> = [];
      for (const [due, at] of [
        ['2026-08-01', '2026-07-30T00:00:00Z'],
        ['2026-09-01', '2026-09-01T20:00:00Z'],
        ['2026-10-01', '2026-09-28T00:00:00Z'],
      ] as const) {
        const r = await sendTwice(renewal('s-1', due, at));
        answers.push(r.points);
      }
      // 10% of 50.00's base points on the 3rd.
      expect(answers).toEqual([0, 0, 5]);
      expect(await service('s-1', 'R1')).toMatchObject({ streak: 3, streakMonths: 3, lastDueDate: '2026-10-01' });
      // The renewal due 1 September reported again (new id): a period is renewed once, so nothing changes.
      const old = await app.send(serviceEvent('service.renewed', 's-1', { id: 'R1', amount: '50.00', due_date: '2026-09-01' }, { tag: 'late-copy', occurred_at: '2026-09-01T20:00:00Z' })).expect(200);
      expect(old.body).toMatchObject({ points: 0, detail: 'already_counted' });
      // Late: paid two days after the due day.
      const late = await sendTwice(renewal('s-1', '2026-11-01', '2026-11-03T00:00:00Z'));
      expect(late).toMatchObject({ points: 0, detail: 'late_streak_reset' });
      expect(await service('s-1', 'R1')).toMatchObject({ streak: 0, streakMonths: 0 });
      expect((await member('s-1')).pointsAvailable).toBe(5);
    });

    it('a renewal grace setting makes a day late on time', async () => {
      await app.plugin.services.program.update({ renewal_grace_days: 2 });
      try {
        const r = await app.send(renewal('s-2', '2026-11-01', '2026-11-02T10:00:00Z')).expect(200);
        expect(r.body.detail).toBe('streak_1');
        expect(await service('s-2', 'R1')).toMatchObject({ streak: 1 });
      } finally {
        await app.plugin.services.program.update({ renewal_grace_days: 0 });
      }
    });

    it('a streak bonus rule’s cap holds', async () => {
      await add({ type: 'renewal_streak', params: { streak: 1, points: 30, repeat: true }, cap: { points: 40, period: 'year' } });
      const pts: number[] = [];
      for (const due of ['2026-09-01', '2026-10-01', '2026-11-01']) pts.push((await app.send(renewal('s-3', due, `${due}T00:00:00Z`)).expect(200)).body.points);
      expect(pts).toEqual([30, 10, 0]);
    });
  });

  describe('service.created and service.cancelled', () => {
    it('counts active services and tenure; a cancellation leaves the count and is recorded', async () => {
      await sendTwice(serviceEvent('service.created', 'c-1', { id: 'A' }, { occurred_at: '2026-10-01T00:00:00Z' }));
      await sendTwice(serviceEvent('service.created', 'c-1', { id: 'B' }, { occurred_at: '2026-11-01T00:00:00Z' }));
      expect(await member('c-1')).toMatchObject({ servicesActive: 2, firstServiceAt: new Date('2026-10-01T00:00:00Z') });
      const cancel = await sendTwice(serviceEvent('service.cancelled', 'c-1', { id: 'B' }, { occurred_at: '2026-11-20T00:00:00Z' }));
      expect(cancel).toMatchObject({ outcome: 'applied', points: 0 });
      expect(await member('c-1')).toMatchObject({ servicesActive: 1 });
      expect(await service('c-1', 'B')).toMatchObject({ state: 'cancelled', cancelledAt: new Date('2026-11-20T00:00:00Z') });
      expect((await history('c-1')).map(([k]) => k)).toEqual(['service_created', 'service_created', 'service_cancelled']);
    });
  });

  describe('service.suspended and service.unsuspended', () => {
    it('are recorded; an unsuspend before its suspend leaves the service active', async () => {
      const un = await sendTwice(serviceEvent('service.unsuspended', 'p-1', { id: 'X' }, { occurred_at: '2026-11-22T10:00:00Z' }));
      expect(un.outcome).toBe('applied');
      const sus = await sendTwice(serviceEvent('service.suspended', 'p-1', { id: 'X' }, { occurred_at: '2026-11-20T10:00:00Z' }));
      expect(sus.detail).toBe('out_of_order');
      expect(await service('p-1', 'X')).toMatchObject({ state: 'active' });
      expect(await member('p-1')).toMatchObject({ servicesSuspended: 0, suspendedSince: null });
      expect(await history('p-1')).toEqual([
        ['service_unsuspended', { applied: true, from: null }],
        ['service_suspended', { applied: false }],
      ]);
    });

    it('pause earning while suspended, as a program setting', async () => {
      await app.plugin.services.program.update({ pause_earning_while_suspended: true });
      try {
        await app.send(serviceEvent('service.suspended', 'p-2', { id: 'Y' }, { occurred_at: '2026-11-20T00:00:00Z' })).expect(200);
        expect(await member('p-2')).toMatchObject({ servicesSuspended: 1, suspendedSince: new Date('2026-11-20T00:00:00Z') });
        const paused = await app.send(invoicePaid({ client: { id: 'p-2' } })).expect(200);
        expect(paused.body).toMatchObject({ points: 0, detail: 'earning_paused' });
        await app.send(serviceEvent('service.unsuspended', 'p-2', { id: 'Y' }, { occurred_at: '2026-11-21T00:00:00Z' })).expect(200);
        const earns = await app.send(invoicePaid({ client: { id: 'p-2' } })).expect(200);
        expect(earns.body.points).toBe(120);
      } finally {
        await app.plugin.services.program.update({ pause_earning_while_suspended: false });
      }
    });

    it('the tier review does not downgrade while suspended, and the grace clock resumes without the paused days', async () => {
      const DAY = 86_400_000;
      const { tiers } = await app.plugin.services.tiers.config();
      const gold = tiers[tiers.length - 1];
      if (!gold) throw new Error('no tiers seeded');
      const m = await member((await app.send(clientEvent('client.created', 't-1')).expect(200), 't-1'));
      const belowSince = new Date(app.clock.now().getTime() - 40 * DAY);
      await app.plugin.db.transaction(async (tx) => tx.repos.members.setTier(m.id, gold.id, belowSince, tx.now));
      const suspendedAt = new Date(app.clock.now().getTime() - 20 * DAY).toISOString();
      await app.send(serviceEvent('service.suspended', 't-1', { id: 'Z' }, { occurred_at: suspendedAt })).expect(200);
      await app.plugin.jobs.reviewTiers();
      expect((await member('t-1')).tierId).toBe(gold.id);
      await app.send(serviceEvent('service.unsuspended', 't-1', { id: 'Z' }, { occurred_at: app.clock.now().toISOString() })).expect(200);
      // 20 of the 40 days below were suspended: 20 days of grace used, 10 left of 30.
      expect((await member('t-1')).tierBelowSince).toEqual(new Date(belowSince.getTime() + 20 * DAY));
      await app.plugin.jobs.reviewTiers();
      expect((await member('t-1')).tierId).toBe(gold.id);
    });
  });

  describe('invoice.reversed', () => {
    it('reverses what the invoice earned exactly once; a re-payment (new id) earns again', async () => {
      const paid = invoicePaid({ client: { id: 'v-1' }, invoice: { id: 'V1' } });
      await app.send(paid).expect(200);
      const rev = await sendTwice(invoiceReversed('V1', { client: { id: 'v-1' }, occurred_at: '2026-11-22T11:00:00Z' }));
      expect(rev).toMatchObject({ outcome: 'applied', points: -120 });
      expect(await member('v-1')).toMatchObject({ pointsAvailable: 0, pointsLifetime: 0 });
      // The same payment re-sent is still a duplicate; a new payment of the invoice earns again.
      expect((await app.send(paid).expect(200)).body.outcome).toBe('duplicate');
      const repay = await app.send(invoicePaid({ id: 'test:invoice:V1:paid:2', client: { id: 'v-1' }, invoice: { id: 'V1' }, occurred_at: '2026-11-22T12:00:00Z' })).expect(200);
      expect(repay.body).toMatchObject({ outcome: 'applied', points: 120 });
      expect((await member('v-1')).pointsAvailable).toBe(120);
    });

    it('follows the debt policy when the points were spent', async () => {
      await app.send(invoicePaid({ client: { id: 'v-2' }, invoice: { id: 'V2' } })).expect(200);
      const m = await member('v-2');
      await app.plugin.db.transaction(async (tx) => {
        const account = await MemberAccount.lock(tx, { id: m.id });
        await account?.debit({ points: 100, kind: 'adjust', reasonCode: 'unknown', reducesLifetime: false, debtPolicy: 'debt' });
      });
      const rev = await app.send(invoiceReversed('V2', { client: { id: 'v-2' } })).expect(200);
      expect(rev.body.points).toBe(-120);
      expect((await member('v-2')).pointsAvailable).toBe(-100);
    });

    it('a reversal before its payment: the payment then earns nothing, a later one does', async () => {
      const rev = await sendTwice(invoiceReversed('V3', { client: { id: 'v-3' }, occurred_at: '2026-11-22T11:00:00Z' }));
      expect(rev).toMatchObject({ points: 0, detail: 'awaiting_payment' });
      const paid = await app.send(invoicePaid({ client: { id: 'v-3' }, invoice: { id: 'V3' }, occurred_at: '2026-11-22T10:00:00Z' })).expect(200);
      expect(paid.body).toMatchObject({ points: 0, detail: 'reversed_before_payment' });
      const repay = await app.send(invoicePaid({ id: 'test:invoice:V3:paid:2', client: { id: 'v-3' }, invoice: { id: 'V3' }, occurred_at: '2026-11-22T12:00:00Z' })).expect(200);
      expect(repay.body.points).toBe(120);
    });
  });

  describe('client.updated', () => {
    it('updates contact details, locale, currency (points unconverted) and status, recorded once', async () => {
      await app.send(invoicePaid({ client: { id: 'cu-1' } })).expect(200);
      const upd = await sendTwice(
        clientEvent('client.updated', 'cu-1', { client: { id: 'cu-1', email: 'new@example.com', name: 'New Name', locale: 'ru', currency: 'EUR', birthday: '1990-02-28', status: 'Closed' } }),
      );
      expect(upd).toMatchObject({ outcome: 'applied', points: 0 });
      expect(await member('cu-1')).toMatchObject({
        email: 'new@example.com',
        name: 'New Name',
        locale: 'ru',
        currency: 'EUR',
        birthday: '1990-02-28',
        status: 'closed',
        pointsAvailable: 120,
      });
      expect(await history('cu-1')).toEqual([
        ['client_updated', { fields: 'email,name,locale,currency,birthday,status', currency_from: 'USD', currency_to: 'EUR', status_from: 'active', status_to: 'closed' }],
      ]);
    });

    it('an older update delivered after a newer one changes nothing; a closed client may not redeem', async () => {
      const at = (iso: string, client: Record<string, string>) => ({ ...clientEvent('client.updated', 'cu-3', { client: { id: 'cu-3', ...client } }), occurred_at: iso });
      await app.send(at('2026-11-22T12:00:00Z', { email: 'newest@example.com', status: 'Inactive' })).expect(200);
      const old = await app.send(at('2026-11-22T09:00:00Z', { email: 'older@example.com', status: 'Active' })).expect(200);
      expect(old.body).toMatchObject({ points: 0, detail: 'out_of_order' });
      const m = await member('cu-3');
      expect(m).toMatchObject({ email: 'newest@example.com', status: 'inactive' });
      expect(redemptionBlock(m)).toBe('client_inactive');
    });

    it('refuses an unknown status, naming the field, and writes nothing', async () => {
      const before = await tableCounts(app.plugin);
      const res = await app.send(clientEvent('client.updated', 'cu-2', { client: { id: 'cu-2', status: 'Fraud' } })).expect(422);
      expect(res.body.fields).toEqual([expect.objectContaining({ path: 'client.status' })]);
      expect(await tableCounts(app.plugin)).toEqual(before);
    });
  });

  describe('the Rewards tab data', () => {
    it('shows each service’s streak and the next streak reward, rendered by the service-streaks partial', async () => {
      await add({ type: 'renewal_streak', params: { streak: 3, points: 40, repeat: true } });
      await app.send(serviceEvent('service.created', 'tab-1', { id: 'H1' })).expect(200);
      await app.send(serviceEvent('service.renewed', 'tab-1', { id: 'H1', due_date: '2026-11-01' }, { occurred_at: '2026-10-30T00:00:00Z' })).expect(200);
      await app.send(serviceEvent('service.created', 'tab-1', { id: 'GONE' })).expect(200);
      await app.send(serviceEvent('service.cancelled', 'tab-1', { id: 'GONE' })).expect(200);
      const data = await app.plugin.services.rewards.forClient('tab-1');
      expect(data.services).toEqual([{ serviceId: 'H1', state: 'active', streak: 1, streakMonths: 1, next: { renewalsToGo: 2, points: 40 } }]);
      const { model, i18n } = await app.plugin.presenters.rewardsTab.build('tab-1');
      expect(model.services).toEqual([
        { id: 'H1', label: 'Service #H1', suspended: false, streak: 'On-time renewals in a row: 1', next: 'Next streak reward after 2 more on-time renewals: 40 points' },
      ]);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streaks-'));
      fs.mkdirSync(path.join(dir, 'partials'));
      fs.copyFileSync(path.join(TEMPLATES_DIR, 'partials/service-streaks.hbs'), path.join(dir, 'partials/service-streaks.hbs'));
      fs.writeFileSync(path.join(dir, 'page.hbs'), '{{> service-streaks services=services}}');
      fs.writeFileSync(path.join(dir, 'frame.hbs'), '{{body}}');
      const views = new ViewRenderer(dir);
      views.init();
      const html = views.render('page', model, { i18n, mount: '' }, 'frame');
      expect(html).toContain('Your services');
      expect(html).toContain('On-time renewals in a row: 1');
      expect(html).toContain('Next streak reward after 2 more on-time renewals: 40 points');
      expect(views.render('page', { services: [] }, { i18n, mount: '' }, 'frame').trim()).toBe('');
    });
  });

  describe('action.completed', () => {
    it('earns once per action reference whatever the event id, within the rule’s frequency', async () => {
      await add({ type: 'action', params: { kind: 'review', points: 25, per: 'ever', limit: 2 } });
      const first = await sendTwice(actionEvent('a-1', 'review', 'trustpilot:abc'));
      expect(first).toMatchObject({ points: 25 });
      const sameRef = await app.send(actionEvent('a-1', 'review', 'trustpilot:abc')).expect(200);
      expect(sameRef.body).toMatchObject({ points: 0, detail: 'already_awarded' });
      expect((await app.send(actionEvent('a-1', 'review', 'g2:xyz')).expect(200)).body.points).toBe(25);
      expect((await app.send(actionEvent('a-1', 'review', 'capterra:1')).expect(200)).body).toMatchObject({ points: 0, detail: 'limit_reached' });
      expect((await app.send(actionEvent('a-1', 'survey', 'nps:1')).expect(200)).body).toMatchObject({ points: 0, detail: 'no_rule' });
      expect((await member('a-1')).pointsAvailable).toBe(50);
    });

    it('references differing only in case or accents are different actions, on every database', async () => {
      await add({ type: 'action', params: { kind: 'referral', points: 10, per: 'ever', limit: 100 } });
      for (const reference of ['Trust:ABC', 'trust:abc', 'café', 'cafe']) {
        expect({ reference, points: (await app.send(actionEvent('a-case', 'referral', reference)).expect(200)).body.points }).toEqual({ reference, points: 10 });
      }
      expect((await member('a-case')).pointsAvailable).toBe(40);
    });

    it('a switched-off rule earns nothing', async () => {
      const res = await app.send(actionEvent('a-2', 'review', 'x')).expect(200);
      expect(res.body).toMatchObject({ points: 0, detail: 'no_rule' });
    });
  });
});
