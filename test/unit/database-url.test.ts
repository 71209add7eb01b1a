import { createKnex } from '../../plugin/db/connection';

/** Where DATABASE_URL points the MySQL driver: host and port, or the server's Unix socket. */
describe('a MySQL DATABASE_URL', () => {
  const connectionOf = async (url: string) => {
    const knex = createKnex(url);
    try {
      return knex.client.config.connection as Record<string, unknown>;
    } finally {
      await knex.destroy();
    }
  };

  it('names a host and port, 3306 by default', async () => {
    expect(await connectionOf('mysql://u:p%40ss@db.example.com:3307/billing')).toMatchObject({ host: 'db.example.com', port: 3307, user: 'u', password: 'p@ss', database: 'billing' });
    expect(await connectionOf('mariadb://u@db.example.com/billing')).toMatchObject({ host: 'db.example.com', port: 3306 });
  });

  it('with ?socket= connects through that Unix socket instead', async () => {
    const connection = await connectionOf('mysql://u:p@localhost/billing?socket=%2Frun%2Fmysqld%2Fmysqld.sock');
    expect(connection).toMatchObject({ socketPath: '/run/mysqld/mysqld.sock', user: 'u', database: 'billing' });
    expect(connection).not.toHaveProperty('host');
  });

  it('refuses a relative socket path and any other parameter, naming it', () => {
    expect(() => createKnex('mysql://u@localhost/billing?socket=mysqld.sock')).toThrow(/\?socket= must be an absolute path.*"mysqld\.sock"/);
    expect(() => createKnex('mysql://u@localhost/billing?sslmode=require')).toThrow(/unknown parameter "sslmode"/);
  });
});
