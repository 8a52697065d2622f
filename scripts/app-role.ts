import type { Knex } from 'knex';
import { scramSha256Verifier } from './scram-verifier';

/**
 * The group role holding the application's privileges. Login roles are made members of it: the
 * one named in the application secret, and the `…_clone` role that alternating-users rotation
 * creates as a member of that one.
 */
export const APP_WRITER_ROLE = 'usersync_writer';

/**
 * What the application (the API and the reconciler) may do, table by table:
 * - `users`: read, insert and update. No DELETE: the mirror never hard-deletes; a user gone from
 *   the pool is marked `deleted_at`.
 * - `reconcile_seen`: the reconciler's per-run staging of the subs it saw; it inserts them,
 *   anti-joins against them and deletes its run's rows (and stale ones) when done.
 * No DDL, and no access to the migration bookkeeping.
 */
export const APP_TABLE_PRIVILEGES: Readonly<Record<string, readonly string[]>> = {
  users: ['SELECT', 'INSERT', 'UPDATE'],
  reconcile_seen: ['SELECT', 'INSERT', 'DELETE'],
};

export interface AppLogin {
  user: string;
  password: string;
}

export interface ProvisionAppRoleOptions {
  login: AppLogin;
  /** @default APP_WRITER_ROLE */
  writerRole?: string;
}

const identifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const literal = (value: string): string => `'${value.replaceAll("'", "''")}'`;

const roleExists = async (trx: Knex.Transaction, name: string): Promise<boolean> => {
  const result: { rows: unknown[] } = await trx.raw('SELECT 1 FROM pg_roles WHERE rolname = ?', [
    name,
  ]);
  return result.rows.length > 0;
};

/**
 * Creates or updates the application's database role so that it matches its secret, and grants
 * it exactly `APP_TABLE_PRIVILEGES`: run after the migrations, by a role that may create roles
 * (the RDS master). Idempotent, and serialised by an advisory lock, since every new API task's
 * migrate container runs it. The password travels as a SCRAM verifier, never in clear text.
 */
export async function provisionAppRole(db: Knex, options: ProvisionAppRoleOptions): Promise<void> {
  const writerRole = options.writerRole ?? APP_WRITER_ROLE;
  const { user, password } = options.login;
  const verifier = literal(scramSha256Verifier(password));
  await db.transaction(async (trx) => {
    await trx.raw("SELECT pg_advisory_xact_lock(hashtext('cognito-user-sync:app-role'))");
    if (!(await roleExists(trx, writerRole))) {
      await trx.raw(`CREATE ROLE ${identifier(writerRole)} NOLOGIN`);
    }
    await trx.raw(`GRANT USAGE ON SCHEMA public TO ${identifier(writerRole)}`);
    for (const [table, privileges] of Object.entries(APP_TABLE_PRIVILEGES)) {
      // Revoke first, so that a privilege dropped from the list is also taken away.
      await trx.raw(`REVOKE ALL ON TABLE ${identifier(table)} FROM ${identifier(writerRole)}`);
      await trx.raw(
        `GRANT ${privileges.join(', ')} ON TABLE ${identifier(table)} TO ${identifier(writerRole)}`,
      );
    }
    if (await roleExists(trx, user)) {
      await trx.raw(`ALTER ROLE ${identifier(user)} WITH LOGIN PASSWORD ${verifier}`);
    } else {
      await trx.raw(`CREATE ROLE ${identifier(user)} WITH LOGIN PASSWORD ${verifier}`);
    }
    await trx.raw(`GRANT ${identifier(writerRole)} TO ${identifier(user)}`);
  });
}
