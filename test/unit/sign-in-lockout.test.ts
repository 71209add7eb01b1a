import { isLocked, NO_FAILURES, reserveAttempt, type FailureCount } from '../../plugin/domain/sign-in-lockout';

const RULE = { failures: 3, minutes: 15 };
const T0 = new Date('2026-12-12T10:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

/** Reserves `n` checks in a row at the given minutes, none of them followed by a success. */
function reserveAll(minutes: number[], from: FailureCount = NO_FAILURES) {
  let count = from;
  const outcomes = minutes.map((m) => {
    const r = reserveAttempt(count, at(m), RULE);
    if (r.allowed) count = r.next;
    return r;
  });
  return { outcomes, count };
}

describe('reserveAttempt', () => {
  it('takes each check from the count before it runs; the one that fills it locks, and later ones are refused unchecked', () => {
    const { outcomes, count } = reserveAll([0, 1, 2, 3, 4]);
    expect(outcomes.map((o) => (o.allowed ? o.attempt : 'refused'))).toEqual([1, 2, 3, 'refused', 'refused']);
    expect(outcomes.map((o) => o.allowed && o.locks)).toEqual([false, false, true, false, false]);
    // The lockout lasts its minutes from the check that filled the count.
    expect(count).toEqual({ failures: 3, until: at(2 + 15) });
    expect(outcomes[3]).toEqual({ allowed: false, retryAfterSeconds: 14 * 60 });
    expect(isLocked(count, at(16), RULE)).toBe(true);
    expect(isLocked(count, at(17), RULE)).toBe(false);
  });

  it('the first check opens a window of the lockout minutes; a count not filled within it is forgotten', () => {
    const { count } = reserveAll([0, 10]);
    expect(count).toEqual({ failures: 2, until: at(15) });
    const later = reserveAttempt(count, at(15), RULE);
    expect(later).toEqual({ allowed: true, attempt: 1, locks: false, next: { failures: 1, until: at(30) } });
  });

  it('a lockout that ended starts a new count', () => {
    const { count } = reserveAll([0, 0, 0]);
    expect(reserveAttempt(count, at(14), RULE).allowed).toBe(false);
    expect(reserveAttempt(count, at(15), RULE)).toMatchObject({ allowed: true, attempt: 1 });
  });

  it('a limit of one locks on the first wrong password', () => {
    expect(reserveAttempt(NO_FAILURES, T0, { failures: 1, minutes: 5 })).toEqual({ allowed: true, attempt: 1, locks: true, next: { failures: 1, until: at(5) } });
  });

  it('never tells a refused caller to retry in less than a second', () => {
    const { count } = reserveAll([0, 0, 0]);
    expect(reserveAttempt(count, new Date(at(15).getTime() - 1), RULE)).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });
});
