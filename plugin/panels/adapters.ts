import { z } from 'zod';
import type { PanelCapabilities } from '../domain/panel-actions';
import { describeProblems, fieldProblems } from '../domain/validation';
import { ConfigError } from '../errors';
import { DemoPanelApi } from './demo/demo-panel-api';
import { GenericPanelApi } from './generic/generic-panel-api';
import type { PanelApi } from './panel-api';
import { WhmcsApiClient } from './whmcs/whmcs-api-client';
import { parseTierGroups, whmcsCapabilities, WhmcsPanelApi } from './whmcs/whmcs-panel-api';

/** What every adapter may need besides its own options. */
export interface PanelAdapterContext {
  /** The Standard Webhooks secret (`whsec_…`) shared with the panel. */
  webhookSecret: string;
  clock: () => Date;
}

/**
 * One kind of panel the plugin can talk to, selected with `PANEL`. The config enum,
 * `createPlugin` and manifest.json's `panels` all read this table.
 */
export interface PanelAdapterDefinition<O = unknown, A extends PanelApi | undefined = PanelApi | undefined> {
  readonly description: string;
  /** The plugin config fields it reads (other fields are ignored), checked before `create`. */
  readonly options: z.ZodType<O>;
  /**
   * What it can do, known before it is configured far enough to send: a redemption decides by
   * it whether a code reward can be delivered at all (`promo_code_fallback`).
   */
  capabilities(options: O): PanelCapabilities;
  /** `undefined` when it is not configured far enough to send actions: they wait in the outbox. */
  create(options: O, context: PanelAdapterContext): A;
}

export function definePanelAdapter<O, A extends PanelApi | undefined>(definition: PanelAdapterDefinition<O, A>): PanelAdapterDefinition<O, A> {
  return definition;
}

export const PANEL_ADAPTERS = {
  demo: definePanelAdapter({
    description: 'the built-in demo panel: seeds a program and clients, fires sample events, and shows the actions it receives',
    options: z.object({}),
    capabilities: () => DemoPanelApi.CAPABILITIES,
    create: (_options, { clock }) => new DemoPanelApi(clock),
  }),
  generic: definePanelAdapter({
    description: 'a real panel with a small shim: events come in as signed webhooks, actions go out as Standard Webhooks to PANEL_ACTIONS_URL',
    options: z.object({
      panelActionsUrl: z
        .url()
        .optional()
        .describe('env PANEL_ACTIONS_URL: the panel-side shim that receives panel actions; unset, actions wait in the outbox'),
      panelTimeoutSeconds: z
        .number()
        .int()
        .min(1)
        .max(120)
        .default(20)
        .describe('env PANEL_TIMEOUT_SECONDS: how long to wait for the receiver to answer one action'),
    }),
    capabilities: () => GenericPanelApi.CAPABILITIES,
    create: ({ panelActionsUrl, panelTimeoutSeconds }, { webhookSecret }) =>
      panelActionsUrl === undefined ? undefined : new GenericPanelApi({ url: panelActionsUrl, secret: webhookSecret, timeoutMs: panelTimeoutSeconds * 1000 }),
  }),
  whmcs: definePanelAdapter({
    description:
      'WHMCS: events come from the addon module in integrations/whmcs as signed webhooks; actions go through the WHMCS API (AddCredit, UpdateInvoice, UpdateClient, SendEmail)',
    options: z.object({
      whmcsApiUrl: z.url().optional().describe("env WHMCS_API_URL: the panel's includes/api.php (or its base URL); unset, actions wait in the outbox"),
      whmcsApiIdentifier: z.string().min(1).optional().describe('env WHMCS_API_IDENTIFIER'),
      whmcsApiSecret: z.string().min(1).optional().describe('env WHMCS_API_SECRET'),
      whmcsApiAccessKey: z.string().min(1).optional().describe('env WHMCS_API_ACCESS_KEY'),
      whmcsApiTimeoutMs: z.number().int().min(1000).describe('env WHMCS_API_TIMEOUT_MS'),
      whmcsTierGroups: z.string().optional().describe('env WHMCS_TIER_GROUPS'),
    }),
    capabilities: (o) => whmcsCapabilities(parseTierGroups(o.whmcsTierGroups)),
    create: (o) =>
      o.whmcsApiUrl === undefined || o.whmcsApiIdentifier === undefined || o.whmcsApiSecret === undefined
        ? undefined
        : new WhmcsPanelApi(
            new WhmcsApiClient({
              url: o.whmcsApiUrl,
              identifier: o.whmcsApiIdentifier,
              secret: o.whmcsApiSecret,
              ...(o.whmcsApiAccessKey !== undefined && { accessKey: o.whmcsApiAccessKey }),
              timeoutMs: o.whmcsApiTimeoutMs,
            }),
            { tierGroups: parseTierGroups(o.whmcsTierGroups) },
          ),
  }),
} satisfies Readonly<Record<string, PanelAdapterDefinition>>;

export type PanelAdapterName = keyof typeof PANEL_ADAPTERS;

/** For `z.enum`: the names, non-empty. */
export const PANEL_ADAPTER_NAMES = Object.keys(PANEL_ADAPTERS) as [PanelAdapterName, ...PanelAdapterName[]];

/** Builds the named adapter from the plugin config, whose fields its options schema picks. */
export function createPanelAdapter(name: PanelAdapterName, config: object, context: PanelAdapterContext): PanelApi | undefined {
  const definition: PanelAdapterDefinition = PANEL_ADAPTERS[name];
  return definition.create(adapterOptions(name, definition, config), context);
}

/** What the named adapter can do, from the plugin config, whether or not it can send yet. */
export function panelAdapterCapabilities(name: PanelAdapterName, config: object): PanelCapabilities {
  const definition: PanelAdapterDefinition = PANEL_ADAPTERS[name];
  return definition.capabilities(adapterOptions(name, definition, config));
}

function adapterOptions(name: PanelAdapterName, definition: PanelAdapterDefinition, config: object): unknown {
  const parsed = definition.options.safeParse(config);
  if (!parsed.success) {
    throw new ConfigError(
      `Options of the ${name} panel adapter are invalid: ${describeProblems(fieldProblems(parsed.error, config))}`,
      'See the configuration table in README.md.',
    );
  }
  return parsed.data;
}
