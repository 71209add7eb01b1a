import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';

/**
 * A fresh, empty database for one test file: a temp SQLite file by default, or, when
 * TEST_DATABASE_URL points at MariaDB/MySQL, a new database on that server named for the
 * jest worker and file, dropped again by `drop()`.
 */
export interface TestDatabase {
  url: string;
  dialect: 'sqlite' | 'mysql';
  drop(): Promise<void>;
}

let counter = 0;

export async function createTestDatabase(): Promise<TestDatabase> {
  const base = process.env.TEST_DATABASE_URL;
  const tag = `${process.env.JEST_WORKER_ID ?? '0'}_${process.pid}_${counter++}`;
  if (!base) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hr-test-'));
    return {
      url: `sqlite:${path.join(dir, 'test.sqlite')}`,
      dialect: 'sqlite',
      async drop() {
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const server = new URL(base);
  const name = `hr_test_${tag}`;
  const adminKnex = () =>
    knex({
      client: 'mysql2',
      connection: {
        host: server.hostname,
        port: Number(server.port || 3306),
        user: decodeURIComponent(server.username),
        password: decodeURIComponent(server.password),
        database: server.pathname.slice(1),
      },
      pool: { min: 0, max: 1 },
    });
  const admin = adminKnex();
  try {
    await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.destroy();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dialect: 'mysql',
    async drop() {
      const again = adminKnex();
      try {
        await again.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await again.destroy();
      }
    },
  };
}
