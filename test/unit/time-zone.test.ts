import { rfc3339In, zonedInstant } from '../../plugin/domain/time-zone';

describe('rfc3339In', () => {
  // What PHP 8.2 prints for the same wall times with date.timezone set to the zone:
  // (new DateTimeImmutable($wall))->format('Y-m-d\TH:i:sP').
  it.each([
    ['Europe/Istanbul', [2026, 11, 1, 14, 0, 0], '2026-12-01T14:00:00+03:00'],
    ['UTC', [2026, 2, 10, 9, 0, 0], '2026-03-10T09:00:00+00:00'],
    // Skipped by the DST jump: PHP moves it past the jump, with the new offset.
    ['America/New_York', [2026, 2, 8, 2, 30, 0], '2026-03-08T03:30:00-04:00'],
    ['Australia/Lord_Howe', [2026, 3, 5, 1, 45, 0], '2026-04-05T01:45:00+10:30'],
    ['Asia/Kolkata', [2026, 0, 1, 0, 0, 0], '2026-01-01T00:00:00+05:30'],
    ['America/St_Johns', [2026, 6, 1, 12, 0, 0], '2026-07-01T12:00:00-02:30'],
  ] as const)('%s %j is %s', (zone, [year, month, day, hour, minute, second], expected) => {
    expect(rfc3339In(zonedInstant({ year, month, day, hour, minute, second }, zone), zone)).toBe(expected);
  });

  it('drops milliseconds, as PHP writes seconds', () => {
    expect(rfc3339In(new Date('2026-12-01T11:00:00.999Z'), 'Europe/Istanbul')).toBe('2026-12-01T14:00:00+03:00');
  });
});
