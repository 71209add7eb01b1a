import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stdout; one line per event, machine-readable first. A command whose
 * stdout is its report (npm run job) logs to stderr instead (`fd` 2).
 */
export function createLogger(level: string = 'info', fd: 1 | 2 = 1): Logger {
  const options = {
    name: 'hosting-rewards',
    level,
    redact: { paths: ['req.headers.cookie', 'req.headers["webhook-signature"]', 'req.query.token'], remove: true },
  };
  return fd === 1 ? pino(options) : pino(options, pino.destination({ dest: 2, sync: true }));
}
