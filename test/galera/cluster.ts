import { randomBytes } from 'node:crypto';
import knex, { type Knex } from 'knex';
import { createRepositories } from '../../plugin/repositories';
import { galeraNodes, nodeUrl, type GaleraNode } from '../support/galera';
import { startTestApp, type StartOptions, type TestApp } from '../support/harness';
import type { TestDatabase } from '../support/test-db';

/** One member of the cluster under test: where its SQL port is, and its Galera node when this is the Galera run. */
export interface ClusterNode {
  n: number;
  url(database: string): string;
  /** Set when `npm run test:galera` started the node: it can be stopped and restarted. */
  galera?: GaleraNode;
}

/**
 * The members the suite runs against: the Galera nodes `npm run test:galera` started
 * (GALERA_ROOT), or any MySQL-compatible cluster named by CLUSTER_URLS, two or more server URLs
 * separated by commas (`mysql://user:pass@host1:3306,mysql://user:pass@host2:3306`), the first
 * two of which get an instance each.
 */
export function clusterNodes(): [ClusterNode, ClusterNode, ...ClusterNode[]] {
  const urls = process.env.CLUSTER_URLS;
  if (urls) {
    const list = urls.split(',').map((u) => u.trim()).filter(Boolean);
    if (list.length < 2) throw new Error('CLUSTER_URLS must name at least two servers, separated by commas');
    return list.map((base, i) => ({ n: i + 1, url: (database: string) => withDatabase(base, database) })) as [ClusterNode, ClusterNode, ...ClusterNode[]];
  }
  const root = process.env.GALERA_ROOT;
  if (!root) throw new Error('GALERA_ROOT is not set: run this suite with npm run test:galera, which starts the cluster (or set CLUSTER_URLS)');
  return galeraNodes(root).map((g) => ({ n: g.n, url: (database: string) => nodeUrl(g, database), galera: g })) as [ClusterNode, ClusterNode, ...ClusterNode[]];
}

function withDatabase(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

/** A fresh database on the cluster (created through node 1, replicated to all), dropped by `drop()`. */
export async function createClusterDatabase(): Promise<{ name: string; on(node: ClusterNode): TestDatabase; drop(): Promise<void> }> {
  const [first] = clusterNodes();
  // Jest resets modules per test file, so a counter would repeat: a random part keeps names apart.
  const name = `hr_galera_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = nodeKnex(first, '');
  try {
    await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.destroy();
  }
  const noDrop = async () => {};
  return {
    name,
    on: (node) => ({ url: node.url(name), dialect: 'mysql', drop: noDrop }),
    async drop() {
      const again = nodeKnex(first, '');
      try {
        await again.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await again.destroy();
      }
    },
  };
}

/**
 * A connection pool on one node whose reads, on Galera, wait until the node has applied every
 * write the cluster committed before them (`wsrep_sync_wait = 1`): what "query each node
 * directly" needs.
 */
export function nodeKnex(node: ClusterNode, database: string): Knex {
  const url = new URL(node.url(database));
  return knex({
    client: 'mysql2',
    connection: {
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database,
      supportBigNumbers: true,
      bigNumberStrings: true,
      timezone: 'Z',
    },
    pool: {
      min: 0,
      max: 2,
      afterCreate(conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) {
        if (!node.galera) return done(null, conn);
        conn.query('SET SESSION wsrep_sync_wait = 1', (err) => done(err, conn));
      },
    },
  });
}

/** One plugin instance (createPlugin + express on a loopback port) on `node`'s copy of the database. */
export function startInstance(db: TestDatabase, options: StartOptions = {}): Promise<TestApp> {
  return startTestApp({ realTime: true, ...options, db, config: { dbPoolMax: 20, ...options.config } });
}

export interface NodeSnapshot {
  /** panel client id → cached available + pending points. */
  balances: Record<string, number>;
  ledgerRows: number;
  lotRows: number;
  events: number;
  mismatches: unknown[];
}

/** What one node holds, read after it applied everything committed before: balances, counts, invariant 2. */
export async function snapshotOf(node: ClusterNode, database: string): Promise<NodeSnapshot> {
  const db = nodeKnex(node, database);
  try {
    const members = await db('loyalty_members').select('panel_client_id', 'points_available', 'points_pending');
    const count = async (table: string) => Number((await db(table).count({ n: '*' }).first())?.n ?? 0);
    return {
      balances: Object.fromEntries(members.map((m: Record<string, unknown>) => [String(m.panel_client_id), Number(m.points_available) + Number(m.points_pending)])),
      ledgerRows: await count('loyalty_ledger'),
      lotRows: await count('loyalty_lots'),
      events: await count('loyalty_events'),
      mismatches: await createRepositories(db).members.findBalanceMismatches(),
    };
  } finally {
    await db.destroy();
  }
}

/** Every node holds the same data, and balance = Σ ledger = Σ lots on each. */
export async function expectSameOnEveryNode(database: string): Promise<NodeSnapshot> {
  const snapshots = [];
  for (const node of clusterNodes()) snapshots.push(await snapshotOf(node, database));
  const [first, ...rest] = snapshots as [NodeSnapshot, ...NodeSnapshot[]];
  expect(first.mismatches).toEqual([]);
  for (const other of rest) expect(other).toEqual(first);
  return first;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Shuffles in place (Fisher–Yates) and returns the array. */
export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
