import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import { openDatabase } from '../../../api/database';
import {
  createScratchServerDatabase,
  databaseKind,
  postgresTarget,
  serverDatabaseUrl,
} from '../../../fixtures/test-database';

const run = promisify(execFile);
const REPOSITORY_ROOT = path.resolve(__dirname, '../../..');
/** The migrations the project has now, by the name knex records. */
const EXISTING_MIGRATIONS = fs
  .readdirSync(path.join(REPOSITORY_ROOT, 'migrations'))
  .filter((file) => /^\d{14}_.*\.ts$/.test(file))
  .map((file) => file.replace(/\.ts$/, ''))
  .sort();

/**
 * A copy of what the knex CLI reads (knexfile, package.json, the API's database modules, the
 * migrations) in a folder of its own, so that `migrate:make` writes there and not into the
 * migrations the other test files run. node_modules is linked, as `npm ci` would have made it.
 */
function copyProject(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'knex-cli-'));
  for (const entry of ['knexfile.js', 'package.json', 'tsconfig.json']) {
    fs.copyFileSync(path.join(REPOSITORY_ROOT, entry), path.join(root, entry));
  }
  for (const folder of ['api', 'contract', 'migrations', 'scripts']) {
    fs.cpSync(path.join(REPOSITORY_ROOT, folder), path.join(root, folder), { recursive: true });
  }
  fs.symlinkSync(path.join(REPOSITORY_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  return root;
}

describe(`knex CLI (${databaseKind})`, () => {
  let projectRoot: string;
  let env: NodeJS.ProcessEnv;
  let openTarget: () => Knex;
  let dropScratch: (() => Promise<void>) | undefined;

  const knexCli = async (...args: string[]): Promise<string> => {
    const { stdout } = await run('npx', ['--no', 'knex', ...args], { cwd: projectRoot, env });
    return stdout;
  };
  const withDatabase = async <T>(work: (db: Knex) => Promise<T>): Promise<T> => {
    const db = openTarget();
    try {
      return await work(db);
    } finally {
      await db.destroy();
    }
  };

  beforeAll(async () => {
    projectRoot = copyProject();
    const {
      DATABASE_URL: _url,
      DATABASE_SECRET_ARN: _arn,
      PGLITE_DATA_DIR: _dir,
      ...rest
    } = process.env;
    if (serverDatabaseUrl) {
      const scratch = await createScratchServerDatabase(serverDatabaseUrl);
      dropScratch = scratch.drop;
      env = { ...rest, DATABASE_URL: scratch.url };
      openTarget = () => openDatabase(postgresTarget(scratch.url));
    } else {
      const dataDir = path.join(projectRoot, '.data', 'pglite');
      env = { ...rest, PGLITE_DATA_DIR: dataDir };
      openTarget = () => openDatabase({ kind: 'embedded', dataDir });
    }
  });

  afterAll(async () => {
    await dropScratch?.();
    fs.rmSync(projectRoot, { recursive: true, force: true });
  });

  it('when a migration is made with migrate:make, then migrate:latest, status and rollback handle it with no list to update', async () => {
    const status = await knexCli('migrate:status');
    expect(status).toContain(`${EXISTING_MIGRATIONS.length} Pending Migration`);
    for (const name of EXISTING_MIGRATIONS) expect(status).toContain(`${name}.ts`);
    expect(await knexCli('migrate:latest')).toContain(
      `Batch 1 run: ${EXISTING_MIGRATIONS.length} migrations`,
    );

    const made = await knexCli('migrate:make', 'add_nickname');
    const [madeFile] = fs
      .readdirSync(path.join(projectRoot, 'migrations'))
      .filter((file) => file.endsWith('_add_nickname.ts'));
    expect(made).toContain('Created Migration');
    expect(madeFile).toMatch(/^\d{14}_add_nickname\.ts$/);
    const madePath = path.join(projectRoot, 'migrations', madeFile ?? '');
    expect(fs.readFileSync(madePath, 'utf8')).toContain("import type { Knex } from 'knex';");
    fs.writeFileSync(
      madePath,
      [
        "import type { Knex } from 'knex';",
        'export async function up(knex: Knex): Promise<void> {',
        "  await knex.schema.alterTable('users', (table) => table.text('nickname'));",
        '}',
        'export async function down(knex: Knex): Promise<void> {',
        "  await knex.schema.alterTable('users', (table) => table.dropColumn('nickname'));",
        '}',
      ].join('\n'),
    );

    expect(await knexCli('migrate:latest')).toContain('Batch 2 run: 1 migrations');
    expect(await withDatabase((db) => db.schema.hasColumn('users', 'nickname'))).toBe(true);
    const recorded = await withDatabase((db) => db('knex_migrations').orderBy('id').pluck('name'));
    expect(recorded).toEqual([...EXISTING_MIGRATIONS, madeFile?.replace(/\.ts$/, '')]);
    expect(await knexCli('migrate:status')).toMatch(
      new RegExp(`${EXISTING_MIGRATIONS.length + 1} Completed[\\s\\S]*No Pending`),
    );

    expect(await knexCli('migrate:rollback')).toContain('Batch 2 rolled back: 1 migrations');
    expect(await withDatabase((db) => db.schema.hasColumn('users', 'nickname'))).toBe(false);
    expect(await withDatabase((db) => db.schema.hasTable('users'))).toBe(true);
  }, 180_000);
});
