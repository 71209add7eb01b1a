import { monthKey } from './tiers';

/** Why the churn-risk job flags a member; each reason carries its evidence. */
export type ChurnReason =
  | { code: 'no_recent_payment'; last_paid_at: string; days: number }
  | { code: 'service_suspended'; services: number }
  | { code: 'service_cancelled'; services: number }
  | { code: 'service_downgraded'; services: number }
  | { code: 'spend_down'; recent_minor: number; previous_minor: number; percent: number };

export interface ChurnSettings {
  noPaymentDays: number;
  spendWindowMonths: number;
  spendDropPercent: number;
}

/** What the job reads about one member. */
export interface ChurnSignals {
  lastPaidAt: Date | null;
  servicesSuspended: number;
  /** Services cancelled, and downgrades made, within the spend window. */
  cancelledRecently: number;
  downgradedRecently: number;
  /** Qualifying spend over the last completed window and the window before it. */
  recentMinor: number;
  previousMinor: number;
}

const DAY_MS = 86_400_000;

/**
 * The two spend windows, as month keys: the last `n` completed months (the month of `now` is
 * not over, so it would read as a drop every month's start) and the `n` before them.
 */
export function spendWindows(now: Date, n: number): { recent: string[]; previous: string[] } {
  const month = (back: number) => monthKey(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1)));
  return {
    recent: Array.from({ length: n }, (_, i) => month(i + 1)),
    previous: Array.from({ length: n }, (_, i) => month(n + i + 1)),
  };
}

/** The instant from which cancellations and downgrades count: the start of the recent window. */
export function signalsSince(now: Date, n: number): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - n, 1));
}

/** The reasons a member is at risk now; none means no flag (and an existing one clears). */
export function churnReasons(s: ChurnSignals, settings: ChurnSettings, now: Date): ChurnReason[] {
  const reasons: ChurnReason[] = [];
  if (s.lastPaidAt) {
    const days = Math.floor((now.getTime() - s.lastPaidAt.getTime()) / DAY_MS);
    if (days >= settings.noPaymentDays) reasons.push({ code: 'no_recent_payment', last_paid_at: s.lastPaidAt.toISOString(), days });
  }
  if (s.servicesSuspended > 0) reasons.push({ code: 'service_suspended', services: s.servicesSuspended });
  if (s.cancelledRecently > 0) reasons.push({ code: 'service_cancelled', services: s.cancelledRecently });
  if (s.downgradedRecently > 0) reasons.push({ code: 'service_downgraded', services: s.downgradedRecently });
  if (s.previousMinor > 0) {
    const drop = s.previousMinor - Math.max(0, s.recentMinor);
    // percent down, floored; a drop of exactly the threshold counts.
    const percent = Math.floor((drop * 100) / s.previousMinor);
    if (drop > 0 && percent >= settings.spendDropPercent) {
      reasons.push({ code: 'spend_down', recent_minor: s.recentMinor, previous_minor: s.previousMinor, percent });
    }
  }
  return reasons;
}
