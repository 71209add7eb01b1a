import { z } from 'zod';
import { addMonthsIn, startOfMonthAfter, startOfYearAfter } from './time-zone';

/**
 * When points expire, as the program chooses (setting `points_expiry`). Pure: the earning
 * side stamps each lot with `lotExpiry`, and the expiry job empties lots past that instant.
 * A lot expires at its `expiresAt` instant exactly (due when `expiresAt <= now`), so "end of
 * the month" is the first instant of the next month in the program's time zone.
 */
export const expiryPolicySchema = z.discriminatedUnion('policy', [
  z.strictObject({ policy: z.literal('months_after_earning'), months: z.number().int().min(1).max(120) }),
  z.strictObject({ policy: z.literal('end_of_month'), months: z.number().int().min(0).max(120) }),
  z.strictObject({ policy: z.literal('end_of_year'), years: z.number().int().min(0).max(10) }),
  z.strictObject({ policy: z.literal('inactivity'), months: z.number().int().min(1).max(120) }),
  z.strictObject({ policy: z.literal('never') }),
]);

export type ExpiryPolicy = z.output<typeof expiryPolicySchema>;

/**
 * The policy in force: `points_expiry` when set, otherwise the older `points_expiry_months`
 * (N → N months after earning, null → never), so programs configured before keep their rule.
 */
export function expiryPolicyFrom(pointsExpiry: ExpiryPolicy | null, pointsExpiryMonths: number | null): ExpiryPolicy {
  if (pointsExpiry) return pointsExpiry;
  return pointsExpiryMonths === null ? { policy: 'never' } : { policy: 'months_after_earning', months: pointsExpiryMonths };
}

export interface LotExpiry {
  /** When the new lot expires; null keeps it. */
  expiresAt: Date | null;
  /**
   * Inactivity: every earning moves the member's whole open balance to this new deadline, so
   * the balance expires together once nothing has been earned for the policy's months.
   */
  extendsOpenLots: boolean;
}

/** The expiry of points earned at `earnedAt`, in the program's time zone. */
export function lotExpiry(policy: ExpiryPolicy, earnedAt: Date, timeZone: string): LotExpiry {
  switch (policy.policy) {
    case 'never':
      return { expiresAt: null, extendsOpenLots: false };
    case 'months_after_earning':
      return { expiresAt: addMonthsIn(earnedAt, policy.months, timeZone), extendsOpenLots: false };
    case 'end_of_month':
      return { expiresAt: startOfMonthAfter(earnedAt, policy.months, timeZone), extendsOpenLots: false };
    case 'end_of_year':
      return { expiresAt: startOfYearAfter(earnedAt, policy.years, timeZone), extendsOpenLots: false };
    case 'inactivity':
      return { expiresAt: addMonthsIn(earnedAt, policy.months, timeZone), extendsOpenLots: true };
  }
}

/** About how many months points live under the policy, for a one-line note; null when they don't expire by age. */
export function nominalMonths(policy: ExpiryPolicy): number | null {
  switch (policy.policy) {
    case 'never':
      return null;
    case 'end_of_year':
      return policy.years * 12;
    default:
      return policy.months;
  }
}
