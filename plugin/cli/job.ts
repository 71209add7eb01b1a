import { pino } from 'pino';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { ConfigError } from '../errors';
import { createPlugin, type HostingRewardsPlugin } from '../index';
import { periodProblem } from '../jobs/job-definition';
import type { JobOutcome } from '../jobs/scheduler';
import { Progress } from '../lib/progress';
import { createLogger } from '../logger';
import { resolveSecrets } from '../secrets';
import { EXIT, failure, runCommand, UsageError } from './exit-codes';

const USAGE = `Usage: npm run job -- <name> [--period YYYY-MM-DD | YYYY-MM] [--dry-run] [--batch-size N]

Runs one job once, as the scheduler would: under its lease, recorded in its period's run
(resuming it if it was interrupted). --period runs a day (a month for statements) that is over
as of its end, e.g. one the sidecar missed. --dry-run reports what would change and writes nothing.
Exit codes: 0 done or already done, 1 failed, 2 usage, 3 busy elsewhere, 4 configuration.`;


interface Args {
  name: string;
  period?: string;
  dryRun: boolean;
  batchSize?: number;
}

function parse(argv: string[], jobs: readonly string[]): Args | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { period: { type: 'string' }, 'dry-run': { type: 'boolean' }, 'batch-size': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return 'help';
  const [name, ...extra] = positionals;
  if (!name) throw new UsageError(`Name a job: ${jobs.join(', ')}`);
  if (extra.length > 0) throw new UsageError(`One job at a time; unexpected ${extra.join(' ')}`);
  if (!jobs.includes(name)) throw new UsageError(`Unknown job ${JSON.stringify(name)}; the jobs are ${jobs.join(', ')}`);
  const period = values.period;
  const batch = values['batch-size'];
  // Digits only: Number() would take "1e3", "0x10" and " 7".
  const batchSize = batch === undefined ? undefined : /^\d{1,6}$/.test(batch) ? Number(batch) : NaN;
  if (batchSize !== undefined && (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 100_000)) {
    throw new UsageError(`--batch-size must be a whole number from 1 to 100000 (got ${JSON.stringify(batch)})`);
  }
  return { name, period, dryRun: values['dry-run'] ?? false, batchSize };
}

function summary(outcome: JobOutcome, dryRun: boolean): string {
  const counts = Object.entries(outcome.counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const head = `${outcome.job}${outcome.period === null ? '' : ` ${outcome.period}`}`;
  switch (outcome.status) {
    case 'done':
      return `${head}: ${dryRun ? 'dry run, nothing written; would change' : 'done'}${counts ? ` (${counts})` : ''}${outcome.resumedFrom ? `, resumed after ${outcome.resumedFrom}` : ''}`;
    case 'skipped':
      return outcome.reason === 'busy'
        ? `${head}: skipped, another instance is running it (its lease holds); try again later`
        : `${head}: already done for this period${counts ? ` (${counts})` : ''}; nothing to do`;
    case 'failed':
      return `${head}: failed: ${outcome.error}${counts ? ` (committed so far: ${counts})` : ''}; run it again to resume`;
  }
}

/** `npm run job -- <name> …`: for operators and tests; the sidecar's cron runs the same scheduler. */
async function main(argv: string[]): Promise<number> {
  let plugin: HostingRewardsPlugin | undefined;
  let progress: Progress | undefined;
  try {
    // Help needs no configuration: it is what someone without one reads.
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.done;
    }
    const config = loadConfig();
    const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, pino.destination({ dest: 2, sync: true }));
    plugin = createPlugin({ config, secrets: resolveSecrets(config).secrets, logger, migrate: false });
    const args = parse(argv, plugin.jobs.definitions.map((j) => j.name));
    if (args === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.done;
    }
    const pending = await plugin.db.pendingMigrations();
    if (pending.length > 0) throw new ConfigError(`${pending.length} migration(s) pending, the last ${pending[pending.length - 1]}`, 'Run npm run migrate first.');
    // The email layouts: expiry warnings, statements and tier changes send mail.
    await plugin.load();
    const job = plugin.jobs.definitions.find((j) => j.name === args.name);
    if (job && args.period !== undefined) {
      const [schedule] = await plugin.jobs.schedules();
      const problem = periodProblem(job, args.period, schedule?.timeZone ?? 'UTC', plugin.db.now());
      if (problem) throw new UsageError(problem);
    }
    // Ctrl-C or a service manager's stop: the run stops at its next checkpoint and gives its lease back.
    const stop = () => void plugin?.jobs.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const outcome = await plugin.jobs.run(args.name, {
      period: args.period,
      dryRun: args.dryRun,
      batchSize: args.batchSize,
      onProgress: (p) => {
        progress ??= new Progress(args.name, process.stdout, { unit: p.unit });
        progress.update(p.done, p.total, p.counts);
      },
    });
    progress?.finish();
    process.stdout.write(`${summary(outcome, args.dryRun)}\n`);
    if (outcome.status === 'done') return EXIT.done;
    if (outcome.status === 'skipped') return outcome.reason === 'busy' ? EXIT.busy : EXIT.done;
    return EXIT.failed;
  } catch (err) {
    progress?.finish();
    return failure('job', err, USAGE);
  } finally {
    await plugin?.shutdown();
  }
}

runCommand('job', () => main(process.argv.slice(2)));
