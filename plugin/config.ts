import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors';
import { PANEL_ADAPTER_NAMES } from './panels/adapters';

/**
 * Every setting the plugin reads, with its default. README.md documents the same table; keep
 * them together when adding one.
 */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().optional(),
  DATA_DIR: z.string().default('data'),
  PANEL: z.enum(PANEL_ADAPTER_NAMES).optional(),
  PANEL_ORIGIN: z.string().url().optional(),
  PANEL_ACTIONS_URL: z.string().url().optional(),
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
  EVENT_SOURCE: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/, 'lower-case letters, digits, _ or -, at most 32')
    .optional(),
  WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'must be whsec_ followed by base64').optional(),
  SSO_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  PUBLIC_URL: z.string().url().optional(),
  TRUST_PROXY: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(20),
});

export type Env = z.infer<typeof envSchema>;

export interface PluginConfig {
  port: number;
  host: string;
  /** `sqlite:<file>` or `mysql://user:pass@host:3306/db`. */
  databaseUrl: string;
  dataDir: string;
  panel: 'demo' | 'generic';
  /** Origin allowed to frame the Rewards tab (CSP frame-ancestors). */
  panelOrigin?: string;
  /** Where the generic adapter POSTs panel actions (a panel-side shim); unset: actions wait. */
  panelActionsUrl?: string;
  /** Attempts per outbox action before it is marked failed. */
  outboxMaxAttempts: number;
  /** Inbox source name: events are unique per (source, id). */
  eventSource: string;
  webhookSecret?: string;
  ssoSecret?: string;
  sessionSecret?: string;
  publicUrl?: string;
  trustProxy?: string;
  logLevel: Env['LOG_LEVEL'];
  dbPoolMax: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PluginConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment: ${lines.join('; ')}`, 'See the configuration table in README.md.');
  }
  const e = parsed.data;
  if (e.PANEL_ACTIONS_URL && (e.PANEL ?? 'demo') === 'demo') {
    // The demo panel would take the actions meant for the real one (and run a public demo page).
    throw new ConfigError('PANEL_ACTIONS_URL is set but PANEL is not generic', 'Set PANEL=generic for a real panel.');
  }
  const panel = e.PANEL ?? 'demo';
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL ?? `sqlite:${path.join(dataDir, 'hosting-rewards.sqlite')}`,
    dataDir,
    panel,
    panelOrigin: e.PANEL_ORIGIN,
    panelActionsUrl: e.PANEL_ACTIONS_URL,
    outboxMaxAttempts: e.OUTBOX_MAX_ATTEMPTS,
    eventSource: e.EVENT_SOURCE ?? (panel === 'demo' ? 'demo' : 'panel'),
    webhookSecret: e.WEBHOOK_SECRET,
    ssoSecret: e.SSO_SECRET,
    sessionSecret: e.SESSION_SECRET,
    publicUrl: e.PUBLIC_URL,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    dbPoolMax: e.DB_POOL_MAX,
  };
}
