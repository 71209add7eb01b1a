import { parseWallDateTime, rfc3339In, wallDateTimeText, zonedInstant } from '../../plugin/domain/time-zone';

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

describe("a form's date and time on the program's clock", () => {
  it('reads a wall time in the zone as the instant it names there', () => {
    expect(parseWallDateTime('2026-11-22T13:00', 'Europe/Istanbul')).toEqual(new Date('2026-11-22T10:00:00Z'));
    expect(parseWallDateTime('2026-11-22 13:00:30', 'UTC')).toEqual(new Date('2026-11-22T13:00:30Z'));
    // New York falls back on 1 November 2026: 01:30 happens twice, and means the first (EDT).
    expect(parseWallDateTime('2026-11-01T01:30', 'America/New_York')).toEqual(new Date('2026-11-01T05:30:00Z'));
  });

  it('refuses what is no time: a day the month lacks, 24:00, a bare date, the year 1969', () => {
    for (const text of ['2026-02-30T10:00', '2026-11-22T24:00', '2026-11-22T10:60', '2026-11-22', '1969-12-31T23:00', 'tomorrow', '2026-13-01T00:00']) {
      expect({ text, at: parseWallDateTime(text, 'UTC') }).toEqual({ text, at: null });
    }
  });

  it('shows an instant back as the wall time it was entered as, seconds only where it has them', () => {
    expect(wallDateTimeText(new Date('2026-11-22T10:00:00Z'), 'Europe/Istanbul')).toBe('2026-11-22T13:00');
    expect(wallDateTimeText(new Date('2026-11-22T10:00:07Z'), 'UTC')).toBe('2026-11-22T10:00:07');
  });

  it('takes a time a spring-forward skipped as after the jump, and nothing past what the database holds', () => {
    // Skipped by the spring-forward jump: read at the offset before it, so 03:30 summer time.
    expect(parseWallDateTime('2026-03-29T02:30', 'Europe/Berlin')).toEqual(new Date('2026-03-29T01:30:00Z'));
    // West of UTC, the last evening of 9999 is past what MySQL's DATETIME holds.
    expect(parseWallDateTime('9999-12-30T12:00', 'America/New_York')).toEqual(new Date('9999-12-30T17:00:00Z'));
    expect(parseWallDateTime('9999-12-31T23:59', 'America/New_York')).toBeNull();
  });
});
