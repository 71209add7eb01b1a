import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { PanelCapabilities } from '../../plugin/domain/panel-actions';
import { PanelError } from '../../plugin/errors';
import type { PanelActionCall, PanelApi, PanelResult } from '../../plugin/panels/panel-api';
import { expectBalancesConsistent, startTestApp, tableCounts, type TestApp } from '../support/harness';

/** A panel that applies or refuses each action as the property says. */
class SwitchPanel implements PanelApi {
  readonly name = 'switch';
  readonly capabilities: PanelCapabilities = { invoiceDiscount: true, clientTier: true, credit: true, email: false, promoCode: false };
  refuse = false;
  async perform(_call: PanelActionCall): Promise<PanelResult> {
    if (this.refuse) throw new PanelError('panel_refused', { message: 'refused', retryable: false });
    return { reference: 'ok' };
  }
}

type Command =
  | { kind: 'pay'; member: number; invoice: number }
  | { kind: 'refund'; member: number; invoice: number; cents: number }
  | { kind: 'chargeback'; member: number; invoice: number }
  | { kind: 'redeem'; member: number; steps: number; replay: boolean }
  | { kind: 'dispatch'; refuse: boolean }
  | { kind: 'wait'; days: number };

const MEMBERS = 2;
const INVOICES = 3;
const TOTAL_CENTS = [45000, 12000, 99900];

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('pay' as const), member: fc.nat(MEMBERS - 1), invoice: fc.nat(INVOICES - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('refund' as const), member: fc.nat(MEMBERS - 1), invoice: fc.nat(INVOICES - 1), cents: fc.integer({ min: 1, max: 100000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('chargeback' as const), member: fc.nat(MEMBERS - 1), invoice: fc.nat(INVOICES - 1) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('redeem' as const), member: fc.nat(MEMBERS - 1), steps: fc.integer({ min: 1, max: 6 }), replay: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('dispatch' as const), refuse: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), days: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 150, max: 400 })) }) },
);

const money = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

/**
 * Redemptions interleaved with payments, refunds, chargebacks, expiry (long waits), panel
 * successes and refusals, and replays of a confirmation. After every step: balance = Σ ledger
 * = Σ lots, no redemption ever took the available balance below zero, a replayed key wrote
 * nothing, and every failed redemption gave its points back exactly once.
 */
describe('redemption invariants under random sequences (fast-check)', () => {
  let app: TestApp;
  const panel = new SwitchPanel();
  let stepReward = 0;

  beforeAll(async () => {
    app = await startTestApp({ panelApi: panel, program: { refund_window_days: 1, debt_policy: 'debt', points_expiry_months: 6 } });
    stepReward = (await app.plugin.db.repos.rewards.list()).find((r) => r.stepPoints === 100)?.id ?? 0;
  });
  afterAll(() => app.close());

  it('never overspends, gives failed redemptions back once, and makes replays no-ops', async () => {
    let run = 0;
    let redeemed = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 20 }), async (commands) => {
        const prefix = `rp${++run}`;
        let lastKey: string | null = null;
        let seq = 0;
        // Each sequence starts with points to spend and one redemption of them, so it reaches
        // redemptions and not only refusals however short the random part is.
        const opening: Command[] = [
          { kind: 'pay', member: 0, invoice: 2 },
          { kind: 'pay', member: 1, invoice: 0 },
          { kind: 'wait', days: 2 },
          { kind: 'redeem', member: 0, steps: 2, replay: false },
        ];
        for (const c of [...opening, ...commands]) {
          if (c.kind === 'wait') {
            app.clock.advance(c.days * 86_400_000);
            await app.plugin.jobs.run('expire-points');
          } else if (c.kind === 'dispatch') {
            panel.refuse = c.refuse;
            await app.plugin.jobs.dispatchOutbox();
            panel.refuse = false;
          } else if (c.kind === 'redeem') {
            const clientId = `${prefix}-m${c.member}`;
            const key: string = c.replay && lastKey !== null ? lastKey : randomBytes(12).toString('base64url');
            const before = await app.plugin.db.repos.members.findByPanelClientId(clientId);
            const counts = await tableCounts(app.plugin);
            const result = await app.plugin.services.redemptions.redeem(clientId, { rewardId: stepReward, points: c.steps * 100, idempotencyKey: key }).catch((err: { code?: string }) => {
              // A replayed key of the other member is refused; anything else is a bug.
              if (err.code === 'redemption_key_conflict') return null;
              throw err;
            });
            const after = await app.plugin.db.repos.members.findByPanelClientId(clientId);
            if (result === null || !result.ok || result.repeated) {
              expect(await tableCounts(app.plugin)).toEqual(counts);
            } else {
              // Spending never takes the balance below zero (what was pending may have been released on the way).
              expect(after?.pointsAvailable ?? -1).toBeGreaterThanOrEqual(0);
              expect((before?.pointsAvailable ?? 0) + (before?.pointsPending ?? 0)).toBeGreaterThanOrEqual(c.steps * 100);
              lastKey = key;
              redeemed++;
            }
            expect(after?.pointsAvailable ?? 0).toBeGreaterThanOrEqual(Math.min(0, before?.pointsAvailable ?? 0));
          } else {
            const client = { id: `${prefix}-m${c.member}`, currency: 'USD' };
            const invoice = { id: `${prefix}-i${c.member}-${c.invoice}`, currency: 'USD', total: money(TOTAL_CENTS[c.invoice] ?? 100) };
            const base = { id: `${prefix}:${c.kind}:${++seq}`, occurred_at: app.clock.now().toISOString(), client };
            const event =
              c.kind === 'pay'
                ? { ...base, type: 'invoice.paid', invoice }
                : c.kind === 'refund'
                  ? { ...base, type: 'invoice.refunded', invoice: { ...invoice, refunded: money(Math.min(c.cents, TOTAL_CENTS[c.invoice] ?? 100)) } }
                  : { ...base, type: 'invoice.chargeback', invoice };
            const res = await app.send(event);
            expect([res.status, res.body.error]).toEqual([200, undefined]);
          }
          await expectBalancesConsistent(app.plugin);
          // Each redemption: spent once, and given back at most once (only if it failed).
          const rows = await app.plugin.db.knex('loyalty_redemptions as r').join('loyalty_members as m', 'm.id', 'r.member_id').where('m.panel_client_id', 'like', `${prefix}-%`).select('r.*');
          for (const r of rows) {
            const entries = await app.plugin.db.knex('loyalty_ledger').where({ member_id: r.member_id, reference: r.action_key }).select('kind', 'delta');
            const spent = entries.filter((e) => e.kind === 'redeem').map((e) => Number(e.delta));
            const back = entries.filter((e) => e.kind === 'reverse').map((e) => Number(e.delta));
            expect(spent).toEqual([-Number(r.points)]);
            expect(back).toEqual(r.state === 'failed' ? [Number(r.points)] : []);
          }
        }
      }),
      { numRuns: process.env.TEST_DATABASE_URL ? 8 : 20, endOnFailure: true },
    );
    // The sequences must reach the interesting part, not only refusals.
    expect(redeemed).toBeGreaterThan(0);
  });
});
