import net from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createHttpServer } from '../../plugin/web/http-server';
import { startTestApp, type TestApp } from '../support/harness';

/** Opens a raw socket and resolves with what the server sent and how long until it closed. */
function trickle(port: number, chunks: string[], everyMs: number): Promise<{ answer: string; closedAfterMs: number; sent: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < chunks.length && !socket.destroyed) socket.write(chunks[sent++] ?? '');
    }, everyMs);
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer, closedAfterMs: Date.now() - started, sent });
    });
  });
}

describe('slow clients (defect 7), over a real socket', () => {
  const limits = { headersTimeoutMs: 1000, requestTimeoutMs: 2000, keepAliveTimeoutMs: 500, maxConnections: 3 };
  let app: TestApp;
  let server: ReturnType<typeof createHttpServer>;
  let port: number;
  beforeAll(async () => {
    app = await startTestApp();
    const host = express();
    host.use(app.plugin.router);
    server = createHttpServer(host, limits);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await app.close();
  });

  it('cuts off headers trickled a byte at a time with 408 after the headers timeout', async () => {
    const head = 'POST /hooks/events HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(200);
    const r = await trickle(port, head.split(''), 50);
    expect(r.answer).toMatch(/^HTTP\/1.1 408/);
    expect(r.closedAfterMs).toBeLessThan(limits.headersTimeoutMs + 2000);
    expect(r.sent).toBeLessThan(head.length);
  });

  it('cuts off a trickled body after the request timeout', async () => {
    // Headers that pass every check made before the body (a v1 signature of the right shape).
    const head = 'POST /hooks/events HTTP/1.1\r\nHost: x\r\nwebhook-id: e1\r\nwebhook-timestamp: ' +
      `${Math.floor(Date.now() / 1000)}\r\nwebhook-signature: v1,${'A'.repeat(43)}=\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n`;
    const r = await trickle(port, [head, ...Array.from({ length: 200 }, () => 'x'.repeat(10))], 50);
    expect(r.answer).toMatch(/^HTTP\/1.1 408/);
    expect(r.closedAfterMs).toBeLessThan(limits.requestTimeoutMs + 2000);
  });

  it('refuses a webhook without signature headers before reading its body, and closes the connection', async () => {
    const head = 'POST /hooks/events HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 200000\r\n\r\n';
    const r = await trickle(port, [head, 'x'.repeat(100)], 10);
    expect(r.answer).toMatch(/^HTTP\/1.1 401/);
    expect(r.answer).toMatch(/connection: close/i);
    expect(r.closedAfterMs).toBeLessThan(1000);
  });

  it('refuses a stale timestamp before the body', async () => {
    const stale = Math.floor(Date.now() / 1000) - 3600;
    const head = `POST /hooks/events HTTP/1.1\r\nHost: x\r\nwebhook-id: e2\r\nwebhook-timestamp: ${stale}\r\nwebhook-signature: v1,AAAA\r\ncontent-length: 200000\r\n\r\n`;
    const r = await trickle(port, [head], 10);
    expect(r.answer).toMatch(/^HTTP\/1.1 401/);
    expect(r.answer).toMatch(/too old/);
  });

  it('closes idle keep-alive connections after the keep-alive timeout', async () => {
    const r = await trickle(port, ['GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'], 10);
    expect(r.answer).toMatch(/^HTTP\/1.1 200/);
    expect(r.closedAfterMs).toBeLessThan(limits.keepAliveTimeoutMs + 1500);
  });

  it('caps open connections: past maxConnections a new one is dropped', async () => {
    const held = await Promise.all(
      Array.from({ length: limits.maxConnections }, () => new Promise<net.Socket>((r) => {
        const s = net.connect(port, '127.0.0.1', () => r(s));
        s.on('error', () => {});
      })),
    );
    await new Promise((r) => setTimeout(r, 50));
    const extra = await trickle(port, ['GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'], 10);
    expect(extra.answer).toBe('');
    for (const s of held) s.destroy();
  });
});
