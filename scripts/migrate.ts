import { ConfigError } from '#contract/config';
import { openDatabase } from '../api/database';
import { migratorConfig } from '../migrations/index';
import { provisionAppRole } from './app-role';
import { loadMigrateConfig } from './migrate-config';

/**
 * `npm run migrate` / `npm run migrate:rollback`, and the deployed `migrate` container: knex
 * migrations against the database the API would use (DATABASE_URL, DATABASE_SECRET_ARN, or the
 * embedded PGlite under .data/), or the one DATABASE_CREDENTIALS names. After `latest`, when
 * DATABASE_APP_CREDENTIALS is set, the application role is brought in line with its secret.
 * Prints one JSON line, without secrets.
 */
async function main(command: string | undefined): Promise<void> {
  if (command !== 'latest' && command !== 'rollback') {
    throw new Error('usage: migrate.ts latest|rollback');
  }
  const config = loadMigrateConfig();
  const db = openDatabase(config.database);
  try {
    if (command === 'latest') {
      const [batch, applied] = (await db.migrate.latest(migratorConfig)) as [number, string[]];
      let appRole: string | null = null;
      if (config.appRole !== undefined) {
        await provisionAppRole(db, { login: config.appRole });
        appRole = config.appRole.user;
      }
      process.stdout.write(
        `${JSON.stringify({ command, batch, applied, appRole, database: config.database.kind })}\n`,
      );
    } else {
      const [batch, reverted] = (await db.migrate.rollback(migratorConfig)) as [number, string[]];
      process.stdout.write(
        `${JSON.stringify({ command, batch, reverted, database: config.database.kind })}\n`,
      );
    }
  } finally {
    await db.destroy();
  }
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
});
