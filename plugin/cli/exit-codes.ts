import { ConfigError } from '../errors';

/** What the command-line tools (`npm run job`, `npm run backfill`) exit with, so a wrapper script or cron can tell the cases apart. */
export const EXIT = {
  /** The work ran (or was already done: nothing to do). */
  done: 0,
  failed: 1,
  usage: 2,
  /** Another instance holds the job's lease: try again later. */
  busy: 3,
  /** Migrations pending, settings invalid or secrets missing: fix the configuration first. */
  config: 4,
} as const;

/** Runs a command's `main` and exits with its code; a throw that escaped it is a failure. */
export function runCommand(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${name} failed: ${(err as Error).message}\n`);
      process.exit(EXIT.failed);
    },
  );
}

/** A command line the tool can't run: the usage is printed with it. */
export class UsageError extends Error {}

/**
 * What a command that failed prints, and the code it exits with: the usage for a bad command
 * line, the help of a configuration error, otherwise the message (a driver's may quote a whole
 * multi-row statement, so only its start and end) and `afterFailure`, what to do next.
 */
export function failure(name: string, thrown: unknown, usage: string, afterFailure?: string): number {
  const err = databaseRefusal(thrown) ?? thrown;
  if (err instanceof UsageError || (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) {
    process.stderr.write(`${err.message}\n\n${usage}\n`);
    return EXIT.usage;
  }
  const config = err instanceof ConfigError;
  const message = (err as Error).message;
  const shown = message.length > 800 ? `${message.slice(0, 400)} … ${message.slice(-400)}` : message;
  process.stderr.write(`${name} failed: ${shown}${config ? `\n  ${err.options.help}` : ''}\n`);
  if (!config && afterFailure) process.stderr.write(`${afterFailure}\n`);
  return config ? EXIT.config : EXIT.failed;
}

/** The database server refusing who we are or what we asked for: DATABASE_URL's to fix (exit 4), not worth a retry. */
function databaseRefusal(err: unknown): ConfigError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== 'ER_ACCESS_DENIED_ERROR' && code !== 'ER_DBACCESS_DENIED_ERROR' && code !== 'ER_BAD_DB_ERROR') return undefined;
  return new ConfigError(
    (err as Error).message,
    'Check DATABASE_URL: the user and its password, and the database name (the database must exist: CREATE DATABASE … CHARACTER SET utf8mb4, and the user needs its privileges).',
  );
}
