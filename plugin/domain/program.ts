import { z } from 'zod';
import { currencyDigits } from './money';
import { RATE_PATTERN, type EarnRates } from './points';

/** The program as the rules see it: plain data, validated when read from settings. */
export interface Program {
  earnRates: EarnRates;
  /** Months a lot lives before it expires; null keeps points forever. */
  expiryMonths: number | null;
}

export const DEFAULT_PROGRAM: Program = {
  earnRates: { USD: '1', EUR: '1', GBP: '1' },
  expiryMonths: 12,
};

export const programSettingsSchema = z.object({
  earn_rates: z
    .record(
      z.string().refine((c) => currencyDigits(c) !== undefined, 'is not a known ISO 4217 currency code'),
      z.string().regex(RATE_PATTERN, 'must be a decimal string of points per 1.00, such as "1" or "0.5"'),
    )
    .optional(),
  points_expiry_months: z.number().int().min(1).max(120).nullable().optional(),
});

export type ProgramSettings = z.infer<typeof programSettingsSchema>;

export function programFromSettings(settings: ProgramSettings): Program {
  return {
    earnRates: settings.earn_rates ?? DEFAULT_PROGRAM.earnRates,
    expiryMonths: settings.points_expiry_months === undefined ? DEFAULT_PROGRAM.expiryMonths : settings.points_expiry_months,
  };
}
