import { currencyDigits, toDecimalString, type Money } from '../../domain/money';
import { shortRef } from '../../domain/panel-actions';
import { PanelError } from '../../errors';
import {
  performWith,
  withKey,
  type PanelActionCall,
  type PanelActionHandlers,
  type PanelApi,
  type PanelCapabilities,
  type PanelDelivery,
  type PanelResult,
} from '../panel-api';
import type { WhmcsApiClient, WhmcsEmail } from './whmcs-api-client';

export interface WhmcsPanelOptions {
  /** Tier name (any case) → WHMCS client group id ("0" for no group), from WHMCS_TIER_GROUPS. */
  tierGroups: ReadonlyMap<string, string>;
}

/**
 * What WHMCS can do through its API. No promo codes: WHMCS has no API to create them, so a
 * code reward is given as credit or refused when it is redeemed (setting
 * `promo_code_fallback`), never queued as a `promo.create` that could only fail.
 */
export function whmcsCapabilities(tierGroups: ReadonlyMap<string, string>): PanelCapabilities {
  return {
    invoiceDiscount: true,
    // Without a tier → group map there is nothing to set; start-up warns when tiers need it.
    clientTier: tierGroups.size > 0,
    credit: true,
    email: true,
    promoCode: false,
  };
}

/** Parses `Bronze=1,Silver=2, Gold = 3` (commas or new lines). */
export function parseTierGroups(text: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of (text ?? '').split(/[,\n;]+/)) {
    const m = /^\s*(.+?)\s*=\s*(\d{1,10})\s*$/.exec(part);
    if (m?.[1] && m[2]) map.set(m[1].toLowerCase(), m[2]);
  }
  return map;
}

/**
 * The WHMCS adapter: each panel action through WHMCS's own API.
 *
 * Exactly once, although no WHMCS write is idempotent: what we create carries the action's
 * short reference (`withKey`: "… [ref 3f9a2c41d0]") in its description, and before writing we
 * look for it — the client's credit log (GetCredits) before AddCredit, the invoice's lines
 * (GetInvoice) before UpdateInvoice. The look-up runs before every attempt, the first
 * included: the dispatcher may have died after WHMCS applied the action and before it marked
 * the row sent, and the next attempt must find it rather than act again.
 */
export class WhmcsPanelApi implements PanelApi {
  readonly name = 'whmcs';
  readonly capabilities: PanelCapabilities;

  private readonly handlers: PanelActionHandlers = {
    'client.credit': (p, key) => this.creditOnce(p.clientId, p.amount, p.description, key),
    'invoice.discount': (p, key) => this.discountOnce(p.invoiceId, p.amount, p.description, key),
    'client.tier': (p) => this.setTier(p.clientId, p.tier),
    'client.email': (p, key, delivery) => this.emailOnce(p.clientId, p.subject, p.html, key, delivery),
    // Never queued for WHMCS (no promoCode capability: decided at redemption); a row left from
    // an earlier version fails with the reason, and its points go back.
    'promo.create': () =>
      Promise.reject(
        refused('WHMCS has no API to create promo codes: this promo-code reward cannot be delivered on WHMCS. The points go back to the member; setting promo_code_fallback chooses credit or refusal for new redemptions.'),
      ),
  };

  constructor(
    private readonly api: WhmcsApiClient,
    private readonly options: WhmcsPanelOptions,
  ) {
    this.capabilities = whmcsCapabilities(options.tierGroups);
  }

  perform(call: PanelActionCall): Promise<PanelResult> {
    return performWith(this.name, this.handlers, call);
  }

  private async creditOnce(clientId: string, amount: Money, description: string, key: string): Promise<PanelResult> {
    const marker = `[ref ${shortRef(key)}]`;
    const client = await this.api.getClientsDetails(clientId);
    checkCurrency(`client ${clientId}`, client.currencyCode, amount);
    const earlier = (await this.api.getCredits(clientId)).find((c) => c.description.includes(marker));
    if (earlier) return { reference: earlier.id ? `credit:${earlier.id}` : null };
    const { creditId } = await this.api.addCredit(clientId, toDecimalString(amount), withKey(description, key));
    return { reference: creditId === null ? null : `credit:${creditId}` };
  }

  private async discountOnce(invoiceId: string, amount: Money, description: string, key: string): Promise<PanelResult> {
    const marker = `[ref ${shortRef(key)}]`;
    const invoice = await this.api.getInvoice(invoiceId);
    const earlier = invoice.items.find((i) => i.description.includes(marker));
    if (earlier) return { reference: earlier.id ? `invoice-item:${earlier.id}` : `invoice:${invoiceId}` };
    if (!['unpaid', 'draft'].includes(invoice.status.toLowerCase())) {
      throw refused(`WHMCS invoice ${invoiceId} is ${invoice.status || 'not unpaid'}; a discount line only goes on an unpaid invoice`);
    }
    if (invoice.clientId) checkCurrency(`invoice ${invoiceId}'s client`, (await this.api.getClientsDetails(invoice.clientId)).currencyCode, amount);
    await this.api.updateInvoice(invoiceId, [{ description: withKey(description, key), amount: toDecimalString({ ...amount, minor: -amount.minor }), taxed: false }]);
    return { reference: `invoice:${invoiceId}` };
  }

  /**
   * Sends the email once. `SendEmail` is not idempotent and its answer can be lost after WHMCS
   * sent the message (a timeout, a dropped connection), so the message carries the action's
   * short reference in an HTML comment, which WHMCS keeps in its email log, and before any
   * attempt that may follow one that reached WHMCS the client's log (GetEmails, by subject) is
   * searched for it: found, the email went and is not sent again.
   *
   * The search is only as good as the log: when it holds emails of this very subject sent
   * since the action was queued and none carries a reference of ours (this WHMCS drops the
   * comment, or they predate this version), the search can't tell, and the action fails for
   * good rather than risk a second email; an admin who then retries it has looked, and it is
   * sent. A first attempt sends without a search (the common case costs one call); a retry of
   * an attempt that WHMCS is still working on when the search runs (a timeout on a slow mail
   * server) is the one case it can't see.
   */
  private async emailOnce(clientId: string, subject: string, html: string, key: string, delivery: PanelDelivery | undefined): Promise<PanelResult> {
    const marker = emailMarker(key);
    if (delivery?.retry !== false) {
      const log = await this.api.getEmails(clientId, subjectFilter(subject));
      const sent = log.find((e) => e.message.includes(marker));
      if (sent) return { reference: sent.id ? `email:${sent.id}` : null };
      const recent = log.filter((e) => sameSubject(e.subject, subject) && !(delivery && sentBefore(e, delivery.queuedAt)));
      if (recent.length > 0 && !recent.some((e) => ANY_EMAIL_MARKER.test(e.message)) && !delivery?.requeued) {
        throw new PanelError('delivery_unverifiable', {
          message: `WHMCS client ${clientId}'s email log has ${recent.length} email(s) titled like "${subject}" without our reference, so whether an earlier attempt of this one was sent can't be told; not sent again, to never send it twice`,
          help: "Look in the client's Emails tab in WHMCS: if the email isn't there, retry the action from the admin area.",
          retryable: false,
        });
      }
    }
    await this.api.sendEmail(clientId, subject, `${bodyOf(html)}\n<!-- ${marker} -->`);
    return { reference: null };
  }

  private async setTier(clientId: string, tier: string): Promise<PanelResult> {
    const groupId = this.options.tierGroups.get(tier.toLowerCase());
    if (groupId === undefined) {
      throw refused(`No WHMCS client group for tier "${tier}": add ${tier}=<group id> to WHMCS_TIER_GROUPS`);
    }
    await this.api.updateClient(clientId, { groupid: groupId });
    return { reference: `group:${groupId}` };
  }
}

function refused(message: string): PanelError {
  return new PanelError('unsupported_action', { message, retryable: false });
}

/** WHMCS credits and invoice lines are in the client's currency; a different one would be a wrong amount. */
function checkCurrency(whose: string, code: string | null, amount: Money): void {
  if (code !== null && code !== amount.currency && currencyDigits(code) !== undefined) {
    throw refused(`WHMCS ${whose} pays in ${code}, the action is in ${amount.currency}; nothing was applied`);
  }
}

/** The reference an email carries (in an HTML comment: invisible, and gone from WHMCS's plain-text part). */
function emailMarker(key: string): string {
  return `hosting-rewards [ref ${shortRef(key)}]`;
}

const ANY_EMAIL_MARKER = /hosting-rewards \[ref [0-9a-f]{10}\]/;

/**
 * What GetEmails is asked to match: the subject's longest run of letters, digits and spaces.
 * WHMCS stores a subject as it received it through its input filter, which may encode quotes
 * or ampersands; a run without them matches however the rest was stored, and the reference
 * tells the emails it also matches apart.
 */
function subjectFilter(subject: string): string {
  const runs = subject.match(/[\p{L}\p{N}][\p{L}\p{N} ]*/gu) ?? [];
  const longest = runs.map((r) => r.trim()).reduce((a, b) => (b.length > a.length ? b : a), '');
  return longest.length >= 3 ? longest : subject;
}

/** The log's subject is ours, however WHMCS's input filter encoded it (the filter above matches looser). */
function sameSubject(stored: string, ours: string): boolean {
  const decoded = stored.replace(/&(amp|lt|gt|quot|#0?39|apos);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e] ?? "'");
  return decoded.trim().toLowerCase() === ours.trim().toLowerCase();
}

/**
 * A log entry certainly older than the action: its date (WHMCS server time, zone unknown, read
 * as UTC) more than a day before the action was queued, which no zone offset bridges. An
 * entry whose date can't be read counts as recent.
 */
function sentBefore(email: WhmcsEmail, queuedAt: Date): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(email.date);
  if (!m) return false;
  const at = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return at < queuedAt.getTime() - 86_400_000;
}

/** WHMCS wraps a custom message in its own email template: send what is inside our <body>. */
function bodyOf(html: string): string {
  const m = /<body[^>]*>([\s\S]*)<\/body>/i.exec(html);
  return m?.[1]?.trim() ? m[1].trim() : html;
}
