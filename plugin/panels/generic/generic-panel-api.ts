import axios, { type AxiosInstance } from 'axios';
import { Webhook } from 'standardwebhooks';
import { PanelError } from '../../errors';
import { retryAfterMs } from '../../lib/retry-after';
import type { PanelActionCall, PanelApi, PanelCapabilities, PanelResult } from '../panel-api';

export interface GenericPanelOptions {
  /** PANEL_ACTIONS_URL: the panel-side shim's endpoint. */
  url: string;
  /** Standard Webhooks secret (`whsec_…`) the shim verifies with. */
  secret: string;
  /** Per request (PANEL_TIMEOUT_SECONDS); a receiver that hangs longer counts as a network error and is retried. */
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
 * every action declared in domain/panel-actions.ts (README "Any other panel" lists them), so a
 * new action needs no change here. Answer: 2xx with optional `{ "reference": "…" }`.
 *
 * Failures follow the Standard Webhooks spec: every non-2xx answer and every network error
 * (timeouts included) is retryable, since a receiver whose clock is off answers 401 and
 * would otherwise lose every action; `Retry-After` is passed on as the next attempt's delay;
 * 410 Gone means the endpoint is retired, and the dispatcher pauses it. No retries here: one
 * attempt per call, and the outbox dispatcher owns backoff.
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
  /** Where actions go, as /healthz and the pause record show it. */
  get endpoint(): string {
    return this.shownUrl;
  }

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
        timeout: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
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
    const message = `POST ${this.shownUrl} answered ${res.status}: ${String(res.data ?? '').slice(0, 300)}`;
    if (res.status === 410) {
      throw new PanelError('panel_gone', {
        message,
        help: 'The receiver says this endpoint is retired. Fix PANEL_ACTIONS_URL (or the receiver), then resume it with plugin.jobs.resumePanel().',
        retryable: false,
        endpointGone: true,
      });
    }
    throw new PanelError('panel_refused', { message, retryable: true, retryAfterMs: retryAfterMs(res.headers['retry-after']) });
  }
}

/** PANEL_TIMEOUT_SECONDS' default: long enough for a slow panel API call behind the shim. */
export const DEFAULT_TIMEOUT_MS = 20_000;

function referenceFrom(text: unknown): string | null {
  if (typeof text !== 'string' || text.trim() === '') return null;
  try {
    const ref = (JSON.parse(text) as { reference?: unknown } | null)?.reference;
    return typeof ref === 'string' || typeof ref === 'number' ? String(ref).slice(0, 190) : null;
  } catch {
    return null;
  }
}
