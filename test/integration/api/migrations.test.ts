import type { Knex } from 'knex';
import { openDatabase } from '../../../api/database';
import { migratorConfig } from '../../../migrations/index';
import {
  createScratchServerDatabase,
  databaseKind,
  postgresTarget,
  quietLogger,
  serverDatabaseUrl,
} from '../../../fixtures/test-database';
import { newRegistration } from '../../../fixtures/registrations';

const indexNames = async (db: Knex): Promise<string[]> => {
  const result: { rows: { indexname: string }[] } = await db.raw(
    "SELECT indexname FROM pg_indexes WHERE tablename = 'users' ORDER BY indexname",
  );
  return result.rows.map((row) => row.indexname);
};

describe(`migrations (${databaseKind})`, () => {
  let db: Knex;
  let dropScratch: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    // A database of its own: rolling back must not pull the table from under other test files.
    if (serverDatabaseUrl) {
      const scratch = await createScratchServerDatabase(serverDatabaseUrl);
      dropScratch = scratch.drop;
      db = openDatabase(postgresTarget(scratch.url), quietLogger);
    } else {
      db = openDatabase({ kind: 'embedded', dataDir: undefined }, quietLogger);
    }
  });

  afterAll(async () => {
    await db.destroy();
    await dropScratch?.();
  });

  it('when migrated up, down and up again, then the schema appears, disappears and reappears cleanly', async () => {
    const [, applied] = (await db.migrate.latest(migratorConfig)) as [number, string[]];
    expect(applied).toEqual(['20261125000000_create_users']);
    expect(await db.schema.hasTable('users')).toBe(true);
    expect(await indexNames(db)).toEqual(['users_email_lower_key', 'users_pkey']);

    const [, reverted] = (await db.migrate.rollback(migratorConfig)) as [number, string[]];
    expect(reverted).toEqual(['20261125000000_create_users']);
    expect(await db.schema.hasTable('users')).toBe(false);

    await db.migrate.latest(migratorConfig);
    expect(await db.schema.hasTable('users')).toBe(true);
    const [, nothingLeft] = (await db.migrate.latest(migratorConfig)) as [number, string[]];
    expect(nothingLeft).toEqual([]);
  });

  it('when rows violate the constraints, then the database itself refuses them', async () => {
    await db.migrate.latest(migratorConfig);
    const base = newRegistration();
    const row = {
      sub: base.sub,
      email: base.email,
      username: base.username,
      user_pool_id: base.userPoolId,
      attributes: JSON.stringify(base.attributes),
      source: 'trigger',
    };
    await db('users').insert(row);

    await expect(
      db('users').insert({ ...row, sub: newRegistration().sub, email: base.email.toUpperCase() }),
    ).rejects.toMatchObject({ code: '23505' });
    await expect(
      db('users').insert({ ...row, sub: newRegistration().sub, email: 'x@y.z', source: 'other' }),
    ).rejects.toMatchObject({ code: '23514' });
  });
});
