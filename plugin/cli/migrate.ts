import { loadConfig } from '../config';
import { Database } from '../db/database';

/** `npm run migrate`: brings DATABASE_URL (or the embedded SQLite file) to the latest schema. */
async function main(): Promise<void> {
  const config = loadConfig();
  const db = Database.connect(config.databaseUrl);
  try {
    const applied = await db.migrateLatest();
    process.stdout.write(applied.length > 0 ? `Applied ${applied.length} migration(s):\n  ${applied.join('\n  ')}\n` : 'Already up to date.\n');
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`migrate failed: ${(err as Error).message}\n`);
  process.exit(1);
});
