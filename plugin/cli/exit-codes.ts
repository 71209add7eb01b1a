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
