import { annualReference, isLeapYear, monthDaysCelebratedOn, yearsCompleted } from '../../plugin/domain/annual-awards';
import { parseSettings } from '../../plugin/domain/settings';
import { lastMonth } from '../../plugin/jobs/job-definition';

describe('annual awards: which days and how many years', () => {
  it.each([
    ['2027-02-28', ['02-28', '02-29']],
    ['2028-02-28', ['02-28']],
    ['2028-02-29', ['02-29']],
    ['2100-02-28', ['02-28', '02-29']],
    ['2000-02-28', ['02-28']],
    ['2026-03-01', ['03-01']],
  ])('%s celebrates %j', (day, expected) => {
    expect(monthDaysCelebratedOn(day)).toEqual(expected);
  });

  it.each([
    ['2024-02-29', '2025-02-28', 1],
    ['2024-02-29', '2025-03-01', 1],
    ['2024-02-29', '2028-02-28', 3],
    ['2024-02-29', '2028-02-29', 4],
    ['2023-03-01', '2024-02-29', 0],
    ['2023-03-01', '2024-03-01', 1],
    ['2026-05-05', '2026-05-05', 0],
    ['2020-12-31', '2026-12-30', 5],
  ])('joined %s, on %s: %i years', (joined, day, years) => {
    expect(yearsCompleted(joined, day)).toBe(years);
  });

  it('leap years and references', () => {
    expect([1900, 2000, 2024, 2026].map(isLeapYear)).toEqual([false, true, true, false]);
    expect(annualReference('birthday', 2026)).toBe('birthday:2026');
    expect(() => monthDaysCelebratedOn('2026-2-1')).toThrow('YYYY-MM-DD');
  });

  it('a statement run reports the month before, across a year', () => {
    expect(lastMonth.period(new Date('2026-11-01T07:17:00Z'), 'UTC')).toBe('2026-10');
    expect(lastMonth.period(new Date('2027-01-01T00:30:00Z'), 'UTC')).toBe('2026-12');
  });
});

describe('member job settings', () => {
  it('default to sending nothing and giving nothing', () => {
    const parsed = parseSettings({});
    expect(parsed.ok && parsed.settings).toMatchObject({
      email_channel: 'none',
      expiry_warning_days: [30, 7],
      birthday_bonus: { active: false },
      anniversary_bonus: { active: false },
      statements_default_opt_in: false,
    });
  });

  it.each([
    [{ email_channel: 'fax' }, 'email_channel'],
    [{ expiry_warning_days: [7, 7] }, 'expiry_warning_days'],
    [{ expiry_warning_days: [0] }, 'expiry_warning_days'],
    [{ birthday_bonus: { active: true, points: -5 } }, 'birthday_bonus'],
    [{ anniversary_bonus: { active: true } }, 'anniversary_bonus'],
  ])('refuses %j naming its key', (stored, key) => {
    const parsed = parseSettings(stored);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems.map((p) => p.key)).toEqual([key]);
  });
});
