import type { Knex } from 'knex';
import * as createUsers from './20261125000000_create_users';
import * as emailNotUniqueObservedAt from './20261127000000_email_not_unique_observed_at';
import * as createReconcileSeen from './20261127100000_create_reconcile_seen';

/**
 * Migrations listed in code rather than discovered on disk, so the same list works from source
 * (tsx, jest), from a bundle, and on both PostgreSQL and the embedded PGlite.
 */
const migrations: ReadonlyArray<readonly [name: string, migration: Knex.Migration]> = [
  ['20261125000000_create_users', createUsers],
  ['20261127000000_email_not_unique_observed_at', emailNotUniqueObservedAt],
  ['20261127100000_create_reconcile_seen', createReconcileSeen],
];

export const migrationSource: Knex.MigrationSource<readonly [string, Knex.Migration]> = {
  getMigrations: () => Promise.resolve([...migrations]),
  getMigrationName: ([name]) => name,
  getMigration: ([, migration]) => Promise.resolve(migration),
};

/** Knex migrator options shared by the API start-up, the migrate script and the tests. */
export const migratorConfig: Knex.MigratorConfig = {
  migrationSource,
  tableName: 'knex_migrations',
};
