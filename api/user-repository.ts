import type { Knex } from 'knex';
import type { Registration, RegistrationSource } from '#contract/registration';
import type { StoredUser } from '#contract/user';
import { withFreshCredentials } from './database';

/** What the upsert did to the row. */
export type UpsertChange = 'inserted' | 'updated' | 'unchanged';

export interface UpsertResult {
  user: StoredUser;
  change: UpsertChange;
}

/** The email belongs to another `sub` (case-insensitively). */
export class EmailTakenError extends Error {
  override name = 'EmailTakenError';
}

/** The database could not be reached or did not answer; a retry may succeed. */
export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError';
}

interface UserRow {
  sub: string;
  email: string;
  username: string;
  user_pool_id: string;
  attributes: Record<string, string> | string;
  source: RegistrationSource;
  created_at: Date | string;
  updated_at: Date | string;
  change: UpsertChange;
}

const EMAIL_UNIQUE_INDEX = 'users_email_lower_key';

/**
 * One statement decides everything under the row lock that ON CONFLICT takes, so concurrent
 * requests for the same `sub` cannot race a read against a write:
 * - a new `sub` is inserted (xmax = 0 on a freshly inserted tuple);
 * - a known `sub` with different data is updated and `updated_at` moves to this transaction's
 *   now(); with the same data every column keeps its value, so `updated_at` stays in the past,
 *   which is how "unchanged" is told apart from "updated" in RETURNING.
 * `source` and `created_at` record the first arrival and are never overwritten.
 */
export const UPSERT_SQL = `
INSERT INTO users AS u (sub, email, username, user_pool_id, attributes, source)
VALUES (?, ?, ?, ?, CAST(? AS jsonb), ?)
ON CONFLICT (sub) DO UPDATE SET
  email = EXCLUDED.email,
  username = EXCLUDED.username,
  user_pool_id = EXCLUDED.user_pool_id,
  attributes = EXCLUDED.attributes,
  updated_at = CASE
    WHEN (u.email, u.username, u.user_pool_id, u.attributes)
         IS DISTINCT FROM (EXCLUDED.email, EXCLUDED.username, EXCLUDED.user_pool_id, EXCLUDED.attributes)
    THEN now() ELSE u.updated_at END
RETURNING u.*,
  CASE WHEN u.xmax = 0 THEN 'inserted'
       WHEN u.updated_at = now() THEN 'updated'
       ELSE 'unchanged' END AS change`;

const toIso = (value: Date | string): string => new Date(value).toISOString();

function toStoredUser(row: UserRow): StoredUser {
  return {
    sub: row.sub,
    email: row.email,
    username: row.username,
    userPoolId: row.user_pool_id,
    attributes: typeof row.attributes === 'string' ? JSON.parse(row.attributes) : row.attributes,
    source: row.source,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

const errorField = (error: unknown, field: 'code' | 'constraint'): unknown =>
  typeof error === 'object' && error !== null
    ? (error as Record<string, unknown>)[field]
    : undefined;

const isEmailUniqueViolation = (error: unknown): boolean =>
  errorField(error, 'code') === '23505' && errorField(error, 'constraint') === EMAIL_UNIQUE_INDEX;

export interface UserRepository {
  /** Inserts or updates the user keyed by `sub`; throws EmailTakenError or DatabaseUnreachableError. */
  upsert(registration: Registration): Promise<UpsertResult>;
  /** True when the database answers a trivial query within the timeout. */
  isReachable(timeoutMs?: number): Promise<boolean>;
}

export function createUserRepository(db: Knex): UserRepository {
  const runUpsert = async (registration: Registration): Promise<UpsertResult> => {
    const result: { rows: UserRow[] } = await db.raw(UPSERT_SQL, [
      registration.sub,
      registration.email,
      registration.username,
      registration.userPoolId,
      JSON.stringify(registration.attributes),
      registration.source,
    ]);
    const row = result.rows[0];
    if (!row) throw new Error('upsert returned no row');
    return { user: toStoredUser(row), change: row.change };
  };

  return {
    async upsert(registration) {
      try {
        return await withFreshCredentials(db, () => runUpsert(registration));
      } catch (error) {
        if (!isEmailUniqueViolation(error))
          throw new DatabaseUnreachableError('upsert failed', { cause: error });
        // The email index is not the ON CONFLICT arbiter, so two first-time inserts of the SAME
        // sub racing each other can trip it. Once the other insert is committed, a second run
        // takes the ON CONFLICT (sub) path; a real conflict with another sub fails again.
        try {
          return await withFreshCredentials(db, () => runUpsert(registration));
        } catch (retryError) {
          if (isEmailUniqueViolation(retryError))
            throw new EmailTakenError('email taken', { cause: retryError });
          throw new DatabaseUnreachableError('upsert failed', { cause: retryError });
        }
      }
    },

    async isReachable(timeoutMs = 1_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const probe = withFreshCredentials(db, () => db.raw('SELECT 1'))
        .then(() => true)
        .catch(() => false);
      try {
        return await Promise.race([probe, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
