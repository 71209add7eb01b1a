import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { PluginConfig } from './config';
import { ConfigError } from './errors';

export interface Secrets {
  webhook: string;
  sso: string;
  session: string;
}

/**
 * Secrets come from the environment. Only the demo panel may run without them: it generates
 * a set once and keeps it in DATA_DIR, so links and signatures survive a restart.
 */
export function resolveSecrets(config: PluginConfig): { secrets: Secrets; generated: boolean } {
  const fromEnv = { webhook: config.webhookSecret, sso: config.ssoSecret, session: config.sessionSecret };
  if (fromEnv.webhook && fromEnv.sso && fromEnv.session) {
    return { secrets: fromEnv as Secrets, generated: false };
  }
  if (config.panel !== 'demo') {
    const missing = ['WEBHOOK_SECRET', 'SSO_SECRET', 'SESSION_SECRET'].filter(
      (_, i) => !Object.values(fromEnv)[i],
    );
    throw new ConfigError(
      `Missing ${missing.join(', ')}`,
      'Set them in the environment: WEBHOOK_SECRET=whsec_<base64>, SSO_SECRET and SESSION_SECRET of 32+ random characters. See README.md.',
    );
  }
  const file = path.join(config.dataDir, 'demo-secrets.json');
  let stored: Partial<Secrets> = {};
  if (fs.existsSync(file)) stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Secrets>;
  const secrets: Secrets = {
    webhook: fromEnv.webhook ?? stored.webhook ?? `whsec_${randomBytes(24).toString('base64')}`,
    sso: fromEnv.sso ?? stored.sso ?? randomBytes(32).toString('base64url'),
    session: fromEnv.session ?? stored.session ?? randomBytes(32).toString('base64url'),
  };
  fs.mkdirSync(config.dataDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return { secrets, generated: true };
}
