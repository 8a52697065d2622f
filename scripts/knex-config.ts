import path from 'node:path';
import type { Knex } from 'knex';
import { loadDatabaseConfig } from '../api/database-config';
import { knexConfigFor } from '../api/database';
import { MIGRATIONS_DIRECTORY, migratorConfig } from '../migrations/index';

/**
 * The knex CLI's configuration (`npx knex migrate:latest|rollback|status|make`): the database the
 * API would open from the same environment (DATABASE_URL, DATABASE_SECRET_ARN, or the embedded
 * PGlite under .data/), and the migrations the API runs. `migrate:make` writes a TypeScript
 * migration into migrations/ (knex's default folder, relative to the repository root), where the
 * next `migrate:latest` finds it.
 */
export function knexCliConfig(env: NodeJS.ProcessEnv = process.env): Knex.Config {
  return {
    ...knexConfigFor(loadDatabaseConfig(env)),
    migrations: {
      ...migratorConfig,
      extension: 'ts',
      stub: path.join(MIGRATIONS_DIRECTORY, 'migration.stub'),
    },
  };
}
