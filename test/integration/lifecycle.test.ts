import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Database } from '../../plugin/db/database';
import { MIGRATIONS_TABLE, migratorConfig } from '../../plugin/db/migration-source';
import { migrations } from '../../migrations';
import { createTestDatabase } from '../support/test-db';
import { expectBalancesConsistent, invoicePaid, startTestApp, tableCounts } from '../support/harness';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

describe('restart, migrations and health', () => {
  it('a redelivery after a restart is still a duplicate', async () => {
    const first = await startTestApp();
    const event = invoicePaid({ client: { id: 'c-restart' } });
    await first.send(event).expect(200);
    await first.stop();

    const second = await startTestApp({ db: first.db });
    try {
      const before = await tableCounts(second.plugin);
      const res = await second.send(event).expect(200);
      expect(res.body).toEqual({ event: event.id, outcome: 'duplicate', first_outcome: 'applied', points: 120 });
      expect(await tableCounts(second.plugin)).toEqual(before);
      await expectBalancesConsistent(second.plugin);
    } finally {
      await second.close();
    }
  });

  it('prefixes every table with loyalty_ and records migrations without file extensions', async () => {
    const app = await startTestApp();
    try {
      const knex = app.plugin.db.knex;
      const tables: string[] =
        app.db.dialect === 'sqlite'
          ? (await knex('sqlite_master').where({ type: 'table' }).whereNot('name', 'like', 'sqlite_%').pluck('name'))
          : (await knex.raw('SHOW TABLES'))[0].map((r: Record<string, string>) => Object.values(r)[0]);
      expect(tables.length).toBeGreaterThan(0);
      expect(tables.filter((t) => !t.startsWith('loyalty_'))).toEqual([]);
      expect(tables).toEqual(expect.arrayContaining([MIGRATIONS_TABLE, 'loyalty_members', 'loyalty_events', 'loyalty_ledger', 'loyalty_lots']));
      const names: string[] = await knex(MIGRATIONS_TABLE).orderBy('id').pluck('name');
      expect(names).toEqual(migrations.map((m) => m.name));
      expect(names.every((n) => !/\.(ts|js)$/.test(n))).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('the compiled build sees a database migrated from sources as current (npm run migrate)', async () => {
    const app = await startTestApp();
    try {
      const env = { ...process.env, DATABASE_URL: app.db.url, PANEL: 'generic' };
      const { stdout } = await run(process.execPath, [path.join(ROOT, 'dist/plugin/cli/migrate.js')], { env, cwd: ROOT });
      expect(stdout).toContain('Already up to date');
    } finally {
      await app.close();
    }
  });

  it('npm run migrate migrates an empty database, and migrations run again are no-ops', async () => {
    const testDb = await createTestDatabase();
    try {
      const env = { ...process.env, DATABASE_URL: testDb.url, PANEL: 'generic' };
      const first = await run(process.execPath, [path.join(ROOT, 'dist/plugin/cli/migrate.js')], { env, cwd: ROOT });
      expect(first.stdout).toContain(`Applied ${migrations.length} migration(s)`);
      const db = Database.connect(testDb.url);
      try {
        expect(await db.pendingMigrations()).toEqual([]);
        expect(await db.migrateLatest()).toEqual([]);
      } finally {
        await db.close();
      }
    } finally {
      await testDb.drop();
    }
  });

  it('GET /healthz is 200 when current, and 503 with the reason otherwise', async () => {
    const app = await startTestApp();
    try {
      const ok = await app.http.get('/healthz').expect(200);
      expect(ok.body).toEqual({ status: 'ok', database: app.db.dialect, migrations: 'current' });

      await app.plugin.db.knex.migrate.down(migratorConfig());
      const pending = await app.http.get('/healthz').expect(503);
      expect(pending.body).toMatchObject({ status: 'unavailable', reason: `migrations pending: ${migrations[migrations.length - 1]!.name}` });
      await app.plugin.db.migrateLatest();
      await app.http.get('/healthz').expect(200);

      await app.plugin.db.knex.destroy();
      const down = await app.http.get('/healthz').expect(503);
      expect(down.body.reason).toMatch(/^database unreachable/);
    } finally {
      await app.stop().catch(() => undefined); // the pool is already gone
      await app.db.drop();
    }
  });
});
