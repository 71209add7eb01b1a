import type { Program } from '../domain/program';
import type { Tier } from '../domain/tiers';
import type { Repositories } from '../repositories';
import type { Member } from '../domain/member';
import type { EarningService } from '../services/earning-service';
import type { InvoiceService } from '../services/invoice-service';
import type { TierDiscountService } from '../services/tier-discount-service';
import type { BillingEvent, EventType } from '../domain/billing-event';

/** What a hook handler gets: the open transaction, the locked member and the services. */
export interface HookContext {
  repos: Repositories;
  member: Member;
  /** True when this event enrolled the member. */
  enrolled: boolean;
  eventRowId: number;
  program: Program;
  /** The member's tier as this event starts (the entry tier until they have one). */
  tier: Tier | null;
  now: Date;
  services: { earning: EarningService; invoices: InvoiceService; tierDiscounts: TierDiscountService };
}

export interface HookResult {
  outcome: 'applied' | 'ignored';
  points: number;
  /** A machine code saying why, e.g. `no_earn_rate` or `not_yet_supported`. */
  detail?: string;
}

/** One per canonical event type: validate, map, call one service. */
export type HookHandler = (event: BillingEvent, ctx: HookContext) => Promise<HookResult>;

export type HookRegistry = Partial<Record<EventType, HookHandler>>;
