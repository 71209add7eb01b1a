import nodemailer, { type Transporter } from 'nodemailer';
import { emailMessageId, type EmailPayload } from '../../domain/panel-actions';
import { PanelError } from '../../errors';

export interface SmtpMailerOptions {
  /** SMTP_URL: `smtp://user:pass@host:587` or `smtps://…`. */
  url: string;
  /** SMTP_FROM. */
  from: string;
  /** For tests: a transport built elsewhere. */
  transport?: Transporter;
}

/**
 * Sends the `client.email` actions whose channel is `smtp`. One attempt per call; the outbox
 * dispatcher owns retries. The Message-ID comes from the outbox key, so if the server accepted
 * a message but its answer was lost, the dispatcher's retry sends the same message again
 * (SMTP has no idempotent submit): mail clients and many servers show one copy of a repeated
 * Message-ID, but the recipient may get two. That is the one way an email goes out twice.
 */
export class SmtpMailer {
  private readonly transport: Transporter;

  constructor(private readonly options: SmtpMailerOptions) {
    this.transport = options.transport ?? nodemailer.createTransport(options.url, { from: options.from });
  }

  /** Resolves to the server's queue id (its answer to DATA), or the Message-ID when it gave none. */
  async send(email: EmailPayload, idempotencyKey: string): Promise<{ reference: string }> {
    const messageId = emailMessageId(idempotencyKey);
    try {
      const info = await this.transport.sendMail({
        from: this.options.from,
        to: email.to,
        subject: email.subject,
        html: email.html,
        text: email.text,
        messageId,
        headers: { 'X-Rewards-Purpose': email.purpose },
      });
      const rejected = (info.rejected ?? []).map(String);
      if (rejected.length > 0) throw new PanelError('smtp_refused', { message: `SMTP server refused ${rejected.join(', ')}`, retryable: false });
      return { reference: messageId };
    } catch (err) {
      if (err instanceof PanelError) throw err;
      throw classify(err);
    }
  }

  close(): void {
    this.transport.close();
  }
}

/** A 5xx answer is the server refusing for good; anything else (4xx, a dropped connection) may pass later. */
function classify(err: unknown): PanelError {
  const code = (err as { responseCode?: unknown }).responseCode;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'number' && code >= 500) return new PanelError('smtp_refused', { message: `SMTP ${code}: ${message}`, retryable: false, cause: err });
  return new PanelError('smtp_unreachable', { message: `SMTP: ${message}`, retryable: true, cause: err });
}
