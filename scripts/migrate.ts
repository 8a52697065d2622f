import { ConfigError } from '#contract/config';
import { openDatabase } from '../api/database';
import { migratorConfig } from '../migrations/index';
import { provisionAppRole } from './app-role';
import { LOCAL_PIPELINE_FILE, readPipelineSettings } from './local/pipeline-settings';
import { loadMigrateConfig } from './migrate-config';

/** Variables that choose a database; with none of them set, the embedded default is meant. */
const DATABASE_CHOICES = [
  'DATABASE_URL',
  'DATABASE_SECRET_ARN',
  'DATABASE_CREDENTIALS',
  'PGLITE_DATA_DIR',
] as const;

/**
 * The environment to migrate with: the process's own, or, when it chooses no database and
 * `npm start` is running, the database the pipeline serves. The embedded database's files are
 * then open in the pipeline's process, and a second process must not open them too.
 */
async function migrationEnv(env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  if (DATABASE_CHOICES.some((name) => env[name])) return env;
  const databaseUrl = (await readPipelineSettings())?.databaseUrl;
  if (databaseUrl === undefined) return env;
  process.stderr.write(
    `migrate: the database of the running local pipeline (${LOCAL_PIPELINE_FILE}); if it is ` +
      'not running any more, delete that file to migrate the embedded database directly\n',
  );
  return { ...env, DATABASE_URL: databaseUrl };
}

/**
 * `npm run migrate` / `npm run migrate:rollback`, and the deployed `migrate` container: knex
 * migrations against the database the API would use (DATABASE_URL, DATABASE_SECRET_ARN, or the
 * embedded PGlite under .data/, or the one a running `npm start` serves), or the one
 * DATABASE_CREDENTIALS names. After `latest`, when
 * DATABASE_APP_CREDENTIALS is set, the application role is brought in line with its secret.
 * Prints one JSON line, without secrets.
 */
async function main(command: string | undefined): Promise<void> {
  if (command !== 'latest' && command !== 'rollback') {
    throw new Error('usage: migrate.ts latest|rollback');
  }
  const config = loadMigrateConfig(await migrationEnv(process.env));
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
