import { z } from 'zod';
import { describeProblems, fieldProblems } from '../domain/validation';
import { ConfigError } from '../errors';
import { DemoPanelApi } from './demo/demo-panel-api';
import { GenericPanelApi } from './generic/generic-panel-api';
import type { PanelApi } from './panel-api';

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
    create: ({ panelActionsUrl, panelTimeoutSeconds }, { webhookSecret }) =>
      panelActionsUrl === undefined ? undefined : new GenericPanelApi({ url: panelActionsUrl, secret: webhookSecret, timeoutMs: panelTimeoutSeconds * 1000 }),
  }),
} satisfies Readonly<Record<string, PanelAdapterDefinition>>;

export type PanelAdapterName = keyof typeof PANEL_ADAPTERS;

/** For `z.enum`: the names, non-empty. */
export const PANEL_ADAPTER_NAMES = Object.keys(PANEL_ADAPTERS) as [PanelAdapterName, ...PanelAdapterName[]];

/** Builds the named adapter from the plugin config, whose fields its options schema picks. */
export function createPanelAdapter(name: PanelAdapterName, config: object, context: PanelAdapterContext): PanelApi | undefined {
  const definition: PanelAdapterDefinition = PANEL_ADAPTERS[name];
  const parsed = definition.options.safeParse(config);
  if (!parsed.success) {
    throw new ConfigError(
      `Options of the ${name} panel adapter are invalid: ${describeProblems(fieldProblems(parsed.error, config))}`,
      'See the configuration table in README.md.',
    );
  }
  return definition.create(parsed.data, context);
}
