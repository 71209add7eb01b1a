import { toDecimalString } from './money';
import { REQUIRED_NAME_LANGUAGE, tierNameField } from './tier-name-edits';
import type { Tier } from './tiers';

/**
 * The form's text for a tier as stored: its threshold (in the tier base currency), earn
 * multiplier, renewal discount percentage and a name per language. What the admin's tier form
 * shows, and what a post of it is compared with (form-edits.ts). The key name stands in for a
 * tier with no English name yet, as the English name is required.
 */
export function tierFormValues(tier: Tier, baseCurrency: string, languages: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {
    threshold: toDecimalString({ currency: baseCurrency, minor: tier.thresholdMinor }),
    earn_multiplier: tier.earnMultiplier,
    renewal_discount_percent: String(tier.renewalDiscountBp / 100),
  };
  for (const language of languages) values[tierNameField(language)] = tier.names[language] ?? (language === REQUIRED_NAME_LANGUAGE ? tier.name : '');
  return values;
}
