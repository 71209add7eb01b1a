import { expiryPolicyFrom, lotExpiry, type ExpiryPolicy } from '../../plugin/domain/expiry-policy';
import { addMonthsIn, isTimeZone, startOfMonthAfter, wallTime, zonedInstant } from '../../plugin/domain/time-zone';
import { settingsFrom } from '../../plugin/services/settings-service';

const at = (iso: string) => new Date(iso);

describe('expiry policies (domain/expiry-policy.ts)', () => {
  const fixed12: ExpiryPolicy = { policy: 'months_after_earning', months: 12 };
  const eom0: ExpiryPolicy = { policy: 'end_of_month', months: 0 };
  const eom3: ExpiryPolicy = { policy: 'end_of_month', months: 3 };
  const eoy1: ExpiryPolicy = { policy: 'end_of_year', years: 1 };
  const eoy0: ExpiryPolicy = { policy: 'end_of_year', years: 0 };
  const idle6: ExpiryPolicy = { policy: 'inactivity', months: 6 };

  it.each<[string, ExpiryPolicy, string, string, string | null]>([
    // policy, earned at (UTC instant), program time zone, expires at (UTC instant)
    ['never keeps points', { policy: 'never' }, '2026-03-15T10:00:00Z', 'UTC', null],
    ['fixed months, UTC: same wall time a year on', fixed12, '2026-03-15T10:00:00Z', 'UTC', '2027-03-15T10:00:00.000Z'],
    ['fixed months clamp to the last day (31 Jan + 1 month)', { policy: 'months_after_earning', months: 1 }, '2026-01-31T08:00:00Z', 'UTC', '2026-02-28T08:00:00.000Z'],
    ['fixed months into a leap February', { policy: 'months_after_earning', months: 1 }, '2028-01-31T08:00:00Z', 'UTC', '2028-02-29T08:00:00.000Z'],
    ['fixed months keep the local wall time across DST (Los Angeles)', { policy: 'months_after_earning', months: 6 }, '2026-01-10T17:00:00Z', 'America/Los_Angeles', '2026-07-10T16:00:00.000Z'],
    ['end of the earning month, UTC', eom0, '2026-03-15T10:00:00Z', 'UTC', '2026-04-01T00:00:00.000Z'],
    ['end of the month 3 months on, UTC', eom3, '2026-03-15T10:00:00Z', 'UTC', '2026-07-01T00:00:00.000Z'],
    // 31 Mar 13:00 UTC is already 1 April 03:00 in Kiritimati (UTC+14): April's month, ending at local midnight 1 May.
    ['Kiritimati: the local month, not the UTC one', eom0, '2026-03-31T13:00:00Z', 'Pacific/Kiritimati', '2026-04-30T10:00:00.000Z'],
    ['Kiritimati: the same instant in UTC ends March', eom0, '2026-03-31T13:00:00Z', 'UTC', '2026-04-01T00:00:00.000Z'],
    // 1 Apr 05:00 UTC is still 31 March 22:00 in Los Angeles (UTC-7 in summer time).
    ['Los Angeles: still March locally', eom0, '2026-04-01T05:00:00Z', 'America/Los_Angeles', '2026-04-01T07:00:00.000Z'],
    ['Los Angeles: end of a winter month (UTC-8)', eom0, '2026-12-15T20:00:00Z', 'America/Los_Angeles', '2027-01-01T08:00:00.000Z'],
    ['end of the year 1 year on', eoy1, '2026-03-15T10:00:00Z', 'UTC', '2028-01-01T00:00:00.000Z'],
    // 31 Dec 2026 11:00 UTC is 1 January 2027 01:00 in Kiritimati: the year is 2027 there.
    ['Kiritimati: end of the local year', eoy0, '2026-12-31T11:00:00Z', 'Pacific/Kiritimati', '2027-12-31T10:00:00.000Z'],
    ['UTC: the same instant ends 2026', eoy0, '2026-12-31T11:00:00Z', 'UTC', '2027-01-01T00:00:00.000Z'],
    ['inactivity: the deadline is N months after this earning', idle6, '2026-03-15T10:00:00Z', 'UTC', '2026-09-15T10:00:00.000Z'],
  ])('%s', (_name, policy, earned, zone, expected) => {
    expect(lotExpiry(policy, at(earned), zone).expiresAt?.toISOString() ?? null).toBe(expected);
  });

  it('only inactivity moves the open balance on', () => {
    expect(lotExpiry(idle6, at('2026-03-15T10:00:00Z'), 'UTC').extendsOpenLots).toBe(true);
    for (const p of [fixed12, eom0, eoy1, { policy: 'never' } as const]) expect(lotExpiry(p, at('2026-03-15T10:00:00Z'), 'UTC').extendsOpenLots).toBe(false);
  });

  it('the boundary instant: the last millisecond of a local month belongs to it, the next starts the next', () => {
    const zone = 'Pacific/Kiritimati';
    const end = startOfMonthAfter(at('2026-04-10T00:00:00Z'), 0, zone); // local 1 May 00:00
    expect(end.toISOString()).toBe('2026-04-30T10:00:00.000Z');
    expect(lotExpiry(eom0, new Date(end.getTime() - 1), zone).expiresAt).toEqual(end);
    expect(lotExpiry(eom0, end, zone).expiresAt?.toISOString()).toBe('2026-05-31T10:00:00.000Z');
  });

  it('keeps programs configured with points_expiry_months', () => {
    expect(expiryPolicyFrom(null, 12)).toEqual(fixed12);
    expect(expiryPolicyFrom(null, null)).toEqual({ policy: 'never' });
    expect(expiryPolicyFrom(eom3, 12)).toEqual(eom3);
  });

  it('the settings refuse a policy that does not fit, naming it', () => {
    expect(settingsFrom({ points_expiry: eom3 }).points_expiry).toEqual(eom3);
    expect(() => settingsFrom({ points_expiry: { policy: 'end_of_month' } })).toThrow(/points_expiry: months/);
    expect(() => settingsFrom({ points_expiry: { policy: 'weekly', months: 1 } })).toThrow(/points_expiry/);
    expect(() => settingsFrom({ points_expiry: { policy: 'inactivity', months: 0 } })).toThrow(/points_expiry: months/);
  });
});

describe('time zone arithmetic (domain/time-zone.ts)', () => {
  it('knows IANA zones and refuses typos', () => {
    expect(isTimeZone('Pacific/Kiritimati')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Europe/Berln')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });

  it.each([
    ['UTC', { year: 2026, month: 0, day: 1 }, '2026-01-01T00:00:00.000Z'],
    ['Pacific/Kiritimati', { year: 2026, month: 0, day: 1 }, '2025-12-31T10:00:00.000Z'],
    ['America/Los_Angeles', { year: 2026, month: 6, day: 1 }, '2026-07-01T07:00:00.000Z'],
    // 8 March 2026 02:30 does not exist in Los Angeles: the clock jumps from 02:00 to 03:00.
    ['America/Los_Angeles', { year: 2026, month: 2, day: 8, hour: 2, minute: 30 }, '2026-03-08T10:30:00.000Z'],
    ['Asia/Kolkata', { year: 2026, month: 12, day: 1 }, '2026-12-31T18:30:00.000Z'],
  ])('zonedInstant in %s of %j', (zone, wall, iso) => {
    expect(zonedInstant(wall, zone).toISOString()).toBe(iso);
  });

  it('round-trips wall times every few hours through a year, in zones far from UTC', () => {
    for (const zone of ['Pacific/Kiritimati', 'America/Los_Angeles', 'Pacific/Pago_Pago', 'Australia/Lord_Howe']) {
      for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 7 * 3_600_000) {
        const w = wallTime(new Date(t), zone);
        const back = zonedInstant(w, zone).getTime();
        // A repeated hour (DST ending) may resolve to its other occurrence, never elsewhere.
        expect([0, 3_600_000, 1_800_000]).toContain(Math.abs(back - t));
      }
    }
  });

  it('adds months at the same local wall time', () => {
    expect(addMonthsIn(at('2026-01-31T23:30:00Z'), 1, 'Pacific/Kiritimati').toISOString()).toBe('2026-02-28T23:30:00.000Z');
  });
});
