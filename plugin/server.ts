import net from 'node:net';
import express from 'express';
import { loadConfig } from './config';
import { createPlugin } from './index';
import { CronTable } from './jobs/cron-table';
import { createLogger } from './logger';
import { resolveSecrets } from './secrets';
import { acceptQueueDrained, createHttpServer } from './web/http-server';

/** The sidecar: one Express app around the plugin's router, with a clean shutdown. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const { secrets, generated } = resolveSecrets(config);
  const plugin = createPlugin({ config, secrets, logger });
  await plugin.init();
  const adminSetupPath = await plugin.adminSetupPath();

  const app = express();
  app.disable('x-powered-by');
  if (config.trustProxy) app.set('trust proxy', config.trustProxy);
  let stopping = false;
  // While shutting down, every answer closes its connection, so keep-alive clients reconnect
  // to another instance instead of sending to one that is going away.
  app.use((_req, res, next) => {
    if (stopping) res.set('Connection', 'close');
    next();
  });
  // The plugin's router logs one line per request itself (web/request-log.ts).
  app.use(plugin.router);

  // Every instance schedules every declared job; each run first takes the job's lease in the
  // database, so one instance runs it and the others skip (jobs/scheduler.ts). The schedules
  // and time zone are settings: re-read every minute, so a change needs no restart. At start
  // and every minute it also resumes runs an instance left unfinished (it died, or was
  // stopped), once nobody holds their lease: they don't wait for their next fire time.
  const jobs = new CronTable(() => plugin.jobs.schedules(), runJob, { logger, resumeInterrupted: () => plugin.jobs.resumeInterrupted() });
  await jobs.start();
  async function runJob(job: string): Promise<void> {
    try {
      await plugin.jobs.run(job); // logs its own outcome
    } catch (err) {
      logger.error({ job, err }, 'scheduled job failed');
    }
  }

  const server = createHttpServer(app, config.http);
  server.listen(config.port, config.host, () => {
    const url = config.publicUrl ?? `http://localhost:${config.port}`;
    logger.info({ url, panel: config.panel, database: plugin.db.dialect }, `hosting-rewards listening on ${url}`);
    if (adminSetupPath !== null) {
      // Printed on purpose, once per start while no owner password exists: it is how the first
      // owner gets in without a panel. It works once and for 24 hours; ADMIN_PASSWORD replaces it.
      process.stdout.write(`\n  Admin setup link (sets the owner password, works once): ${url}${adminSetupPath}\n`);
    }
    if (generated) {
      // Printed on purpose: the demo's panel (and a curl user) needs it to sign events.
      process.stdout.write(
        `\n  Demo panel: ${url}/\n  Admin area: ${url}/admin (the demo panel's page opens it as owner, billing or viewer)\n  Webhook secret (WEBHOOK_SECRET): ${secrets.webhook}\n  Kept in ${config.dataDir}/demo-secrets.json\n\n`,
      );
    }
  });

  /**
   * Accept what clients had already sent before the signal (the kernel's accept queue, for at
   * most half of SHUTDOWN_TIMEOUT_MS), then stop accepting connections, let every request
   * accepted get its answer (idle keep-alive sockets are closed, busy ones after their
   * response), let the job run in progress finish its batch and release its lease, then close
   * the pool. A request or job still running after SHUTDOWN_TIMEOUT_MS is abandoned: the panel
   * redelivers, the lease expires.
   */
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.getConnections((_err, connections) =>
      logger.info({ signal, connections }, 'shutting down: accepting the connections already queued, then no new ones; finishing requests in flight and the running job'),
    );
    void jobs.stop();
    setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; exiting with work in flight');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    const closed = acceptQueueDrained(server, config.shutdownTimeoutMs / 2).then(() => {
      // net.Server's close, not http.Server's: the latter also destroys every connection that
      // has no parsed request yet, and one accepted a moment ago whose request is still on its
      // way would be reset. Stop listening only; the callback runs once every connection ended.
      const ended = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
      // Connections idle past a short grace are closed; busy ones close after their answer.
      setTimeout(() => server.closeIdleConnections(), 1000).unref();
      return ended;
    });
    closed
      .then(() => plugin.shutdown())
      .then(
        () => {
          logger.info('shut down cleanly');
          process.exit(0);
        },
        (err) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  const help = (err as { options?: { help?: string } }).options?.help;
  process.stderr.write(`hosting-rewards failed to start: ${(err as Error).message}${help ? `\n  ${help}` : ''}\n`);
  process.exit(1);
});
