import type { TestApp } from '../support/harness';
import { clusterNodes, createClusterDatabase, nodeKnex, startInstance } from './cluster';

// A cluster on a shared 2-core machine: a node's restart or a storm can take minutes.
jest.setTimeout(300_000);

/** What Galera asks of the schema and of the plugin's SQL. */
describe('the schema on a 3-node Galera cluster', () => {
  let db: Awaited<ReturnType<typeof createClusterDatabase>>;
  let a: TestApp;
  let b: TestApp;
  const [node1, node2] = clusterNodes();

  beforeAll(async () => {
    db = await createClusterDatabase();
    // On Galera, instances are started one after the other on an empty database (README): knex's
    // migration lock is a row updated inside the migration transaction, and the loser of a
    // cross-node conflict on it learns of it as a deadlock in its first migration, which knex
    // treats as a failed migration and answers by freeing the winner's lock.
    a = await startInstance(db.on(node1));
    b = await startInstance(db.on(node2));
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await db?.drop();
  });

  it('the second instance finds every migration run, once', async () => {
    expect(await a.plugin.db.pendingMigrations()).toEqual([]);
    expect(await b.plugin.db.pendingMigrations()).toEqual([]);
    const k = nodeKnex(node2, db.name);
    try {
      const rows = await k('loyalty_migrations').select('name');
      expect(new Set(rows.map((r: { name: string }) => r.name)).size).toBe(rows.length);
    } finally {
      await k.destroy();
    }
  });

  it('every table, knex’s migration tables included, is InnoDB with a primary key (row events replicate by it)', async () => {
    for (const node of clusterNodes()) {
      const k = nodeKnex(node, db.name);
      try {
        const [tables] = (await k.raw(
          `SELECT t.table_name AS name, t.engine AS engine,
                  (SELECT COUNT(*) FROM information_schema.table_constraints c
                    WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY') AS pks
             FROM information_schema.tables t WHERE t.table_schema = ? AND t.table_type = 'BASE TABLE' ORDER BY t.table_name`,
          [db.name],
        )) as [Array<{ name: string; engine: string; pks: unknown }>];
        const names = tables.map((t) => t.name);
        expect(names).toEqual(expect.arrayContaining(['loyalty_migrations', 'loyalty_migrations_lock', 'loyalty_rate_limits', 'loyalty_job_leases', 'loyalty_members']));
        expect(tables.filter((t) => Number(t.pks) !== 1 || t.engine !== 'InnoDB')).toEqual([]);
      } finally {
        await k.destroy();
      }
    }
  });

  (node1.galera ? it : it.skip)('auto-increment ids step by the cluster size (Galera)', async () => {
    const k = nodeKnex(node1, db.name);
    try {
      const [[row]] = (await k.raw('SELECT @@auto_increment_increment AS step')) as [[{ step: unknown }]];
      expect(Number(row.step)).toBe(clusterNodes().length);
    } finally {
      await k.destroy();
    }
  });
});
