import { ConfigError } from '#contract/config';
import { loadConfig } from '../api/config';
import { openDatabase } from '../api/database';
import { migratorConfig } from '../migrations/index';

/**
 * `npm run migrate` / `npm run migrate:rollback`: knex migrations against the API's database
 * settings (DATABASE_URL, or the embedded PGlite under .data/ when unset). Header settings are not
 * needed to migrate, so a placeholder satisfies the API config schema.
 */
async function main(command: string | undefined): Promise<void> {
  if (command !== 'latest' && command !== 'rollback') {
    throw new Error('usage: migrate.ts latest|rollback');
  }
  const env = { ...process.env };
  if (!env.AUTH_HEADER_SECRETS && !env.AUTH_SECRET_ARN) {
    env.AUTH_HEADER_SECRETS = 'migrations-do-not-check-headers-placeholder';
  }
  const config = loadConfig(env);
  const db = openDatabase(config.database);
  try {
    if (command === 'latest') {
      const [batch, applied] = (await db.migrate.latest(migratorConfig)) as [number, string[]];
      process.stdout.write(
        `${JSON.stringify({ command, batch, applied, database: config.database.kind })}\n`,
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
