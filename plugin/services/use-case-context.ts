import type { Program } from '../domain/program';
import type { Settings } from '../domain/settings';
import type { Tier, TierSettings } from '../domain/tiers';

type EmailChannelSetting = Settings['email_channel'];

/**
 * The program as a unit of work found it, read before its transaction opened: settings are
 * cached and read through the pool, which on SQLite the open transaction would be holding.
 */
export interface ProgramSnapshot {
  program: Program;
  tiers: readonly Tier[];
  tierSettings: TierSettings;
  /** How member emails go out (setting `email_channel`): tier changes are told in the same transaction. */
  emailChannel: EmailChannelSetting;
  /** What a code reward becomes where the panel can't create codes (setting `promo_code_fallback`). */
  promoCodeFallback: Settings['promo_code_fallback'];
}

/** What a use case needs besides the transaction and the locked member. */
export interface UseCaseContext {
  snapshot: ProgramSnapshot;
  /** The member's tier as the unit of work found it (the entry tier until they have one). */
  tier: Tier | null;
  /** The inbox row of the billing event being applied, when one is. */
  eventId?: number;
}

/** What a use case did, as the event's answer and inbox outcome report it. */
export interface UseCaseResult {
  outcome: 'applied' | 'ignored';
  /** The net effect on the member's points: the sum of the ledger entries written. */
  points: number;
  /** Points of a debt the program wrote off on the way (already counted in `points`). */
  writtenOff?: number;
  /** A machine code saying why, e.g. `no_earn_rate` or `not_yet_supported`. */
  detail?: string;
}

export function tierOf(snapshot: ProgramSnapshot, tierId: number | null): Tier | null {
  return snapshot.tiers.find((t) => t.id === tierId) ?? null;
}
