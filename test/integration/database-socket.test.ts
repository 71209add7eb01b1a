import fs from 'node:fs';
import { createKnex } from '../../plugin/db/connection';
import { createTestDatabase, type TestDatabase } from '../support/test-db';
import { invoicePaid, startTestApp, type TestApp } from '../support/harness';

/**
 * `DATABASE_URL=mysql://…?socket=/path`: the plugin runs over the server's Unix socket (on the
 * MariaDB suite, with the test server's own socket; SQLite has no server to reach).
 */
const onMysql = process.env.TEST_DATABASE_URL !== undefined;

(onMysql ? describe : describe.skip)('a MySQL DATABASE_URL with ?socket=', () => {
  let db: TestDatabase;
  let socket: string | null;
  let app: TestApp | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    const knex = createKnex(db.url);
    try {
      const [[row]] = (await knex.raw('SELECT @@socket AS socket')) as [[{ socket: string | null }]];
      socket = row.socket && fs.existsSync(row.socket) ? row.socket : null;
    } finally {
      await knex.destroy();
    }
  });
  afterAll(async () => {
    await app?.stop();
    await db.drop();
  });

  it('migrates, takes an event and reads it back through the Unix socket', async () => {
    // The MariaDB suite's server is local here; a remote one has no socket to test.
    expect(socket).not.toBeNull();
    const url = new URL(db.url);
    url.hostname = 'localhost';
    url.port = '';
    url.searchParams.set('socket', socket!);
    app = await startTestApp({ db, config: { databaseUrl: url.toString() } });
    expect(app.plugin.db.knex.client.config.connection).toMatchObject({ socketPath: socket });
    await app.send(invoicePaid({ client: { id: 'sock-1' }, invoice: { id: 'S-1', total: '25.00', items: [] } })).expect(200);
    expect((await app.plugin.db.repos.members.findByPanelClientId('sock-1'))?.pointsAvailable).toBe(25);
    const [[who]] = (await app.plugin.db.knex.raw('SELECT CONNECTION_ID() AS id, (SELECT host FROM information_schema.processlist WHERE id = CONNECTION_ID()) AS host')) as [[{ host: string }]];
    expect(who.host).toBe('localhost');
  });
});
