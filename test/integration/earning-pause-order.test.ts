import type { RuleInput } from '../../plugin/services/program-service';
import { deactivateRules, expectBalancesConsistent, invoicePaid, memberOf, serviceEvent, startTestApp, type TestApp, type WireEvent } from '../support/harness';

/**
 * `pause_earning_while_suspended` judges each payment and service event by what was suspended at
 * its own `occurred_at`, not by the services' state when it is delivered, so the same events earn
 * the same in any delivery order (DESIGN §5.1). On SQLite and MariaDB (TEST_DATABASE_URL), with
 * payments in group commits (`first-payment.ts`) and each alone (`EarningService`).
 *
 * Not covered, because not corrected: an event delivered before a suspension that covers it (or
 * while an unsuspension that ends one before it is still on its way) is judged by what was known
 * then; the README says so.
 */

type Step = 'suspend' | 'unsuspend' | 'earn';

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

const at = (time: string) => `2026-11-22T${time}:00Z`;

describe.each([
  ['payments in group commits', 32],
  ['each payment alone', 1],
])('earning paused while suspended, by the time of each event (%s)', (_, ingestBatchMax) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ config: { ingestBatchMax } });
    await app.plugin.services.program.update({ pause_earning_while_suspended: true });
  });
  afterAll(() => app.close());
  afterEach(async () => {
    await expectBalancesConsistent(app.plugin);
    await deactivateRules(app.plugin);
  });

  const add = (input: Omit<RuleInput, 'active'>) => app.plugin.services.program.addRule({ active: true, ...input });
  const send = async (event: WireEvent) => (await app.send(event).expect(200)).body as { outcome: string; points: number; detail?: string };
  const suspend = (client: string, time: string) => serviceEvent('service.suspended', client, { id: 'S' }, { tag: `s-${time}`, occurred_at: at(time) });
  const unsuspend = (client: string, time: string) => serviceEvent('service.unsuspended', client, { id: 'S' }, { tag: `u-${time}`, occurred_at: at(time) });
  const payment = (client: string, time: string) =>
    invoicePaid({ client: { id: client }, invoice: { id: `${client}-INV`, total: '100.00', items: [{ id: 'l', type: 'new', amount: '100.00' }] }, occurred_at: at(time) });

  /** Delivers the steps in `order` to a new client; returns the earning event's answer and the points the member ends with. */
  async function deliver(client: string, order: readonly Step[], events: Partial<Record<Step, WireEvent>>) {
    await send(serviceEvent('service.created', client, { id: 'S' }, { tag: 'created', occurred_at: '2026-11-01T00:00:00Z' }));
    let answer: { points: number; detail?: string } | undefined;
    for (const step of order) {
      const event = events[step];
      if (!event) continue;
      const body = await send(event);
      if (step === 'earn') answer = body;
    }
    return { answer, points: (await memberOf(app.plugin, client)).pointsLifetime };
  }
  const label = (order: readonly Step[]) => order.join(' → ');

  it.each(permutations<Step>(['suspend', 'earn']).map((o) => [label(o), o] as const))(
    'a payment at 09:00 earns, whether the suspension at 10:00 is delivered before or after it (%s)',
    async (name, order) => {
      const client = `before-${name.replace(/\W+/g, '-')}`;
      const { answer, points } = await deliver(client, order, { suspend: suspend(client, '10:00'), earn: payment(client, '09:00') });
      expect(answer).toMatchObject({ points: 100 });
      expect(points).toBe(100);
    },
  );

  // The overdue payment that lifts a suspension (paid 12:00, unsuspended 12:01) is made while
  // the service is suspended, so it earns nothing: in order, and in each order that delivers the
  // suspension before it. Delivering the unsuspension first used to make it earn.
  it.each([
    ['suspend', 'earn', 'unsuspend'],
    ['suspend', 'unsuspend', 'earn'],
    ['unsuspend', 'suspend', 'earn'],
  ].map((o) => [label(o as Step[]), o as Step[]] as const))('the overdue payment that lifts a suspension earns nothing (%s)', async (name, order) => {
    const client = `overdue-${name.replace(/\W+/g, '-')}`;
    const { answer, points } = await deliver(client, order, { suspend: suspend(client, '10:00'), earn: payment(client, '12:00'), unsuspend: unsuspend(client, '12:01') });
    expect(answer).toMatchObject({ points: 0, detail: 'earning_paused' });
    expect(points).toBe(0);
  });

  // After the suspension ended, a payment earns, the unsuspension delivered before the
  // suspension included (the suspension, older, is history: it ended at 12:00).
  it.each([
    ['suspend', 'unsuspend', 'earn'],
    ['unsuspend', 'suspend', 'earn'],
    ['unsuspend', 'earn', 'suspend'],
    ['earn', 'unsuspend', 'suspend'],
    ['earn', 'suspend', 'unsuspend'],
  ].map((o) => [label(o as Step[]), o as Step[]] as const))('a payment after the suspension ended earns (%s)', async (name, order) => {
    const client = `after-${name.replace(/\W+/g, '-')}`;
    const { answer, points } = await deliver(client, order, { suspend: suspend(client, '10:00'), unsuspend: unsuspend(client, '12:00'), earn: payment(client, '13:00') });
    expect(answer).toMatchObject({ points: 100 });
    expect(points).toBe(100);
  });

  it('an upgrade at 09:00 earns its bonus though a suspension at 10:00 was delivered first', async () => {
    await add({ type: 'service_upgrade', params: { points: 50 } });
    const upgrade = serviceEvent('service.upgraded', 'upg', { id: 'S', previous_amount: '10.00', amount: '20.00' }, { tag: 'up', occurred_at: at('09:00') });
    const { answer, points } = await deliver('upg', ['suspend', 'earn'], { suspend: suspend('upg', '10:00'), earn: upgrade });
    expect(answer).toMatchObject({ points: 50 });
    expect(points).toBe(50);
    // One made while suspended still earns nothing.
    const during = serviceEvent('service.upgraded', 'upg', { id: 'S', previous_amount: '20.00', amount: '30.00' }, { tag: 'up-2', occurred_at: at('11:00') });
    expect(await send(during)).toMatchObject({ points: 0, detail: 'earning_paused' });
  });

  it('a renewal streak bonus reached at 09:00 is paid though a suspension at 10:00 was delivered first', async () => {
    await add({ type: 'renewal_streak', params: { streak: 1, points: 30, repeat: true } });
    const renewal = (due: string, time: string) => serviceEvent('service.renewed', 'streak', { id: 'S', amount: '50.00', due_date: due }, { tag: due, occurred_at: at(time) });
    const { answer, points } = await deliver('streak', ['suspend', 'earn'], { suspend: suspend('streak', '10:00'), earn: renewal('2026-11-22', '09:00') });
    expect(answer).toMatchObject({ points: 30 });
    expect(points).toBe(30);
    // The next renewal, while suspended, reaches its milestone and is paid nothing.
    expect(await send(renewal('2026-11-23', '11:00'))).toMatchObject({ points: 0, detail: 'earning_paused' });
  });
});
