import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

/** The sidecar under test, as a child process. */
export interface Server {
  child: ChildProcess;
  port: number;
  /** The last lines the server printed, shown when something goes wrong. */
  tail: string[];
  exited: Promise<number | null>;
}

export interface ServerOptions {
  /** The repository root: the server runs from there. */
  root: string;
  databaseUrl: string;
  dataDir: string;
  secrets: { webhook: string; sso: string; session: string };
  /** Write a .cpuprofile into this directory (on a clean exit). */
  profileDir?: string;
  /** Run dist/plugin/server.js instead of the sources through tsx. */
  dist?: boolean;
  poolMax?: number;
}

const STARTUP_TIMEOUT_MS = 30_000;

export function serverAlive(server: Server | undefined): boolean {
  const child = server?.child;
  return !!child && child.exitCode === null && child.signalCode === null;
}

/** A pino line carries the SQL and a stack; the level, message and error code are what a reader needs. */
function compactLogLine(line: string): string {
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { code?: string; message?: string } };
    const err = entry.err ? ` ${entry.err.code ?? ''} ${(entry.err.message ?? '').slice(-120)}` : '';
    return `level ${entry.level} ${entry.msg ?? ''}${err}`;
  } catch {
    return line.slice(0, 300);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const port = (probe.address() as net.AddressInfo).port;
      probe.close(() => resolve(port));
    });
  });
}

function healthStatus(port: number): Promise<number> {
  return new Promise<number>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/**
 * Starts the sidecar and waits for /healthz (migrations included). `onSpawn` receives the
 * server at once, so a caller can stop it even if startup then fails.
 */
export async function startServer(options: ServerOptions, onSpawn: (server: Server) => void): Promise<Server> {
  const port = await freePort();
  // `node --import tsx` rather than the tsx CLI: one process, so its pid is the server's (RSS,
  // CPU), and sources rather than dist/, which another build may be rewriting.
  const args = [
    ...(options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : []),
    ...(options.dist ? [path.join('dist', 'plugin', 'server.js')] : ['--import', 'tsx', path.join('plugin', 'server.ts')]),
  ];
  const child = spawn(process.execPath, args, {
    cwd: options.root,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PANEL: 'generic',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: options.databaseUrl,
      DATA_DIR: options.dataDir,
      WEBHOOK_SECRET: options.secrets.webhook,
      SSO_SECRET: options.secrets.sso,
      SESSION_SECRET: options.secrets.session,
      LOG_LEVEL: 'warn',
      DB_POOL_MAX: String(options.poolMax ?? 32),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      tail.push(compactLogLine(line));
      if (tail.length > 10) tail.shift();
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const server: Server = { child, port, tail, exited };
  onSpawn(server);

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (!serverAlive(server)) throw new Error(`the server exited during startup:\n${tail.join('\n')}`);
    if ((await healthStatus(port)) === 200) return server;
    if (Date.now() > deadline) throw new Error(`/healthz not 200 within ${STARTUP_TIMEOUT_MS} ms:\n${tail.join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopServer(server: Server | undefined, graceMs: number): Promise<void> {
  if (!server || !serverAlive(server)) return;
  server.child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
  if ((await Promise.race([server.exited, timer])) === 'timeout' && serverAlive(server)) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
}

/**
 * A bench's baseline server (a script under bench/lib run through tsx, as its own process like
 * the sidecar, so neither steals the other's event loop): resolves once it prints "ready".
 * `onSpawn` gets its stop at once, so a run ended during startup still stops it.
 */
export async function startBaselineServer(root: string, script: string, env: Record<string, string>, onSpawn: (stop: () => void) => void): Promise<{ pid: number | undefined; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('bench', 'lib', script)], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = () => void child.kill('SIGKILL');
  onSpawn(stop);
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4096)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready within ${STARTUP_TIMEOUT_MS} ms: ${err}`)), STARTUP_TIMEOUT_MS);
    child.stdout?.on('data', (c: Buffer) => {
      if (!c.toString().includes('ready')) return;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited ${code}: ${err.slice(-500)}`));
    });
  });
  return { pid: child.pid, stop };
}
