import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';

/** A migration file: a 14-digit timestamp (as `knex migrate:make` writes it), a name, `.ts`/`.js`. */
export const MIGRATION_FILE = /^(\d{14}_[\w-]+)\.(ts|js)$/;

/**
 * The folder holding the migrations. From source (tsx, jest, the knex CLI) that is this file's
 * own folder; the service bundles are built into dist/ with the compiled migrations beside them
 * in dist/migrations/ (see scripts/build.ts).
 */
export const MIGRATIONS_DIRECTORY =
  path.basename(__dirname) === 'migrations' ? __dirname : path.join(__dirname, 'migrations');

/** A migration on disk; `file` and `directory` as knex's own file source names them. */
interface MigrationFile {
  /**
   * Recorded in `knex_migrations`: the file name without its extension, so that a migration keeps
   * its name whether it runs from `.ts` source or from a compiled `.js` file.
   */
  name: string;
  file: string;
  directory: string;
}

/**
 * Every migration in `directory`, found on disk: a file written by `knex migrate:make` is picked
 * up by the next `migrate:latest` with no list to update. Other files (this module, the stub)
 * are ignored.
 */
export function migrationSourceFor(directory: string): Knex.MigrationSource<MigrationFile> {
  return {
    getMigrations: async () => {
      const files = await fs.promises.readdir(directory);
      const byName = new Map<string, MigrationFile>();
      for (const file of files.sort()) {
        const match = MIGRATION_FILE.exec(file);
        if (match?.[1] === undefined) continue;
        const existing = byName.get(match[1]);
        if (existing !== undefined) {
          throw new Error(`migration ${match[1]} exists twice: ${existing.file} and ${file}`);
        }
        byName.set(match[1], { name: match[1], file, directory });
      }
      return [...byName.values()];
    },
    getMigrationName: (migration) => migration.name,
    getMigration: (migration) => {
      // `require` rather than `import()`: jest, tsx and the knex CLI (through tsx) all hook it to
      // load TypeScript, and the bundles load the compiled CommonJS files with it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const loaded = require(path.join(migration.directory, migration.file)) as Knex.Migration;
      return Promise.resolve(loaded);
    },
  };
}

/** Knex migrator options shared by the API start-up, the migrate script, the knexfile and tests. */
export const migratorConfig: Knex.MigratorConfig = {
  migrationSource: migrationSourceFor(MIGRATIONS_DIRECTORY),
  tableName: 'knex_migrations',
};
