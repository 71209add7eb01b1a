import type { BillingEvent, EventType } from '../plugin/domain/billing-event';
import type { Tx } from '../plugin/db/unit-of-work';
import type { ClientService } from '../plugin/services/client-service';
import type { EarningService } from '../plugin/services/earning-service';
import type { EventScope } from '../plugin/services/event-service';
import type { InvoiceService } from '../plugin/services/invoice-service';
import type { MemberAccount } from '../plugin/services/member-account';
import type { ServiceLifecycleService } from '../plugin/services/service-lifecycle-service';
import type { TierDiscountService } from '../plugin/services/tier-discount-service';
import type { UseCaseContext, UseCaseResult } from '../plugin/services/use-case-context';

/** The services a hook may call: one per hook, as a rule. */
export interface HookServices {
  earning: EarningService;
  invoices: InvoiceService;
  tierDiscounts: TierDiscountService;
  lifecycle: ServiceLifecycleService;
  clients: ClientService;
}

/** What a hook handler gets: the open unit of work, the locked member and the services. */
export interface HookContext {
  tx: Tx;
  account: MemberAccount;
  /** The program and tier as the event found them, and the event's inbox row. */
  context: UseCaseContext;
  services: HookServices;
}

export type HookResult = UseCaseResult;

/** One per canonical event type: validate, map, call one service. */
export type HookHandler = (event: BillingEvent, ctx: HookContext) => Promise<HookResult>;

export type HookRegistry = Partial<Record<EventType, HookHandler>>;

const NOT_YET_SUPPORTED: HookHandler = async () => ({ outcome: 'ignored', points: 0, detail: 'not_yet_supported' });

/**
 * The event service's handler: finds the hook for the event's type and gives it the services.
 * Types without a hook are stored and answered `ignored`.
 */
export function hookDispatcher(registry: HookRegistry, services: HookServices) {
  return (event: BillingEvent, scope: EventScope): Promise<HookResult> =>
    (registry[event.type] ?? NOT_YET_SUPPORTED)(event, { ...scope, services });
}
