import type { Money } from '../../domain/money';
import { withKey, performWith, type PanelActionCall, type PanelActionHandlers, type PanelApi, type PanelCapabilities, type PanelResult } from '../panel-api';

export type DemoActionKind = 'invoice_discount' | 'client_tier' | 'credit' | 'email' | 'promo_code';

/** One action the demo panel received, as a real panel would have recorded it. */
export interface DemoPanelAction {
  kind: DemoActionKind;
  reference: string;
  idempotencyKey: string;
  receivedAt: Date;
  invoiceId?: string;
  clientId?: string;
  /** Negative for a discount line, positive for a credit, as the panel would book them. */
  amount?: Money;
  tier?: string;
  description?: string;
  /** For an email: the address, subject and plain-text body the panel mailed. */
  email?: { to: string; subject: string; text: string; purpose: string };
}

/** Enough for any demo session; older actions are forgotten so a long-running demo stays small. */
const KEEP = 1000;

/**
 * The demo panel's side of the panel API: it can do everything, and keeps an in-memory log of
 * what it received for the demo page. Like a careful real adapter it finds an action by its
 * key before acting, so a repeated key returns the first reference and changes nothing.
 */
export class DemoPanelApi implements PanelApi {
  readonly name = 'demo';
  static readonly CAPABILITIES: PanelCapabilities = { invoiceDiscount: true, clientTier: true, credit: true, email: true, promoCode: true };
  readonly capabilities: PanelCapabilities = DemoPanelApi.CAPABILITIES;
  private readonly byKey = new Map<string, DemoPanelAction>();
  private readonly tiers = new Map<string, string>();
  private seq = 0;

  /** Each built-in action as this panel books it; a new action shows here as a type error. */
  private readonly handlers: PanelActionHandlers = {
    'invoice.discount': (p, key) => this.addInvoiceDiscount(p.invoiceId, p.amount, p.description, key),
    'client.tier': (p, key) => this.setClientTier(p.clientId, p.tier, key),
    'client.credit': (p, key) => this.applyCredit(p.clientId, p.amount, p.description, key),
    'client.email': async (p, key) => this.record(key, 'email', { clientId: p.clientId, email: { to: p.to, subject: p.subject, text: p.text, purpose: p.purpose } }),
    'promo.create': async (p, key) => this.record(key, 'promo_code', { clientId: p.clientId, description: `${p.code}: ${p.description}` }),
  };

  constructor(private readonly clock: () => Date = () => new Date()) {}

  perform(call: PanelActionCall): Promise<PanelResult> {
    return performWith(this.name, this.handlers, call);
  }

  async addInvoiceDiscount(invoiceId: string, amount: Money, description: string, idempotencyKey: string): Promise<PanelResult> {
    return this.record(idempotencyKey, 'invoice_discount', {
      invoiceId,
      amount: { currency: amount.currency, minor: -amount.minor },
      description: withKey(description, idempotencyKey),
    });
  }

  async setClientTier(clientId: string, tier: string, idempotencyKey: string): Promise<PanelResult> {
    const result = this.record(idempotencyKey, 'client_tier', { clientId, tier });
    this.tiers.set(clientId, tier);
    return result;
  }

  async applyCredit(clientId: string, amount: Money, description: string, idempotencyKey: string): Promise<PanelResult> {
    return this.record(idempotencyKey, 'credit', { clientId, amount, description: withKey(description, idempotencyKey) });
  }

  /** Newest first. */
  recent(limit = 20): DemoPanelAction[] {
    return [...this.byKey.values()].reverse().slice(0, limit);
  }

  /** Emails the panel was asked to send, newest first: the demo page shows them. */
  recentEmails(limit = 20): DemoPanelAction[] {
    return [...this.byKey.values()].filter((a) => a.kind === 'email').reverse().slice(0, limit);
  }

  /** The tier the panel has for a client, as set through `setClientTier`. */
  tierOf(clientId: string): string | undefined {
    return this.tiers.get(clientId);
  }

  private record(idempotencyKey: string, kind: DemoActionKind, fields: Partial<DemoPanelAction>): PanelResult {
    const seen = this.byKey.get(idempotencyKey);
    if (seen) return { reference: seen.reference };
    const reference = `demo-${kind}-${++this.seq}`;
    this.byKey.set(idempotencyKey, { kind, reference, idempotencyKey, receivedAt: this.clock(), ...fields });
    if (this.byKey.size > KEEP) this.byKey.delete(this.byKey.keys().next().value as string);
    return { reference };
  }
}
