import pino, { type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; one line per event, machine-readable first. */
export function createLogger(level: string = 'info'): Logger {
  return pino({
    name: 'hosting-rewards',
    level,
    redact: { paths: ['req.headers.cookie', 'req.headers["webhook-signature"]', 'req.query.token'], remove: true },
  });
}
