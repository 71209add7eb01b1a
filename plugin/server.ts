import express from 'express';
import { pinoHttp } from 'pino-http';
import { loadConfig } from './config';
import { createPlugin } from './index';
import { CronTable } from './jobs/cron-table';
import { createLogger } from './logger';
import { resolveSecrets } from './secrets';

/** The sidecar: one Express app around the plugin's router, with a clean shutdown. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const { secrets, generated } = resolveSecrets(config);
  const plugin = createPlugin({ config, secrets, logger });
  await plugin.init();

  const app = express();
  app.disable('x-powered-by');
  if (config.trustProxy) app.set('trust proxy', config.trustProxy);
  app.use(pinoHttp({ logger, autoLogging: { ignore: (req) => req.url === '/healthz' } }));
  app.use(plugin.router);

  // Every instance schedules every declared job; each run first takes the job's lease in the
  // database, so one instance runs it and the others skip (jobs/scheduler.ts). The schedules
  // and time zone are settings: re-read every minute, so a change needs no restart.
  const jobs = new CronTable(() => plugin.jobs.schedules(), runJob, logger);
  await jobs.refresh();
  const refresh = setInterval(() => void jobs.refresh(), 60_000);
  refresh.unref();
  async function runJob(job: string): Promise<void> {
    try {
      await plugin.jobs.run(job); // logs its own outcome
    } catch (err) {
      logger.error({ job, err }, 'scheduled job failed');
    }
  }

  const server = app.listen(config.port, config.host, () => {
    const url = config.publicUrl ?? `http://localhost:${config.port}`;
    logger.info({ url, panel: config.panel, database: plugin.db.dialect }, `hosting-rewards listening on ${url}`);
    if (generated) {
      // Printed on purpose: the demo's panel (and a curl user) needs it to sign events.
      process.stdout.write(
        `\n  Demo panel: ${url}/\n  Webhook secret (WEBHOOK_SECRET): ${secrets.webhook}\n  Kept in ${config.dataDir}/demo-secrets.json\n\n`,
      );
    }
  });

  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    clearInterval(refresh);
    void jobs.stop();
    server.close(() => {
      plugin.shutdown().then(
        () => process.exit(0),
        (err) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  const help = (err as { options?: { help?: string } }).options?.help;
  process.stderr.write(`hosting-rewards failed to start: ${(err as Error).message}${help ? `\n  ${help}` : ''}\n`);
  process.exit(1);
});
