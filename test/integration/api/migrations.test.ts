import type { Knex } from 'knex';
import { migratorConfig } from '../../../migrations/index';
import { databaseKind, openEmptyDatabase } from '../../../fixtures/test-database';
import { newRegistration } from '../../../fixtures/registrations';

const ALL_MIGRATIONS = [
  '20261125000000_create_users',
  '20261127000000_email_not_unique_observed_at',
  '20261127100000_create_reconcile_seen',
  '20261128000000_reconcile_sweep_indexes',
];

const indexNames = async (db: Knex): Promise<string[]> => {
  const result: { rows: { indexname: string }[] } = await db.raw(
    "SELECT indexname FROM pg_indexes WHERE tablename = 'users' ORDER BY indexname",
  );
  return result.rows.map((row) => row.indexname);
};

const columnNames = async (db: Knex): Promise<string[]> =>
  Object.keys(await db('users').columnInfo()).sort();

/** A v1 row (before observed_at existed), as the first migration's table takes it. */
const v1Row = (overrides: { email?: string } = {}) => {
  const registration = newRegistration(overrides);
  return {
    sub: registration.sub,
    email: registration.email,
    username: registration.username,
    user_pool_id: registration.userPoolId,
    attributes: JSON.stringify(registration.attributes),
    source: 'trigger',
  };
};

describe(`migrations (${databaseKind})`, () => {
  let db: Knex;
  let closeDatabase: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    // A database of its own: rolling back must not pull the table from under other test files.
    ({ db, close: closeDatabase } = await openEmptyDatabase());
  });

  // Each test starts from an empty database (a fresh PGlite costs seconds on a busy machine).
  afterEach(async () => {
    await db.raw(
      'DROP TABLE IF EXISTS users, reconcile_seen, knex_migrations, knex_migrations_lock',
    );
  });

  afterAll(async () => {
    await closeDatabase();
  });

  it('when migrated up, down and up again, then the schema appears, disappears and reappears cleanly', async () => {
    const [, applied] = (await db.migrate.latest(migratorConfig)) as [number, string[]];
    expect(applied).toEqual(ALL_MIGRATIONS);
    expect(await indexNames(db)).toEqual([
      'users_email_lower_idx',
      'users_live_pool_idx',
      'users_pkey',
    ]);

    await db.migrate.rollback(migratorConfig, true);
    expect(await db.schema.hasTable('users')).toBe(false);

    await db.migrate.latest(migratorConfig);
    expect(await db.schema.hasTable('users')).toBe(true);
    const [, nothingLeft] = (await db.migrate.latest(migratorConfig)) as [number, string[]];
    expect(nothingLeft).toEqual([]);
  });

  it('when the table holds data, then the v2 migration goes up, down and up again keeping every row', async () => {
    await db.migrate.up(migratorConfig);
    const rows = [v1Row(), v1Row(), v1Row()];
    await db('users').insert(rows);
    const subs = rows.map((row) => row.sub).sort();

    await db.migrate.up(migratorConfig);
    const migrated: { sub: string; observed_at: Date; updated_at: Date; deleted_at: unknown }[] =
      await db('users').select('sub', 'observed_at', 'updated_at', 'deleted_at').orderBy('sub');
    expect(migrated.map((row) => row.sub)).toEqual(subs);
    for (const row of migrated) {
      // Existing rows were observed at the latest when they were last written.
      expect(new Date(row.observed_at).getTime()).toBe(new Date(row.updated_at).getTime());
      expect(row.deleted_at).toBeNull();
    }
    expect(await indexNames(db)).toEqual(['users_email_lower_idx', 'users_pkey']);

    const [, reverted] = (await db.migrate.down(migratorConfig)) as [number, string[]];
    expect(reverted).toEqual(['20261127000000_email_not_unique_observed_at']);
    expect(await indexNames(db)).toEqual(['users_email_lower_key', 'users_pkey']);
    expect(await columnNames(db)).not.toContain('observed_at');
    expect((await db('users').select('sub').orderBy('sub')).map((row) => row.sub)).toEqual(subs);

    await db.migrate.up(migratorConfig);
    expect(await columnNames(db)).toEqual(
      expect.arrayContaining(['observed_at', 'deleted_at', 'sub', 'email']),
    );
    expect(Number((await db('users').count({ count: '*' }))[0]?.count)).toBe(3);
  });

  it('when two subs share an email (any case), then down refuses with a message naming the problem and changes nothing', async () => {
    await db.migrate.latest(migratorConfig);
    const first = { ...v1Row(), observed_at: new Date() };
    const second = { ...v1Row({ email: first.email.toUpperCase() }), observed_at: new Date() };
    await db('users').insert([first, second]);

    await expect(
      db.migrate.down({ ...migratorConfig, name: '20261127000000_email_not_unique_observed_at' }),
    ).rejects.toThrow(
      /cannot roll back to unique emails: 1 email address\(es\) are held by more than one sub/,
    );

    expect(await indexNames(db)).toEqual([
      'users_email_lower_idx',
      'users_live_pool_idx',
      'users_pkey',
    ]);
    expect(await columnNames(db)).toContain('observed_at');
    expect(Number((await db('users').count({ count: '*' }))[0]?.count)).toBe(2);
  });

  it('when rows violate the constraints, then the database itself refuses them', async () => {
    await db.migrate.latest(migratorConfig);
    const row = { ...v1Row(), observed_at: new Date() };
    await db('users').insert(row);

    await expect(
      db('users').insert({ ...row, sub: newRegistration().sub, source: 'other' }),
    ).rejects.toMatchObject({ code: '23514' });
    await expect(db('users').insert({ ...v1Row(), observed_at: null })).rejects.toMatchObject({
      code: '23502',
    });
  });
});
