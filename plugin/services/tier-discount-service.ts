import type { Invoice } from '../domain/billing-event';
import { paymentOnRecord, type InvoiceRecord } from '../domain/invoice-record';
import type { Member } from '../domain/member';
import { PANEL_ACTIONS } from '../domain/panel-actions';
import { cashbackKept, localized, renewalDiscount, type Tier } from '../domain/tiers';
import type { Tx } from '../db/unit-of-work';
import type { Translations } from '../i18n';
import type { MemberAccount } from './member-account';
import type { ProgramSnapshot, UseCaseContext, UseCaseResult } from './use-case-context';

/** The outbox keys of an invoice's tier discount, less the invoice id that ends them. */
export const TIER_DISCOUNT_KEY_PREFIXES = { line: 'tier-discount:invoice:', cashback: 'tier-cashback:invoice:' } as const;

/**
 * The outbox keys of an invoice's tier discount: one action per invoice, whichever method sent it
 * (a re-payment after a reversal queues the cancelled cashback again under its key, see `invoicePaid`).
 */
export const tierDiscountKeys = (invoiceId: string) => ({ line: `${TIER_DISCOUNT_KEY_PREFIXES.line}${invoiceId}`, cashback: `${TIER_DISCOUNT_KEY_PREFIXES.cashback}${invoiceId}` });

/** The renewal lines' total: the only part of an invoice a tier discount applies to. */
function renewalTotal(invoice: Invoice): number {
  return (invoice.items ?? []).filter((i) => i.type === 'renewal').reduce((sum, i) => sum + i.amount.minor, 0);
}

/**
 * Tier discounts on renewals, by the program's method. Every action goes through the outbox in
 * the caller's transaction, keyed so that a replay or a second instance can't apply it twice;
 * the dispatcher calls the panel after commit.
 */
export class TierDiscountService {
  constructor(private readonly translations: Translations) {}

  /**
   * `invoice.created`: a negative line for the tier's discount on the renewal lines, on an
   * invoice not paid yet. A late delivery (a retried `invoice.created` behind the payment, a
   * refund, a chargeback or a reversal) finds the invoice's row and queues nothing: a line can't
   * change what was paid. Read under the member's lock, which every event of the invoice takes.
   */
  async invoiceCreated(tx: Tx, account: MemberAccount, input: UseCaseContext & { invoice: Invoice }): Promise<UseCaseResult> {
    const { invoice, tier } = input;
    if (input.snapshot.program.tierDiscountMethod !== 'invoice_line') return { outcome: 'applied', points: 0, detail: 'no_invoice_discount' };
    const discount = this.discountFor(tier, invoice);
    if (discount === 0) return { outcome: 'applied', points: 0, detail: 'no_invoice_discount' };
    const row = await tx.repos.invoices.find(account.member.id, invoice.id);
    if (row && paymentOnRecord(row)) return { outcome: 'applied', points: 0, detail: 'already_paid' };
    await tx.repos.outbox.enqueue(
      'invoice.discount',
      { invoiceId: invoice.id, amount: { currency: invoice.currency, minor: discount }, description: this.describe(account.member, tier, input.snapshot) },
      tierDiscountKeys(invoice.id).line,
      tx.now,
    );
    return { outcome: 'applied', points: 0, detail: 'tier_discount_queued' };
  }

  /** The cashback a payment of the invoice earns before refunds: the tier discount, under the cashback method only. */
  cashbackFor(snapshot: ProgramSnapshot, tier: Tier | null, invoice: Invoice): number {
    return snapshot.program.tierDiscountMethod === 'cashback' ? this.discountFor(tier, invoice) : 0;
  }

  /**
   * Cashback method, for panels that can't edit invoices: credit the discount back on payment,
   * on the part of the invoice not refunded already (refunds can overtake payments), and none
   * for an invoice charged back. One cashback per invoice, under one key: a re-payment after a
   * reversal brings back the cashback the reversal withdrew; one that reached the panel first
   * stands for both payments. Returns `cashbackFor`, which the invoice's row keeps for later
   * refunds.
   */
  async invoicePaid(
    tx: Tx,
    account: MemberAccount,
    input: UseCaseContext & { invoice: Invoice; earlier: { refundedMinor: number; chargedBack: boolean } | null },
  ): Promise<number> {
    const { invoice, earlier, tier } = input;
    const full = this.cashbackFor(input.snapshot, tier, invoice);
    if (full === 0 || earlier?.chargedBack) return full;
    const discount = cashbackKept(full, invoice.total.minor, earlier?.refundedMinor ?? 0);
    if (discount === 0) return full;
    const key = tierDiscountKeys(invoice.id).cashback;
    const payload = { clientId: account.member.panelClientId, amount: { currency: invoice.currency, minor: discount }, description: this.describe(account.member, tier, input.snapshot) };
    const { entry, created } = await tx.repos.outbox.enqueue('client.credit', payload, key, tx.now);
    if (!created && entry.state === 'cancelled') await tx.repos.outbox.reinstateCancelled('client.credit', key, payload, tx.now);
    return full;
  }

  /**
   * A refund or chargeback of a paid invoice (`row` as it leaves it; `refundedBefore`, its
   * refunds before). A full refund or a chargeback withdraws the cashback if it hasn't gone out
   * yet; a partial refund scales it to the share kept, as a refund before the payment does, if
   * no dispatcher has taken it up yet. Credit that reached the panel (or may have: a claimed
   * action) can't be taken back through any panel API; it stays, and the outbox row shows it.
   */
  async invoiceRefunded(tx: Tx, row: InvoiceRecord, refundedBefore: number): Promise<void> {
    const key = tierDiscountKeys(row.invoiceId).cashback;
    if (row.chargedBack || row.refundedMinor >= row.totalMinor) {
      await tx.repos.outbox.cancelPending(key, 'cancelled: the invoice was refunded or charged back');
      return;
    }
    if (row.cashbackMinor === 0 || row.refundedMinor <= refundedBefore) return;
    const entry = await tx.repos.outbox.findByKey(key);
    if (!entry || entry.action !== 'client.credit' || entry.state !== 'pending' || entry.attempts > 0) return;
    const parsed = PANEL_ACTIONS['client.credit'].payload.safeParse(entry.payload);
    if (!parsed.success) return;
    const payload = parsed.data;
    const minor =
      row.cashbackMinor === null
        ? // Paid before the row kept the cashback: scale what the last refund left.
          cashbackKept(payload.amount.minor, row.totalMinor - refundedBefore, row.refundedMinor - refundedBefore)
        : cashbackKept(row.cashbackMinor, row.totalMinor, row.refundedMinor);
    if (minor >= payload.amount.minor) return;
    if (minor === 0) await tx.repos.outbox.cancelUnclaimed(key, 'cancelled: the invoice was refunded');
    else await tx.repos.outbox.reviseUnclaimed('client.credit', key, { ...payload, amount: { ...payload.amount, minor } });
  }

  /** `invoice.reversed`: the payment is undone, and its cashback withdrawn if it hasn't gone out yet. */
  async invoiceReversed(tx: Tx, invoiceId: string): Promise<void> {
    await tx.repos.outbox.cancelPending(tierDiscountKeys(invoiceId).cashback, 'cancelled: the invoice’s payment was reversed');
  }

  /** Client-tier method: the panel's client group carries the discount (WHMCS discountpercent). */
  async tierChanged(tx: Tx, account: MemberAccount, input: { tier: Tier; changeId: number; snapshot: ProgramSnapshot }): Promise<void> {
    if (input.snapshot.program.tierDiscountMethod !== 'client_tier') return;
    await tx.repos.outbox.enqueue('client.tier', { clientId: account.member.panelClientId, tier: input.tier.name }, `client-tier:${input.changeId}`, tx.now);
  }

  private discountFor(tier: Tier | null, invoice: Invoice): number {
    return tier ? renewalDiscount(renewalTotal(invoice), tier.renewalDiscountBp) : 0;
  }

  /** Shown on the client's invoice, so in the client's language, with the tier's name in it. */
  private describe(member: Readonly<Member>, tier: Tier | null, snapshot: ProgramSnapshot): string {
    const language = snapshot.program.defaultLanguage;
    const i18n = this.translations.negotiate({ client: [member.locale], programDefault: language });
    const percent = new Intl.NumberFormat(i18n.locale, { maximumFractionDigits: 2 }).format((tier?.renewalDiscountBp ?? 0) / 100);
    const name = tier ? (localized(tier.names, [i18n.language, language]) ?? tier.name) : '';
    return i18n.t('discount.renewal_line', { tier: name, percent });
  }
}
