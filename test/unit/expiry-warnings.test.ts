import fc from 'fast-check';
import { thresholdsReached, warningSummary } from '../../plugin/domain/expiry-warnings';

const NOW = new Date('2027-04-12T12:00:00Z');
const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY);

describe('thresholdsReached', () => {
  it.each([
    [31, []],
    [30, [30]],
    [19, [30]],
    [7, [30, 7]],
    [0.5, [30, 7]],
  ])('%d days left reaches %j', (days, reached) => {
    expect(thresholdsReached(at(days), NOW, [30, 7])).toEqual(reached);
  });
});

describe('warningSummary', () => {
  it('sums every open lot by deadline up to the latest date named, soonest first', () => {
    const open = [
      { remaining: 10, expiresAt: at(19) },
      { remaining: 120, expiresAt: at(19) },
      { remaining: 5, expiresAt: at(3) },
      { remaining: 40, expiresAt: at(25) },
      { remaining: 0, expiresAt: at(2) },
    ];
    expect(warningSummary(open, at(19))).toEqual({
      lines: [
        { points: 5, expiresAt: at(3) },
        { points: 130, expiresAt: at(19) },
      ],
      total: 135,
    });
  });

  it('its total is what its lines add up to, and what expires by the last date named', () => {
    const lot = fc.record({ remaining: fc.integer({ min: 0, max: 1_000_000 }), days: fc.integer({ min: 1, max: 30 }) });
    fc.assert(
      fc.property(fc.array(lot, { maxLength: 40 }), fc.integer({ min: 1, max: 30 }), (lots, through) => {
        const open = lots.map((l) => ({ remaining: l.remaining, expiresAt: at(l.days) }));
        const { lines, total } = warningSummary(open, at(through));
        expect(lines.reduce((s, l) => s + l.points, 0)).toBe(total);
        expect(total).toBe(lots.filter((l) => l.days <= through).reduce((s, l) => s + l.remaining, 0));
        expect(lines.every((l, i) => i === 0 || (lines[i - 1]?.expiresAt ?? l.expiresAt) < l.expiresAt)).toBe(true);
      }),
    );
  });
});
