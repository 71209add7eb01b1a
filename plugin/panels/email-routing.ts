import type { EmailPayload } from '../domain/panel-actions';
import { PanelError } from '../errors';
import type { PanelActionCall, PanelApi, PanelCapabilities, PanelResult } from './panel-api';
import type { SmtpMailer } from './smtp/smtp-mailer';

/** The dispatcher checked the payload against `client.email`'s schema before handing it over. */
function isEmailCall(call: PanelActionCall): call is PanelActionCall<EmailPayload> {
  return call.action === 'client.email';
}

const EVERYTHING: PanelCapabilities = { invoiceDiscount: true, clientTier: true, credit: true, email: true, promoCode: true };

/**
 * The adapter the outbox dispatcher sends to: the panel's, with `client.email` actions whose
 * channel is `smtp` (chosen when the email was queued) taken out and sent by our own SMTP.
 * Without a panel adapter (generic, no PANEL_ACTIONS_URL) but with SMTP, other actions fail
 * as retryable, so they wait within the retry budget instead of being refused for good.
 */
export class EmailRoutingPanelApi implements PanelApi {
  readonly name: string;
  readonly capabilities: PanelCapabilities;
  readonly endpoint: string;

  constructor(
    private readonly panel: PanelApi | undefined,
    private readonly mailer: SmtpMailer | undefined,
  ) {
    this.name = panel?.name ?? 'smtp';
    this.endpoint = panel?.endpoint ?? this.name;
    this.capabilities = panel ? { ...panel.capabilities, email: panel.capabilities.email || mailer !== undefined } : EVERYTHING;
  }

  /** The panel's adapter, wrapped when there is something to route; undefined when neither exists. */
  static wrap(panel: PanelApi | undefined, mailer: SmtpMailer | undefined): PanelApi | undefined {
    return panel || mailer ? new EmailRoutingPanelApi(panel, mailer) : undefined;
  }

  perform(call: PanelActionCall): Promise<PanelResult> {
    if (isEmailCall(call)) {
      if (call.payload.channel === 'smtp') {
        if (!this.mailer) {
          throw new PanelError('smtp_not_configured', {
            message: 'An email queued for SMTP waits: SMTP_URL is not set',
            help: 'Set SMTP_URL, or switch email_channel to panel.',
            retryable: true,
          });
        }
        return this.mailer.send(call.payload, call.idempotencyKey);
      }
      if (this.panel && !this.panel.capabilities.email) {
        throw new PanelError('unsupported_action', { message: `Panel "${this.panel.name}" cannot send email; set email_channel to smtp`, retryable: false });
      }
    }
    if (!this.panel) {
      throw new PanelError('panel_unreachable', { message: 'No panel adapter is configured (PANEL_ACTIONS_URL unset)', retryable: true });
    }
    return this.panel.perform(call);
  }
}
