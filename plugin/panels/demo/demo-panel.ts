import { randomBytes } from 'node:crypto';
import axios from 'axios';
import type { Database } from '../../db/database';
import { parseCanonicalEvent } from '../../events/canonical-event';
import { StandardWebhookSigner } from '../../lib/standard-webhooks';
import type { Logger } from '../../logger';
import type { AdminRole, AuthService } from '../../services/auth-service';
import type { EventService } from '../../services/event-service';
import type { ProgramService } from '../../services/program-service';
import type { TierService } from '../../services/tier-service';
import stringify from 'safe-stable-stringify';
import { currencyDigits } from '../../domain/money';
import { amountForCurrency, DEMO_CLIENTS, DEMO_PROGRAM, DEMO_SERVICE_ID, DEMO_TIER_RATES, demoEvent, halfOf, nextDueDate, type DemoClient, type DemoEventType } from './demo-clients';
import type { DemoPanelApi } from './demo-panel-api';

const DEMO_RULES_ON: readonly string[] = ['service_upgrade', 'renewal_streak', 'action'];

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
    const fresh = (await this.deps.db.repos.events.count()) === 0;
    await this.deps.program.seed({ ...DEMO_PROGRAM, tier_qualifying_rates: DEMO_TIER_RATES });
    // A fresh demo database shows what upgrades, renewal streaks and reviews earn: the seeded
    // example rules of those types are switched on once (never again, so the provider's own
    // choices stand on later starts).
    if (fresh) {
      for (const rule of await this.deps.db.repos.rules.all()) {
        if (DEMO_RULES_ON.includes(rule.type)) await this.deps.program.setRuleActive(rule.id, true);
      }
    }
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

  /**
   * The demo panel's admin side: a one-time admin SSO link for a demo admin of `role`, as a
   * panel's admin area makes one (the owner, a billing admin, a read-only viewer).
   */
  async adminSsoUrl(role: AdminRole, mount = ''): Promise<string> {
    const token = await this.deps.auth.mintAdminSsoToken({ id: `demo-${role}`, name: `Demo ${role}`, role });
    return `${mount}/admin/sso?token=${encodeURIComponent(token)}`;
  }

  /**
   * Signs and posts the event over HTTP, exactly as a panel's webhook sender does. An amount is
   * written in the client's currency's minor units (empty: the client's sample amount). Like a
   * panel, the demo sends an event it already sent under the same id with the same body (the
   * plugin answers `duplicate`), and gives an event that changed a new id: re-sending "client
   * created" or an invoice's payment repeats it, and a payment after a reversal is a new one.
   */
  async deliver(baseUrl: string, type: DemoEventType, client: DemoClient, fields: DemoFields): Promise<DeliveryResult> {
    const nonce = randomBytes(4).toString('hex');
    const digits = currencyDigits(client.currency) ?? 2;
    const amount = fields.amount.trim() === '' ? client.sampleAmount : amountForCurrency(fields.amount, digits);
    const previousAmount = fields.previousAmount?.trim() ? amountForCurrency(fields.previousAmount, digits) : halfOf(amount, digits);
    const invoiceId = fields.invoiceId || `demo-${nonce}`;
    const payment = type === 'invoice.paid' ? await this.paymentNumber(client.id, invoiceId) : 1;
    const occurredAt = this.deps.clock();
    const dueDate = type === 'service.renewed' ? await this.renewalDueDate(client.id, occurredAt) : undefined;
    let event = demoEvent(type, client, { amount, previousAmount, invoiceId, nonce, occurredAt, payment, ...(dueDate !== undefined && { dueDate }) });
    let body = JSON.stringify(event);
    const sent = await this.deps.db.repos.events.payload(this.deps.source, String(event.id));
    if (sent !== null) {
      const earlier = JSON.parse(sent) as Record<string, unknown>;
      if (sameEvent(earlier, event)) [event, body] = [earlier, sent];
      else {
        event = { ...event, id: `${String(event.id)}:${nonce}` };
        body = JSON.stringify(event);
      }
    }
    const id = String(event.id);
    const res = await axios.post(`${baseUrl}/hooks/events`, body, {
      headers: { ...new StandardWebhookSigner(this.deps.webhookSecret).headers(id, body) },
      validateStatus: () => true,
      timeout: 10_000,
    });
    this.deps.logger.info({ event: id, type, status: res.status }, 'demo panel delivered an event');
    return { status: res.status, body: res.data, event };
  }

  /**
   * The due date the next renewal of the client's service renews. Read from the newest due date
   * the plugin counted, so a renewal it refused or never received is reported again for the same
   * period (a second report of a counted one is only `already_counted`).
   */
  private async renewalDueDate(clientId: string, today: Date): Promise<string> {
    const member = await this.deps.db.repos.members.findByPanelClientId(clientId);
    const service = member && (await this.deps.db.repos.services.find(member.id, DEMO_SERVICE_ID));
    return nextDueDate(service?.lastDueDate ?? null, today);
  }

  /** The how-many-th payment of an invoice this is: one more than its payments reversed so far. */
  private async paymentNumber(clientId: string, invoiceId: string): Promise<number> {
    const member = await this.deps.db.repos.members.findByPanelClientId(clientId);
    const row = member && (await this.deps.db.repos.invoices.find(member.id, invoiceId));
    return (row?.reversals ?? 0) + 1;
  }
}

/** What the demo form sends besides the client and the type. */
export interface DemoFields {
  amount: string;
  previousAmount?: string;
  invoiceId?: string;
}

/** The same event apart from when it was sent. */
function sameEvent(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return stringify({ ...a, occurred_at: null }) === stringify({ ...b, occurred_at: null });
}
