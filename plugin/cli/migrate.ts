import { loadConfig } from '../config';
import { Database } from '../db/database';
import { EXIT, failure, runCommand } from './exit-codes';

const USAGE = 'usage: npm run migrate   (DATABASE_URL names the database; see README "Configuration")';

/** `npm run migrate`: brings DATABASE_URL (or the embedded SQLite file) to the latest schema. */
async function main(): Promise<number> {
  let db: Database | undefined;
  try {
    const config = loadConfig();
    db = Database.connect(config.databaseUrl);
    const applied = await db.migrateLatest();
    process.stdout.write(applied.length > 0 ? `Applied ${applied.length} migration(s):\n  ${applied.join('\n  ')}\n` : 'Already up to date.\n');
    return EXIT.done;
  } catch (err) {
    return failure('migrate', err, USAGE, 'Each migration checks before it acts: fix the cause and run the same command again.');
  } finally {
    await db?.close();
  }
}

runCommand('migrate', main);
