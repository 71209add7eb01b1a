import { randomBytes } from 'node:crypto';
import axios from 'axios';
import type { Database } from '../../db/database';
import { parseCanonicalEvent } from '../../events/canonical-event';
import { StandardWebhookSigner } from '../../lib/standard-webhooks';
import type { Logger } from '../../logger';
import type { AuthService } from '../../services/auth-service';
import type { EventService } from '../../services/event-service';
import type { ProgramService } from '../../services/program-service';
import type { TierService } from '../../services/tier-service';
import { DEMO_CLIENTS, DEMO_PROGRAM, DEMO_TIER_RATES, demoEvent, type DemoClient, type DemoEventType } from './demo-clients';
import type { DemoPanelApi } from './demo-panel-api';

/** Fixed, so the seed events are byte-for-byte the same on every start and replay as duplicates. */
const SEED_OCCURRED_AT = new Date('2026-11-01T09:00:00Z');

export interface DeliveryResult {
  status: number;
  body: unknown;
  event: Record<string, unknown>;
}

/**
 * Plays the billing panel when none is configured: seeds a program and clients, signs events
 * and posts them to the plugin's own webhook, and mints SSO links, so the whole loop can be
 * tried in a minute. Its `api` is the panel adapter the outbox dispatcher sends actions to
 * (discount lines, tiers, credits), and the demo page lists what arrived.
 */
export class DemoPanel {
  constructor(
    private readonly deps: {
      db: Database;
      events: EventService;
      program: ProgramService;
      tiers: TierService;
      auth: AuthService;
      webhookSecret: string;
      source: string;
      logger: Logger;
      clock: () => Date;
      /** The adapter the dispatcher sends to; the demo page lists what it received. */
      api: DemoPanelApi;
    },
  ) {}

  get api(): DemoPanelApi {
    return this.deps.api;
  }

  /** Idempotent: fixed event ids make a restart a no-op. */
  async init(): Promise<void> {
    await this.deps.program.seed({ ...DEMO_PROGRAM, tier_qualifying_rates: DEMO_TIER_RATES });
    // The tier service keeps its own copy of the tier settings.
    this.deps.tiers.invalidate();
    for (const [n, client] of DEMO_CLIENTS.entries()) {
      for (const type of ['client.created', 'invoice.paid'] as const) {
        const json = demoEvent(type, client, {
          amount: client.sampleAmount,
          invoiceId: `seed-${n + 1}`,
          nonce: 'seed',
          occurredAt: SEED_OCCURRED_AT,
        });
        const parsed = parseCanonicalEvent(json);
        if (!parsed.ok) throw new Error(`Demo event is invalid: ${JSON.stringify(parsed.fields)}`);
        await this.deps.events.ingest(this.deps.source, parsed.event, json);
      }
    }
    this.deps.logger.info({ clients: DEMO_CLIENTS.length }, 'demo panel seeded');
  }

  client(id: string): DemoClient | undefined {
    return DEMO_CLIENTS.find((c) => c.id === id);
  }

  async clients(): Promise<Array<DemoClient & { balance: number | null }>> {
    return Promise.all(
      DEMO_CLIENTS.map(async (c) => {
        const m = await this.deps.db.repos.members.findByPanelClientId(c.id);
        return { ...c, balance: m ? m.pointsAvailable : null };
      }),
    );
  }

  /** `mount`: where the plugin's router is mounted ('' at the root). */
  async ssoUrl(clientId: string, mount = ''): Promise<string> {
    const client = this.client(clientId);
    const token = await this.deps.auth.mintSsoToken(clientId, { locale: client?.locale });
    return `${mount}/sso?token=${encodeURIComponent(token)}`;
  }

  /** Signs and posts the event over HTTP, exactly as a panel's webhook sender does. */
  async deliver(
    baseUrl: string,
    type: DemoEventType,
    client: DemoClient,
    amount: string,
    invoiceId: string | undefined,
  ): Promise<DeliveryResult> {
    const nonce = randomBytes(4).toString('hex');
    const event = demoEvent(type, client, { amount, invoiceId: invoiceId || `demo-${nonce}`, nonce, occurredAt: this.deps.clock() });
    const body = JSON.stringify(event);
    const id = String(event.id);
    const res = await axios.post(`${baseUrl}/hooks/events`, body, {
      headers: { ...new StandardWebhookSigner(this.deps.webhookSecret).headers(id, body) },
      validateStatus: () => true,
      timeout: 10_000,
    });
    this.deps.logger.info({ event: id, type, status: res.status }, 'demo panel delivered an event');
    return { status: res.status, body: res.data, event };
  }
}
