/**
 * The Rewards tab bench's baseline (DESIGN §9): the same page rendered with the same templates
 * and helpers from data read once, so what the bench compares is the plugin's per-view work
 * (session, queries, presenting) against rendering alone. Run as a child process like the
 * sidecar, with DATABASE_URL, CLIENT_ID, PORT and the sidecar's secrets in the environment;
 * prints "ready" once it listens.
 */
import express from 'express';
import { loadConfig } from '../../plugin/config';
import { createPlugin } from '../../plugin/index';
import { createLogger } from '../../plugin/logger';
import { ViewRenderer } from '../../plugin/web/views';

async function main(): Promise<void> {
  const config = loadConfig();
  const plugin = createPlugin({
    config,
    secrets: { webhook: process.env.WEBHOOK_SECRET ?? '', sso: process.env.SSO_SECRET ?? '', session: process.env.SESSION_SECRET ?? '' },
    logger: createLogger('silent'),
    migrate: false,
  });
  await plugin.init();
  const { model, i18n } = await plugin.presenters.rewardsTab.build(process.env.CLIENT_ID ?? '1');
  const views = new ViewRenderer();
  views.init();
  const app = express();
  app.get('/client/rewards', (_req, res) => {
    res.set('Cache-Control', 'no-store');
    res.type('html').send(views.render('client/rewards', model, { i18n, mount: '' }));
  });
  app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
