import http from 'node:http';
import type { RequestListener, Server } from 'node:http';

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

/**
 * Resolves once the kernel's queue of connections waiting for `accept` is empty, or after
 * `maxMs`. Closing a listener resets every connection still in that queue, though its client
 * has sent its request and waits for the answer; under load the queue is long, because Node
 * accepts at most one connection per turn of the event loop. So keep listening until a whole
 * turn passes without a new connection (the listening socket was not readable, so nothing was
 * queued), then close: only a connection arriving within that last turn is reset.
 */
export function acceptQueueDrained(server: Server, maxMs: number): Promise<void> {
  return new Promise((resolve) => {
    const deadline = Date.now() + maxMs;
    // The turn that delivered the signal may have accepted one already, unseen: it doesn't count.
    let turns = 0;
    let accepted = false;
    const onConnection = () => {
      accepted = true;
    };
    server.on('connection', onConnection);
    const turn = () => {
      if ((turns++ > 0 && !accepted) || Date.now() >= deadline || !server.listening) {
        server.off('connection', onConnection);
        resolve();
        return;
      }
      accepted = false;
      setImmediate(turn);
    };
    setImmediate(turn);
  });
}
