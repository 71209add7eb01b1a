import { Progress } from '../../plugin/lib/progress';

function sink(isTTY: boolean) {
  const out = { written: [] as string[], isTTY, columns: 80, write: (s: string) => out.written.push(s) };
  return out;
}

describe('Progress (plugin/lib/progress.ts)', () => {
  it('on a terminal, redraws one bar in place and ends its line when finished', () => {
    const out = sink(true);
    const p = new Progress('expire-points', out, { unit: 'lots' });
    p.update(250, 1000, { members: 3 });
    p.update(1000, 1000, { members: 9 });
    p.finish();
    expect(out.written[0]).toMatch(/^\rexpire-points \[#{7}-{21}\]  25% 250\/1000 lots  members 3 +$/);
    expect(out.written[0]).toHaveLength(80);
    expect(out.written[1]).toMatch(/^\rexpire-points \[#{28}\] 100% 1000\/1000 lots  members 9/);
    expect(out.written[2]).toBe('\n');
  });

  it('elsewhere, prints plain lines: the first, then at most one per interval, and the last', () => {
    const out = sink(false);
    let t = 0;
    const p = new Progress('seed', out, { unit: 'rows', lineEveryMs: 1000, now: () => t });
    p.update(10, 100);
    t = 500;
    p.update(20, 100);
    t = 1200;
    p.update(30, 100);
    t = 1300;
    p.update(100, 100);
    p.update(5, null);
    p.finish();
    expect(out.written).toEqual(['seed: 10/100 rows (10%)\n', 'seed: 30/100 rows (30%)\n', 'seed: 100/100 rows (100%)\n']);
  });

  it('with `rate`, shows units per second and the time left once a second has passed', () => {
    const out = sink(false);
    let t = 0;
    const p = new Progress('backfill', out, { unit: 'lines', rate: true, lineEveryMs: 0, now: () => t });
    p.update(0, 1000);
    t = 2000;
    p.update(200, 1000);
    t = 10_000;
    p.update(1000, 1000);
    expect(out.written).toEqual(['backfill: 0/1000 lines (0%)\n', 'backfill: 200/1000 lines, 100/s, ETA 0:08 (20%)\n', 'backfill: 1000/1000 lines, 100/s (100%)\n']);
  });
});
