import fs from 'node:fs';
import http from 'node:http';
import type mysql from 'mysql2/promise';
import { warn } from './log';
import { recreateDatabase } from './mariadb';
import { serverAlive, stopServer, type Server } from './server';

export interface RunOptions {
  /** The whole run must end inside this, whatever hangs. */
  watchdogMs: number;
  /** How long the server gets to exit on SIGTERM (a CPU profile is written only on a clean exit). */
  serverGraceMs: number;
  /** Keep the temp directory (it holds the profile). */
  keepTmpDir: boolean;
}

/**
 * Everything a bench run holds (the admin connection, the server, its databases, temp files,
 * HTTP agents), and one idempotent cleanup for every way the run can end: success, failure,
 * a signal, or the watchdog.
 */
export class BenchRun {
  admin?: mysql.Connection;
  server?: Server;
  tmpDir?: string;
  private readonly databases: string[] = [];
  private readonly agents: http.Agent[] = [];
  /** Other processes the run started (baseline servers): stopped with the server. */
  private readonly stops: Array<() => void> = [];
  private closed = false;
  private readonly watchdog: NodeJS.Timeout;

  constructor(private readonly options: RunOptions) {
    // `exit` handlers can't wait, but a synchronous kill still stops an orphaned server.
    process.on('exit', () => {
      if (serverAlive(this.server)) this.server?.child.kill('SIGKILL');
      for (const stop of this.stops) stop();
    });
    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      process.on(signal, () => {
        warn(`${signal}: cleaning up`);
        void this.cleanup().finally(() => process.exit(code));
      });
    }
    // Not unref'd: if every handle closed while a phase still awaited, the run would otherwise
    // end silently with exit code 0 and the databases left behind.
    this.watchdog = setTimeout(() => {
      warn(`still running after ${options.watchdogMs / 1000} s: giving up`);
      void this.cleanup().finally(() => process.exit(1));
    }, options.watchdogMs);
  }

  /** True once cleanup has begun: load loops stop starting new work. */
  get stopped(): boolean {
    return this.closed;
  }

  /** Drops and creates the database, and drops it again at cleanup. */
  async freshDatabase(admin: mysql.Connection, name: string): Promise<void> {
    await recreateDatabase(admin, name);
    this.databases.push(name);
  }

  /** A keep-alive agent, destroyed at cleanup so the server's close() isn't held open. */
  agent(maxSockets: number): http.Agent {
    const agent = new http.Agent({ keepAlive: true, maxSockets });
    this.agents.push(agent);
    return agent;
  }

  /** `stop` (synchronous, idempotent) runs at cleanup, however the run ends. */
  onCleanup(stop: () => void): void {
    this.stops.push(stop);
  }

  async cleanup(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Keep-alive sockets would hold the server's close() open until its own 10 s fallback.
    for (const agent of this.agents) agent.destroy();
    for (const stop of this.stops) stop();
    await stopServer(this.server, this.options.serverGraceMs).catch(() => undefined);
    for (const db of this.databases) {
      await this.admin?.query(`DROP DATABASE IF EXISTS \`${db}\``).catch((err: Error) => warn(`could not drop ${db}: ${err.message}`));
    }
    await this.admin?.end().catch(() => undefined);
    if (this.tmpDir && !this.options.keepTmpDir) fs.rmSync(this.tmpDir, { recursive: true, force: true });
  }

  /** Call once main() has settled, so the watchdog doesn't hold the process open. */
  done(): void {
    clearTimeout(this.watchdog);
  }
}
