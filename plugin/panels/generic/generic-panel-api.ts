import axios, { type AxiosInstance } from 'axios';
import { Webhook } from 'standardwebhooks';
import { PanelError } from '../../errors';
import type { PanelActionCall, PanelApi, PanelCapabilities, PanelResult } from '../panel-api';

export interface GenericPanelOptions {
  /** PANEL_ACTIONS_URL: the panel-side shim's endpoint. */
  url: string;
  /** Standard Webhooks secret (`whsec_…`) the shim verifies with. */
  secret: string;
  timeoutMs?: number;
  /** For tests; defaults to a fresh axios instance. */
  http?: AxiosInstance;
}

/**
 * For panels with a small shim (a PHP file beside the panel) instead of a dedicated adapter:
 * each action is POSTed as a signed Standard Webhook, the same format the panel already uses
 * towards us, so the shim reuses its verifier. `webhook-id` is the outbox idempotency key,
 * which the spec keeps equal across redeliveries; the shim should check for it (it is also in
 * the description) before acting, because a redelivery can happen (see PanelApi).
 *
 * Body: `{ "type": <action name>, "idempotency_key", "data": <the action's wire form> }`, for
 * every action declared in domain/panel-actions.ts (README "Panel actions" lists them), so a
 * new action needs no change here. Answer: 2xx with optional `{ "reference": "…" }`.
 *
 * No retries here: one attempt per call, and the outbox dispatcher owns backoff.
 */
export class GenericPanelApi implements PanelApi {
  readonly name = 'generic';
  // The shim decides what its panel can do; an action it can't do is refused with a 4xx.
  static readonly CAPABILITIES: PanelCapabilities = { invoiceDiscount: true, clientTier: true, credit: true, email: true, promoCode: true };
  readonly capabilities: PanelCapabilities = GenericPanelApi.CAPABILITIES;
  private readonly webhook: Webhook;
  private readonly http: AxiosInstance;
  /** The URL as logs and last_error show it: without credentials or a query (which may hold a token). */
  private readonly shownUrl: string;

  constructor(private readonly options: GenericPanelOptions) {
    this.webhook = new Webhook(options.secret);
    this.http = options.http ?? axios.create();
    const u = new URL(options.url);
    this.shownUrl = `${u.origin}${u.pathname}`;
  }

  perform(call: PanelActionCall): Promise<PanelResult> {
    return this.post(call.action, call.idempotencyKey, call.definition.toWire(call.payload, call.idempotencyKey));
  }

  private async post(type: string, idempotencyKey: string, data: Record<string, unknown>): Promise<PanelResult> {
    const body = JSON.stringify({ type, idempotency_key: idempotencyKey, data });
    // Wall-clock time, not the plugin's clock: the shim checks freshness against its own clock.
    const timestamp = new Date();
    const headers = {
      'content-type': 'application/json',
      'webhook-id': idempotencyKey,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': this.webhook.sign(idempotencyKey, timestamp, body),
    };
    let res;
    try {
      res = await this.http.post(this.options.url, body, {
        headers,
        timeout: this.options.timeoutMs ?? 10_000,
        validateStatus: () => true,
        // The answer is small JSON; a misbehaving endpoint must not stream megabytes into us.
        maxContentLength: 64 * 1024,
        maxRedirects: 0,
        responseType: 'text',
        transformResponse: (x) => x,
      });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      throw new PanelError('panel_unreachable', {
        message: `POST ${this.shownUrl} failed: ${e.code ?? ''} ${e.message ?? String(err)}`.trim(),
        retryable: true,
      });
    }
    if (res.status >= 200 && res.status < 300) return { reference: referenceFrom(res.data) };
    // Refusals (4xx) won't change on a retry, except timeouts and rate limits.
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    throw new PanelError('panel_refused', {
      message: `POST ${this.shownUrl} answered ${res.status}: ${String(res.data ?? '').slice(0, 300)}`,
      retryable,
    });
  }
}

function referenceFrom(text: unknown): string | null {
  if (typeof text !== 'string' || text.trim() === '') return null;
  try {
    const ref = (JSON.parse(text) as { reference?: unknown } | null)?.reference;
    return typeof ref === 'string' || typeof ref === 'number' ? String(ref).slice(0, 190) : null;
  } catch {
    return null;
  }
}
