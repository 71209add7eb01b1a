import http from 'node:http';
import type { RequestListener } from 'node:http';

export interface HttpServerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/**
 * The sidecar's HTTP server, with its limits set on purpose rather than left to Node's
 * defaults (a trickled body was held 319 s, trickled headers 79 s, with no cap on sockets):
 * - headers must arrive within `headersTimeoutMs` and the whole request within
 *   `requestTimeoutMs`, else 408 and the socket closes; Node checks these every
 *   `connectionsCheckingInterval`, so that is set to a second, not its default 30 s;
 * - an idle keep-alive socket closes after `keepAliveTimeoutMs`;
 * - at most `maxConnections` sockets at once; more are dropped on arrival.
 */
export function createHttpServer(listener: RequestListener, limits: HttpServerLimits): http.Server {
  const checkEveryMs = Math.min(1000, limits.headersTimeoutMs);
  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: checkEveryMs,
    },
    listener,
  );
  server.maxConnections = limits.maxConnections;
  return server;
}
