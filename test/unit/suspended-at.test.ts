import fc from 'fast-check';
import { suspendedAt, type ServiceStateChange } from '../../plugin/domain/service-record';

/** Whether a member's services were suspended at an instant, from their state changes in any order recorded. */

const t = (time: string) => new Date(`2026-11-22T${time}:00Z`);
const change = (serviceId: string, state: ServiceStateChange['state'], time: string): ServiceStateChange => ({ serviceId, state, at: t(time) });

describe('suspendedAt', () => {
  const changes = [change('A', 'suspended', '10:00'), change('A', 'active', '12:00')];

  it.each([
    ['before the suspension', '09:59', false],
    ['at the suspension', '10:00', true],
    ['during it', '11:00', true],
    ['at the unsuspension (a suspension covers [suspended, unsuspended))', '12:00', false],
    ['after it', '13:00', false],
  ])('%s', (_, time, expected) => {
    expect(suspendedAt(changes, t(time))).toBe(expected);
    // Recorded the other way round (the unsuspension delivered first): the same.
    expect(suspendedAt([...changes].reverse(), t(time))).toBe(expected);
  });

  it('no change named: nothing suspended', () => {
    expect(suspendedAt([], t('10:00'))).toBe(false);
  });

  it('any one service suspended is enough; a cancellation ends a suspension', () => {
    const two = [change('A', 'suspended', '10:00'), change('B', 'suspended', '11:00'), change('A', 'cancelled', '12:00'), change('B', 'active', '13:00')];
    expect([t('10:30'), t('11:30'), t('12:30'), t('13:00')].map((at) => suspendedAt(two, at))).toEqual([true, true, true, false]);
  });

  it('two changes of a service at one instant: the later recorded wins, as on the service’s row', () => {
    expect(suspendedAt([change('A', 'suspended', '10:00'), change('A', 'active', '10:00')], t('10:00'))).toBe(false);
    expect(suspendedAt([change('A', 'active', '10:00'), change('A', 'suspended', '10:00')], t('10:00'))).toBe(true);
  });

  it('at distinct instants, the order the changes were recorded in never matters', () => {
    const state = fc.constantFrom<ServiceStateChange['state']>('suspended', 'active', 'cancelled');
    const changeArb = fc.record({ serviceId: fc.constantFrom('A', 'B', 'C'), state, minute: fc.integer({ min: 0, max: 600 }) });
    fc.assert(
      fc.property(fc.uniqueArray(changeArb, { selector: (c) => c.minute, maxLength: 12 }), fc.integer({ min: -10, max: 610 }), (raw, minute) => {
        const list = raw.map((c) => ({ serviceId: c.serviceId, state: c.state, at: new Date(t('00:00').getTime() + c.minute * 60_000) }));
        const at = new Date(t('00:00').getTime() + minute * 60_000);
        const byTime = [...list].sort((a, b) => a.at.getTime() - b.at.getTime());
        const expected = ['A', 'B', 'C'].some((s) => byTime.filter((c) => c.serviceId === s && c.at <= at).pop()?.state === 'suspended');
        expect(suspendedAt(list, at)).toBe(expected);
        expect(suspendedAt([...list].reverse(), at)).toBe(expected);
      }),
    );
  });
});
