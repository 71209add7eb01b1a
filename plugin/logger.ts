import pino, { type DestinationStream, type Logger } from 'pino';
import { currentRequestId } from './lib/request-context';

export type { Logger };

/**
 * Structured JSON logs on stdout; one line per event, machine-readable first. A line written
 * while serving a request carries its `req_id` (lib/request-context.ts), whoever writes it.
 * `destination` is for tests that read what was logged, and for commands whose stdout is their
 * report (npm run job logs to stderr).
 */
export function createLogger(level: string = 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      name: 'hosting-rewards',
      level,
      redact: { paths: ['req.headers.cookie', 'req.headers["webhook-signature"]', 'req.query.token'], remove: true },
      mixin() {
        const id = currentRequestId();
        return id === undefined ? {} : { req_id: id };
      },
    },
    destination,
  );
}
