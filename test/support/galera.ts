import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A 3-node MariaDB Galera cluster on 127.0.0.1, each node a `mariadbd` with its own datadir,
 * socket, pid file and ports under one root folder (`npm run test:galera` makes it in a temp
 * folder and hands the root to the suite as GALERA_ROOT). The recipe is Debian's mariadb-server
 * and galera-4: node 1 is initialised and bootstraps the cluster (`--wsrep-new-cluster`), nodes
 * 2 and 3 start empty and receive node 1's data by rsync state transfer. Nodes run as the
 * `mysql` user with folders it owns: as root, the rsync transfer fails on permissions.
 */
export interface GaleraNode {
  /** 1, 2 or 3. */
  n: number;
  /** The SQL port, 3311–3313. */
  port: number;
  dir: string;
  socket: string;
  pidFile: string;
  errorLog: string;
  cnf: string;
}

export const GALERA_NODES = 3;
const SQL_PORT = 3310;
const GCOMM_PORT = 4557;
const SST_PORT = 4434;

function providerLibrary(): string {
  for (const candidate of ['/usr/lib/galera/libgalera_smm.so', '/usr/lib/libgalera_smm.so', '/usr/lib64/galera-4/libgalera_smm.so']) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('libgalera_smm.so not found: install galera-4 (apt-get install galera-4; `dpkg -L galera-4` lists it)');
}

export function galeraNodes(root: string): GaleraNode[] {
  return Array.from({ length: GALERA_NODES }, (_, i) => {
    const n = i + 1;
    const dir = path.join(root, `node${n}`);
    return {
      n,
      port: SQL_PORT + n,
      dir,
      socket: path.join(dir, 'mysqld.sock'),
      pidFile: path.join(dir, 'mysqld.pid'),
      errorLog: path.join(dir, 'error.log'),
      cnf: path.join(dir, 'my.cnf'),
    };
  });
}

/** gcomm 4567/4577/4587, IST 4568/4578/4588, rsync SST 4444/4454/4464. */
function gcommPort(n: number): number {
  return GCOMM_PORT + 10 * n;
}

function nodeConfig(node: GaleraNode): string {
  const gcomm = gcommPort(node.n);
  const peers = Array.from({ length: GALERA_NODES }, (_, i) => `127.0.0.1:${gcommPort(i + 1)}`).join(',');
  return `[mariadbd]
user=mysql
datadir=${path.join(node.dir, 'data')}
socket=${node.socket}
pid-file=${node.pidFile}
log-error=${node.errorLog}
bind-address=127.0.0.1
port=${node.port}
skip-name-resolve
performance_schema=OFF
innodb_buffer_pool_size=64M
innodb_log_file_size=48M
innodb_flush_log_at_trx_commit=2
innodb_lock_wait_timeout=10
max_connections=300
# What Galera needs: row events, interleaved auto-increment locks, InnoDB.
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=${providerLibrary()}
wsrep_cluster_name=hr_test_cluster
wsrep_cluster_address=gcomm://${peers}
wsrep_node_name=node${node.n}
wsrep_node_address=127.0.0.1:${gcomm}
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${gcomm};ist.recv_addr=127.0.0.1:${gcomm + 1};gcache.size=64M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:${SST_PORT + 10 * node.n}
wsrep_slave_threads=2
`;
}

async function sql(node: GaleraNode, statement: string): Promise<string> {
  const { stdout } = await run('mariadb', ['--protocol=socket', `--socket=${node.socket}`, '-uroot', '-N', '-B', '-e', statement], { timeout: 10_000 });
  return stdout;
}

/** The node's wsrep status, or null while it doesn't answer. */
export async function wsrepStatus(node: GaleraNode): Promise<Record<string, string> | null> {
  try {
    const out = await sql(node, "SHOW GLOBAL STATUS LIKE 'wsrep_%'");
    return Object.fromEntries(out.trim().split('\n').map((line) => line.split('\t') as [string, string]));
  } catch {
    return null;
  }
}

export function errorLogTail(node: GaleraNode, lines = 40): string {
  try {
    return fs.readFileSync(node.errorLog, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no error log)';
  }
}

function readPid(node: GaleraNode): number | null {
  try {
    const pid = Number(fs.readFileSync(node.pidFile, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pids of the nodes this process started, for a last-resort kill on exit. */
const started = new Map<number, number>();

/**
 * Waits until the node is in a primary cluster of `size`, synced; fails with its error log's
 * tail after `timeoutMs`, or at once when its process has died.
 */
export async function waitSynced(node: GaleraNode, options: { size?: number; timeoutMs?: number } = {}): Promise<void> {
  const size = options.size ?? GALERA_NODES;
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  let last: Record<string, string> | null = null;
  for (;;) {
    last = await wsrepStatus(node);
    if (last && last.wsrep_cluster_size === String(size) && last.wsrep_local_state_comment === 'Synced' && last.wsrep_ready === 'ON') return;
    const pid = started.get(node.n);
    const dead = pid !== undefined && !alive(pid);
    if (dead || Date.now() > deadline) {
      const state = last ? `cluster size ${last.wsrep_cluster_size}, state ${last.wsrep_local_state_comment}, ready ${last.wsrep_ready}` : 'not answering';
      throw new Error(
        `Galera node ${node.n} (port ${node.port}) ${dead ? 'exited' : `is not synced in a cluster of ${size}`}: ${state}.\n` +
          `Last lines of ${node.errorLog}:\n${errorLogTail(node)}`,
      );
    }
    await sleep(500);
  }
}

/** Starts a node's mariadbd in the background (its pid is in its pid file); `bootstrap` forms a new cluster. */
export async function startNode(node: GaleraNode, options: { bootstrap?: boolean } = {}): Promise<number> {
  const args = [`--defaults-file=${node.cnf}`, ...(options.bootstrap ? ['--wsrep-new-cluster'] : [])];
  const child = spawn('/usr/sbin/mariadbd', args, { detached: true, stdio: 'ignore' });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`mariadbd for Galera node ${node.n} did not start`);
  child.unref();
  started.set(node.n, pid);
  return pid;
}

/** Stops a node by the pid in its pid file: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopNode(node: GaleraNode, graceMs = 30_000): Promise<void> {
  const pid = readPid(node) ?? started.get(node.n) ?? null;
  if (pid === null || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(200);
  if (alive(pid)) {
    process.kill(pid, 'SIGKILL');
    while (alive(pid)) await sleep(100);
  }
  started.delete(node.n);
}

/** Kills every node this process started (or whose pid file is there), synchronously: for process exit. */
export function killNodesNow(root: string): void {
  for (const node of galeraNodes(root)) {
    for (const pid of [readPid(node), started.get(node.n)]) {
      if (pid !== null && pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }
}

/**
 * Lays the cluster out under `root` and starts it: node 1 initialised and bootstrapped, then
 * nodes 2 and 3 joined one at a time (each by rsync SST), until all three are synced. A SQL
 * user `root@127.0.0.1` without password is made for TCP clients.
 */
export async function startCluster(root: string, options: { timeoutMs?: number } = {}): Promise<GaleraNode[]> {
  const nodes = galeraNodes(root);
  fs.chmodSync(root, 0o755);
  for (const node of nodes) {
    fs.mkdirSync(path.join(node.dir, 'data'), { recursive: true });
    fs.writeFileSync(node.cnf, nodeConfig(node));
    await run('chown', ['-R', 'mysql:mysql', node.dir]);
  }
  const [first, ...others] = nodes as [GaleraNode, ...GaleraNode[]];
  await run('mariadb-install-db', [`--defaults-file=${first.cnf}`, '--user=mysql', '--skip-test-db', '--auth-root-authentication-method=socket'], { timeout: 120_000 });
  await startNode(first, { bootstrap: true });
  await waitSynced(first, { size: 1, timeoutMs: options.timeoutMs });
  await sql(first, "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;");
  for (const [i, node] of others.entries()) {
    await startNode(node);
    await waitSynced(node, { size: i + 2, timeoutMs: options.timeoutMs });
  }
  for (const node of nodes) await waitSynced(node, { timeoutMs: options.timeoutMs });
  return nodes;
}

export async function stopCluster(root: string): Promise<void> {
  // Joiners first, so the last node to go down has seen every transaction.
  for (const node of [...galeraNodes(root)].reverse()) await stopNode(node);
}

/** `mysql://root@127.0.0.1:<port>/<database>` for node `n`. */
export function nodeUrl(node: GaleraNode, database = ''): string {
  return `mysql://root@127.0.0.1:${node.port}/${database}`;
}
