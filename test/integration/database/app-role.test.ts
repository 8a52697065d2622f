import { randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { openDatabase } from '../../../api/database';
import { migratorConfig } from '../../../migrations/index';
import { provisionAppRole } from '../../../scripts/app-role';
import { scramParametersOf, scramSha256Verifier } from '../../../scripts/scram-verifier';
import { newRegistration } from '../../../fixtures/registrations';
import {
  openEmptyDatabase,
  databaseKind,
  postgresTarget,
  quietLogger,
  serverDatabaseUrl,
} from '../../../fixtures/test-database';

const roleName = (purpose: string): string => `cus_${purpose}_${randomBytes(5).toString('hex')}`;

describe(`application role (${databaseKind})`, () => {
  let db: Knex;
  let closeDatabase: () => Promise<void> = async () => undefined;
  const createdRoles: string[] = [];

  /** Runs `sql` as `role` in a transaction that is always rolled back; returns the SQLSTATE. */
  const sqlStateAs = async (role: string, sql: string, bindings: unknown[] = []) =>
    db
      .transaction(async (trx) => {
        await trx.raw(`SET LOCAL ROLE "${role}"`);
        await trx.raw(sql, bindings as Knex.RawBinding[]);
        throw new Error('rollback');
      })
      .then(
        () => 'ok',
        (error: unknown) =>
          error instanceof Error && error.message === 'rollback'
            ? 'ok'
            : String((error as { code?: unknown }).code),
      );

  const storedVerifier = async (role: string): Promise<string> => {
    const result: { rows: { rolpassword: string }[] } = await db.raw(
      'SELECT rolpassword FROM pg_authid WHERE rolname = ?',
      [role],
    );
    return result.rows[0]?.rolpassword ?? '';
  };

  const provision = async (password: string, user: string, writerRole: string) => {
    for (const role of [user, writerRole]) {
      if (!createdRoles.includes(role)) createdRoles.push(role);
    }
    await provisionAppRole(db, { login: { user, password }, writerRole });
  };

  beforeAll(async () => {
    ({ db, close: closeDatabase } = await openEmptyDatabase());
    await db.migrate.latest(migratorConfig);
  });

  afterAll(async () => {
    await closeDatabase();
    if (serverDatabaseUrl && createdRoles.length > 0) {
      // Roles are cluster-wide: drop them once the database holding their grants is gone.
      const admin = openDatabase(postgresTarget(serverDatabaseUrl), quietLogger);
      try {
        for (const role of createdRoles) await admin.raw(`DROP ROLE IF EXISTS "${role}"`);
      } finally {
        await admin.destroy();
      }
    }
  });

  it('when provisioned, then the role may read, insert and update users, and nothing else', async () => {
    const user = roleName('app');
    await provision(randomBytes(16).toString('hex'), user, roleName('writer'));
    const registration = newRegistration();
    const insert =
      'INSERT INTO users (sub, email, username, user_pool_id, source, observed_at) VALUES (?, ?, ?, ?, ?, now())';
    const values = [
      registration.sub,
      registration.email,
      registration.username,
      registration.userPoolId,
      'trigger',
    ];

    expect(await sqlStateAs(user, insert, values)).toBe('ok');
    expect(
      await sqlStateAs(user, 'UPDATE users SET email = email WHERE sub = ?', [registration.sub]),
    ).toBe('ok');
    expect(await sqlStateAs(user, 'SELECT count(*) FROM users')).toBe('ok');
    // 42501: insufficient_privilege.
    expect(await sqlStateAs(user, 'DELETE FROM users')).toBe('42501');
    expect(await sqlStateAs(user, 'SELECT * FROM knex_migrations')).toBe('42501');
    expect(await sqlStateAs(user, 'CREATE TABLE cus_intruder (id int)')).toBe('42501');
    expect(await sqlStateAs(user, 'DROP TABLE users')).toBe('42501');
  });

  it('when provisioned, then the role may stage, read and clear the reconciler seen-subs, and not truncate or drop them', async () => {
    const user = roleName('app');
    await provision(randomBytes(16).toString('hex'), user, roleName('writer'));
    const runId = randomUUID();
    const sub = newRegistration().sub;

    expect(
      await sqlStateAs(
        user,
        'INSERT INTO reconcile_seen (run_id, sub) VALUES (CAST(? AS uuid), CAST(? AS uuid)) ON CONFLICT DO NOTHING',
        [runId, sub],
      ),
    ).toBe('ok');
    expect(
      await sqlStateAs(
        user,
        'SELECT count(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM reconcile_seen s WHERE s.run_id = CAST(? AS uuid) AND s.sub = u.sub)',
        [runId],
      ),
    ).toBe('ok');
    expect(
      await sqlStateAs(user, 'DELETE FROM reconcile_seen WHERE run_id = CAST(? AS uuid)', [runId]),
    ).toBe('ok');
    expect(await sqlStateAs(user, 'TRUNCATE reconcile_seen')).toBe('42501');
    expect(await sqlStateAs(user, 'DROP TABLE reconcile_seen')).toBe('42501');
  });

  it('when provisioned again with another password, then it succeeds and the new password is the stored one', async () => {
    const user = roleName('app');
    const writerRole = roleName('writer');
    const first = randomBytes(16).toString('hex');
    const second = randomBytes(16).toString('hex');

    await provision(first, user, writerRole);
    await provision(second, user, writerRole);

    const verifier = await storedVerifier(user);
    expect(scramSha256Verifier(second, scramParametersOf(verifier))).toBe(verifier);
    expect(scramSha256Verifier(first, scramParametersOf(verifier))).not.toBe(verifier);
    expect(verifier).not.toContain(second);
  });

  it('when PostgreSQL hashes a password itself, then the same verifier is computed here', async () => {
    const user = roleName('app');
    createdRoles.push(user);
    const password = `Aa1!${randomBytes(12).toString('base64')}`;
    await db.raw(`CREATE ROLE "${user}" LOGIN PASSWORD '${password}'`);

    const verifier = await storedVerifier(user);

    expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(scramSha256Verifier(password, scramParametersOf(verifier))).toBe(verifier);
  });
});
