import { programFromSettings, programSettingsSchema, type TierDiscountMethod } from '../domain/program';
import type { PanelCapabilities } from '../panels/panel-api';
import { renewalDiscount, type Tier } from '../domain/tiers';
import type { Invoice } from '../domain/billing-event';
import type { HookContext, HookResult } from '../events/hook';
import type { Translations } from '../i18n';
import type { Repositories } from '../repositories';
import type { Member } from '../domain/member';

/** The panel capability each discount method needs. */
export const METHOD_NEEDS: Record<TierDiscountMethod, keyof PanelCapabilities | null> = {
  invoice_line: 'invoiceDiscount',
  client_tier: 'clientTier',
  cashback: 'credit',
  none: null,
};

/** The renewal lines' total: the only part of an invoice a tier discount applies to. */
function renewalTotal(invoice: Invoice): number {
  return (invoice.items ?? []).filter((i) => i.type === 'renewal').reduce((sum, i) => sum + i.amount.minor, 0);
}

/**
 * Tier discounts on renewals, by the program's method. Every action goes through the outbox in
 * the event's transaction, keyed so that a replay or a second instance can't apply it twice;
 * the dispatcher calls the panel after commit.
 */
export class TierDiscountService {
  constructor(private readonly translations: Translations) {}

  /** `invoice.created`: a negative line for the tier's discount on the renewal lines. */
  async invoiceCreated(ctx: HookContext, invoice: Invoice): Promise<HookResult> {
    if (ctx.program.tierDiscountMethod !== 'invoice_line') return { outcome: 'applied', points: 0, detail: 'no_invoice_discount' };
    const discount = this.discountFor(ctx.tier, invoice);
    if (discount === 0) return { outcome: 'applied', points: 0, detail: 'no_invoice_discount' };
    await ctx.repos.outbox.enqueue(
      'invoice.discount',
      { invoiceId: invoice.id, amount: { currency: invoice.currency, minor: discount }, description: this.describe(ctx.member, ctx.tier) },
      `tier-discount:invoice:${invoice.id}`,
      ctx.now,
    );
    return { outcome: 'applied', points: 0, detail: 'tier_discount_queued' };
  }

  /**
   * Cashback method, for panels that can't edit invoices: credit the discount back on payment,
   * on the part of the invoice not refunded already (refunds can overtake payments), and none
   * for an invoice charged back.
   */
  async invoicePaid(ctx: HookContext, invoice: Invoice, earlier: { refundedMinor: number; chargedBack: boolean } | null): Promise<void> {
    if (ctx.program.tierDiscountMethod !== 'cashback' || earlier?.chargedBack) return;
    const full = this.discountFor(ctx.tier, invoice);
    const kept = invoice.total.minor - Math.min(earlier?.refundedMinor ?? 0, invoice.total.minor);
    const discount = invoice.total.minor > 0 ? Number((BigInt(full) * BigInt(kept)) / BigInt(invoice.total.minor)) : 0;
    if (discount === 0) return;
    await ctx.repos.outbox.enqueue(
      'client.credit',
      { clientId: ctx.member.panelClientId, amount: { currency: invoice.currency, minor: discount }, description: this.describe(ctx.member, ctx.tier) },
      `tier-cashback:invoice:${invoice.id}`,
      ctx.now,
    );
  }

  /**
   * A full refund or a chargeback withdraws the invoice's cashback if it hasn't gone out yet
   * (a partial refund leaves it: the client still paid for the renewal). Credit
   * already applied in the panel can't be taken back through any panel API; it stays, and the
   * outbox row shows it was sent.
   */
  async invoiceRefunded(ctx: HookContext, invoiceId: string): Promise<void> {
    await ctx.repos.outbox.cancelPending(`tier-cashback:invoice:${invoiceId}`, 'cancelled: the invoice was refunded or charged back');
  }

  /**
   * Client-tier method: the panel's client group carries the discount (WHMCS discountpercent).
   * Reads the method through the transaction: the tier review calls this outside any event.
   */
  async tierChanged(repos: Repositories, member: Member, tier: Tier, changeId: number, now: Date): Promise<void> {
    const settings = programSettingsSchema.safeParse(await repos.settings.all());
    if (!settings.success || programFromSettings(settings.data).tierDiscountMethod !== 'client_tier') return;
    await repos.outbox.enqueue('client.tier', { clientId: member.panelClientId, tier: tier.name }, `client-tier:${changeId}`, now);
  }

  private discountFor(tier: Tier | null, invoice: Invoice): number {
    return tier ? renewalDiscount(renewalTotal(invoice), tier.renewalDiscountBp) : 0;
  }

  /** Shown on the client's invoice, so in the client's language. */
  private describe(member: Member, tier: Tier | null): string {
    const i18n = this.translations.for(member.locale);
    const percent = new Intl.NumberFormat(i18n.locale, { maximumFractionDigits: 2 }).format((tier?.renewalDiscountBp ?? 0) / 100);
    return i18n.t('discount.renewal_line', { tier: tier?.name ?? '', percent });
  }
}
