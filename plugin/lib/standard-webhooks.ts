import { Webhook } from 'standardwebhooks';

/** The headers of one signed JSON delivery (DESIGN §6: Standard Webhooks, `v1,` HMAC-SHA256). */
export interface StandardWebhookHeaders {
  'content-type': 'application/json';
  'webhook-id': string;
  /** Unix seconds. */
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs deliveries the way a panel signs its events to us: the one signer of the demo panel,
 * the tests and the bench, so all of them stay byte-for-byte what the receiver verifies.
 * Build one per secret: the secret is decoded once.
 */
export class StandardWebhookSigner {
  private readonly webhook: Webhook;

  /** `secret` is `whsec_` followed by base64. */
  constructor(secret: string) {
    this.webhook = new Webhook(secret);
  }

  headers(id: string, body: string, at: Date = new Date()): StandardWebhookHeaders {
    return {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': this.webhook.sign(id, at, body),
    };
  }
}
