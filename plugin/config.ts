import path from 'node:path';
import { z } from 'zod';
import { describeProblems, fieldProblems } from './domain/validation';
import { ConfigError } from './errors';
import { PANEL_ADAPTER_NAMES } from './panels/adapters';

const SECRET_MIN = 'must be at least 32 characters';

/**
 * Documents a variable where it is declared: its meaning, and, when the default is not a
 * plain value (computed, generated, or none), what the README's default column says.
 */
function documented<T extends z.ZodType>(schema: T, description: string, defaultText?: string): T {
  return schema.meta({ description, ...(defaultText !== undefined && { defaultText }) });
}

/**
 * Every environment variable the plugin reads, declared once: its check, its default and its
 * meaning. `PluginConfig` is inferred from this, and the README's configuration table is
 * checked against it (test/unit/config.test.ts).
 */
const variables = z.object({
  PORT: documented(z.coerce.number().int().min(0).max(65535).default(3000), 'HTTP port'),
  HOST: documented(z.string().default('0.0.0.0'), 'bind address'),
  DATABASE_URL: documented(
    z
      .string()
      .regex(/^(sqlite:|mysql:\/\/|mariadb:\/\/)./, 'must be sqlite:<file> or mysql://user:pass@host:3306/db (mariadb:// works too)')
      .optional(),
    '`sqlite:<file>` or `mysql://user:pass@host:3306/db` (`mariadb://` works too); on the database\'s host, `mysql://user:pass@localhost/db?socket=/run/mysqld/mysqld.sock` uses its Unix socket',
    '`sqlite:data/hosting-rewards.sqlite`',
  ),
  DATA_DIR: documented(z.string().default('data'), 'where the SQLite file and the demo secrets live'),
  PANEL: documented(z.enum(PANEL_ADAPTER_NAMES).default('demo'), '`demo` runs the demo panel; `generic` is a real panel sending canonical events; `whmcs` is WHMCS with the addon module (README "Install into WHMCS")'),
  PANEL_ORIGIN: documented(
    z.string().url().optional(),
    "the panel's origin (`https://billing.example.com`), allowed to frame the Rewards tab (CSP `frame-ancestors`)",
    'none',
  ),
  PANEL_ACTIONS_URL: documented(
    z.string().url().optional(),
    "with `PANEL=generic`: the panel-side shim's URL that receives panel actions (discount lines, client tiers, credits) as Standard Webhooks signed with `WEBHOOK_SECRET`; `webhook-id` is the action's idempotency key. Unset: actions wait in the outbox",
    'none',
  ),
  WHMCS_API_URL: documented(
    z.string().url().optional(),
    "with `PANEL=whmcs`: the WHMCS API, `https://billing.example.com/includes/api.php` (a base URL gets `/includes/api.php` added). Unset (or without the identifier and secret): actions wait in the outbox",
    'none',
  ),
  WHMCS_API_IDENTIFIER: documented(z.string().min(1).optional(), 'with `PANEL=whmcs`: the API credential\'s identifier (WHMCS: System Settings > API Credentials)', 'none'),
  WHMCS_API_SECRET: documented(z.string().min(1).optional(), "with `PANEL=whmcs`: the API credential's secret", 'none'),
  WHMCS_API_ACCESS_KEY: documented(
    z.string().min(1).optional(),
    "with `PANEL=whmcs`: WHMCS's API access key (`$api_access_key` in configuration.php), so the API answers this server without adding its IP to WHMCS's allow list",
    'none',
  ),
  WHMCS_API_TIMEOUT_MS: documented(
    z.coerce.number().int().min(1000).max(120_000).default(15_000),
    'with `PANEL=whmcs`: how long one WHMCS API call may take; a timeout is retried (a credit is looked up in GetCredits first and an email in GetEmails, so neither is applied twice)',
  ),
  WHMCS_TIER_GROUPS: documented(
    z
      .string()
      .regex(/^\s*([^=,;\n]+=\s*\d{1,10}\s*([,;\n]\s*|$))*$/, 'must be Tier=<group id> pairs separated by commas, e.g. Silver=2,Gold=3')
      .optional(),
    'with `PANEL=whmcs` and `tier_discount_method` `client_tier`: which WHMCS client group (whose discount % applies) each tier puts the client in, `Silver=2,Gold=3` (tier names in any case; `0` is no group)',
    'none',
  ),
  OUTBOX_MAX_ATTEMPTS: documented(
    z.coerce.number().int().min(1).max(100).default(12),
    'attempts per panel action (exponential backoff with jitter, 1 minute doubling to at most 6 hours) before it is marked `failed`',
  ),
  PANEL_TIMEOUT_SECONDS: documented(
    z.coerce.number().int().min(1).max(120).default(20),
    'how long the generic adapter waits for the receiver at `PANEL_ACTIONS_URL` to answer one action; a receiver that hangs longer counts as a network error and the action is retried',
  ),
  OUTBOX_CONCURRENCY: documented(
    z.coerce.number().int().min(1).max(64).default(8),
    'panel actions in flight at once per dispatcher run, so a receiver that hangs on one action does not hold up the others',
  ),
  SMTP_URL: documented(
    z.string().regex(/^smtps?:\/\/./, 'must be an smtp:// or smtps:// URL').optional(),
    'with the `email_channel` setting `smtp`: where member emails go, `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`; unset, such emails wait in the outbox',
    'none',
  ),
  SMTP_FROM: documented(
    z.string().min(3).default('Rewards <rewards@localhost>'),
    'the `From` of emails sent by SMTP, e.g. `Example Hosting <rewards@example.com>`',
  ),
  EVENT_SOURCE: documented(
    z.string().regex(/^[a-z0-9_-]{1,32}$/, 'lower-case letters, digits, _ or -, at most 32').optional(),
    'inbox source name: events are unique per (source, event id)',
    '`demo`, or `panel` with `PANEL=generic`',
  ),
  WEBHOOK_SECRET: documented(
    z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'must be whsec_ followed by base64').optional(),
    'Standard Webhooks secret, `whsec_` + base64; required unless `PANEL=demo`',
    'generated for the demo',
  ),
  SSO_SECRET: documented(
    z.string().min(32, SECRET_MIN).optional(),
    'HS256 key (32+ characters) the panel signs SSO tokens with; required unless `PANEL=demo`',
    'generated for the demo',
  ),
  SSO_CLOCK_SKEW_SECONDS: documented(
    z.coerce.number().int().min(0).max(300).default(60),
    "how far the panel's clock may differ from this server's when an SSO token's `iat`, `nbf` and `exp` are checked; a token's used `jti` is kept until `exp` plus this",
  ),
  SESSION_SECRET: documented(
    z.string().min(32, SECRET_MIN).optional(),
    "key (32+ characters) for the plugin's own session cookie and CSRF tokens; required unless `PANEL=demo`",
    'generated for the demo',
  ),
  ADMIN_PASSWORD: documented(
    z
      .string()
      .min(12, 'must be at least 12 characters')
      .refine((v) => Buffer.byteLength(v, 'utf8') <= 72, 'must be at most 72 bytes (bcrypt reads no further)')
      .optional(),
    "the standalone owner's password for `/admin/login` (kept only as a bcrypt hash); unset and none set yet, a one-time setup link is printed at start-up. Admins coming from the panel sign in by admin SSO instead",
    'none (setup link)',
  ),
  ADMIN_LOCKOUT_FAILURES: documented(
    z.coerce.number().int().min(1).max(100).default(5),
    'wrong owner passwords in a row (per `ADMIN_LOCKOUT_MINUTES`) before `/admin/login` locks; the lockout is logged and audited',
  ),
  ADMIN_LOCKOUT_MINUTES: documented(
    z.coerce.number().int().min(1).max(1440).default(15),
    'how long the owner password sign-in stays locked after `ADMIN_LOCKOUT_FAILURES` failures (admin SSO still works)',
  ),
  PUBLIC_URL: documented(z.string().url().optional(), 'the URL printed at start-up', '`http://localhost:$PORT`'),
  TRUST_PROXY: documented(
    z.string().optional(),
    'Express `trust proxy` setting when behind TLS termination (then cookies are `Secure`)',
    'none',
  ),
  LOG_LEVEL: documented(
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`; logs are JSON lines on stdout',
  ),
  DB_POOL_MAX: documented(
    z.coerce.number().int().min(1).max(200).default(20),
    'MySQL connection pool size (SQLite always uses one connection)',
  ),
  INGEST_BATCH_MAX: documented(
    z.coerce.number().int().min(1).max(500).default(32),
    '`invoice.paid` deliveries that may share one transaction when they arrive together (a group commit: the next batch is whatever waited while the last one ran, never a wait for more); `1` gives each its own transaction',
  ),
  RATE_LIMIT_SIGN_IN_PER_IP: documented(
    z.coerce.number().int().min(0).default(60),
    'sign-in attempts (`/sso`) per minute from one IP address, counted in the database so all instances share them; `0` turns the limit off. Over it: `429` with `Retry-After`',
  ),
  RATE_LIMIT_SIGN_IN_PER_MEMBER: documented(
    z.coerce.number().int().min(0).default(20),
    'sign-ins per minute of one member (counted after the token is verified); `0` turns the limit off',
  ),
  RATE_LIMIT_BAD_WEBHOOKS_PER_IP: documented(
    z.coerce.number().int().min(0).default(300),
    'webhook deliveries with a missing, stale or wrong signature per minute from one IP address; over it, that address\'s badly signed deliveries get `429` with `Retry-After` until the minute is over. Correctly signed deliveries are never counted, and still applied from an address over the limit; `0` turns the limit off',
  ),
  RATE_LIMIT_REDEEM_PER_MEMBER: documented(
    z.coerce.number().int().min(0).default(10),
    'redemption confirmations per minute of one member (a repeated confirmation counts too); `0` turns the limit off',
  ),
  RATE_LIMIT_REDEEM_PER_IP: documented(
    z.coerce.number().int().min(0).default(60),
    "redemption confirmations per minute from one IP address, all its members together (counted in the database, shared by all instances); keep it above what the members behind one office or carrier NAT confirm in a minute. Over it: `429` with `Retry-After`, on a page in the member's language; `0` turns the limit off",
  ),
  HTTP_HEADERS_TIMEOUT_MS: documented(
    z.coerce.number().int().min(1000).default(10_000),
    "the sidecar's time limit for a client to send the request headers (a slowly trickling client is cut off with `408`)",
  ),
  HTTP_REQUEST_TIMEOUT_MS: documented(
    z.coerce.number().int().min(1000).default(30_000),
    "the sidecar's time limit for a whole request, body included",
  ),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: documented(
    z.coerce.number().int().min(0).default(5_000),
    'how long the sidecar keeps an idle keep-alive connection open; keep it above the reverse proxy\'s upstream idle timeout',
  ),
  HTTP_MAX_CONNECTIONS: documented(
    z.coerce.number().int().min(1).default(1000),
    'open connections the sidecar accepts at once; more are closed on arrival',
  ),
  SHUTDOWN_TIMEOUT_MS: documented(
    z.coerce.number().int().min(1000).default(20_000),
    'on SIGTERM, how long the sidecar waits for requests in flight and the running job batch before it exits anyway',
  ),
  JOB_LEASE_SECONDS: documented(
    z.coerce.number().int().min(2).max(3600).default(300),
    "how long a scheduled job's lease in `loyalty_job_leases` holds without renewal (the running instance renews it every third of this and at every batch): when an instance dies mid-job, another takes the job over at most a minute after the lease runs out (this long after the last renewal)",
  ),
  METRICS_TOKEN: documented(
    z.string().min(16, 'must be at least 16 characters').optional(),
    'turns on `GET /metrics` (Prometheus), answered only with `Authorization: Bearer <token>`; unset, `/metrics` does not exist',
    'none (metrics off)',
  ),
});

const configSchema = variables
  .superRefine((e, ctx) => {
    const whmcsApi = [e.WHMCS_API_URL, e.WHMCS_API_IDENTIFIER, e.WHMCS_API_SECRET];
    if (e.PANEL === 'whmcs' && whmcsApi.some((v) => v !== undefined) && whmcsApi.some((v) => v === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [whmcsApi[0] === undefined ? 'WHMCS_API_URL' : whmcsApi[1] === undefined ? 'WHMCS_API_IDENTIFIER' : 'WHMCS_API_SECRET'],
        message: 'is missing: set WHMCS_API_URL, WHMCS_API_IDENTIFIER and WHMCS_API_SECRET together',
      });
    }
    if (e.PANEL_ACTIONS_URL && e.PANEL === 'demo') {
      // The demo panel would take the actions meant for the real one (and run a public demo page).
      ctx.addIssue({
        code: 'custom',
        path: ['PANEL_ACTIONS_URL'],
        message: 'is set but PANEL is not generic; set PANEL=generic for a real panel',
      });
    }
  })
  .transform((e) => {
    const dataDir = path.resolve(e.DATA_DIR);
    return {
      port: e.PORT,
      host: e.HOST,
      /** `sqlite:<file>` or `mysql://user:pass@host:3306/db`. */
      databaseUrl: e.DATABASE_URL ?? `sqlite:${path.join(dataDir, 'hosting-rewards.sqlite')}`,
      dataDir,
      panel: e.PANEL,
      /** Origin allowed to frame the Rewards tab (CSP frame-ancestors). */
      panelOrigin: e.PANEL_ORIGIN,
      /** Where the generic adapter POSTs panel actions (a panel-side shim); unset: actions wait. */
      panelActionsUrl: e.PANEL_ACTIONS_URL,
      /** The WHMCS adapter's API access (PANEL=whmcs); any of url, identifier, secret unset: actions wait. */
      whmcsApiUrl: e.WHMCS_API_URL,
      whmcsApiIdentifier: e.WHMCS_API_IDENTIFIER,
      whmcsApiSecret: e.WHMCS_API_SECRET,
      whmcsApiAccessKey: e.WHMCS_API_ACCESS_KEY,
      whmcsApiTimeoutMs: e.WHMCS_API_TIMEOUT_MS,
      whmcsTierGroups: e.WHMCS_TIER_GROUPS,
      /** Attempts per outbox action before it is marked failed. */
      outboxMaxAttempts: e.OUTBOX_MAX_ATTEMPTS,
      /** Per action sent by the generic adapter. */
      panelTimeoutSeconds: e.PANEL_TIMEOUT_SECONDS,
      /** Panel actions in flight at once per dispatcher run. */
      outboxConcurrency: e.OUTBOX_CONCURRENCY,
      /** Where `smtp`-channel emails go; unset: they wait in the outbox. */
      smtpUrl: e.SMTP_URL,
      smtpFrom: e.SMTP_FROM,
      /** Inbox source name: events are unique per (source, id). */
      eventSource: e.EVENT_SOURCE ?? (e.PANEL === 'demo' ? 'demo' : 'panel'),
      webhookSecret: e.WEBHOOK_SECRET,
      ssoSecret: e.SSO_SECRET,
      ssoClockSkewSeconds: e.SSO_CLOCK_SKEW_SECONDS,
      sessionSecret: e.SESSION_SECRET,
      /** The standalone owner's password; hashed at start-up, never stored as given. */
      adminPassword: e.ADMIN_PASSWORD,
      adminLockout: { failures: e.ADMIN_LOCKOUT_FAILURES, minutes: e.ADMIN_LOCKOUT_MINUTES },
      publicUrl: e.PUBLIC_URL,
      trustProxy: e.TRUST_PROXY,
      logLevel: e.LOG_LEVEL,
      dbPoolMax: e.DB_POOL_MAX,
      ingestBatchMax: e.INGEST_BATCH_MAX,
      /** Per minute; 0 is off. */
      rateLimits: {
        signInPerIp: e.RATE_LIMIT_SIGN_IN_PER_IP,
        signInPerMember: e.RATE_LIMIT_SIGN_IN_PER_MEMBER,
        badWebhooksPerIp: e.RATE_LIMIT_BAD_WEBHOOKS_PER_IP,
        redeemPerMember: e.RATE_LIMIT_REDEEM_PER_MEMBER,
        redeemPerIp: e.RATE_LIMIT_REDEEM_PER_IP,
      },
      http: {
        headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
        requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
        keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
        maxConnections: e.HTTP_MAX_CONNECTIONS,
      },
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      /** A job lease's life without renewal, in seconds. */
      jobLeaseSeconds: e.JOB_LEASE_SECONDS,
      metricsToken: e.METRICS_TOKEN,
    };
  });

export type PluginConfig = z.output<typeof configSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PluginConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      `Invalid environment: ${describeProblems(fieldProblems(parsed.error))}`,
      'See the configuration table in README.md.',
    );
  }
  return parsed.data;
}

/** One row of the README's configuration table. */
export interface VariableDoc {
  name: string;
  /** As the README shows it: a plain default in backticks, or the documented text. */
  default: string;
  description: string;
}

/** The configuration table, from the declarations above. */
export function describeVariables(): VariableDoc[] {
  return Object.entries(variables.shape).map(([name, schema]) => {
    const meta = schema.meta() ?? {};
    const defaultText = typeof meta.defaultText === 'string' ? meta.defaultText : undefined;
    const plain = schema instanceof z.ZodDefault ? `\`${String(schema.def.defaultValue)}\`` : undefined;
    return { name, default: defaultText ?? plain ?? 'none', description: String(meta.description ?? '') };
  });
}
