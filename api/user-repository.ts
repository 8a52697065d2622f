import type { Knex } from 'knex';
import type { Registration, RegistrationSource } from '#contract/registration';
import type { RegistrationChange, StoredUser } from '#contract/user';
import { withFreshCredentials } from './database';
import { isConnectionFailure } from './database-errors';

export interface UpsertResult {
  user: StoredUser;
  change: RegistrationChange;
}

/** The database could not be reached or refused work; a retry may succeed. */
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
  observed_at: Date | string;
  deleted_at: Date | string | null;
  change: RegistrationChange;
}

/**
 * The instant this registration was observed: as sent, or the server's now when absent; clamped
 * to now, so one sender with a clock running ahead cannot freeze a row against every later
 * update; cut to milliseconds, the precision the stored user is returned with, so that sending
 * back a returned `observedAt` compares equal rather than older.
 */
const OBSERVED_AT = `date_trunc('milliseconds', LEAST(COALESCE(CAST(:observedAt AS timestamptz), now()), now()))`;

/**
 * The one statement that stores a registration. It decides everything under the row lock that
 * ON CONFLICT takes, so concurrent requests for one `sub` never race a read against a write; a
 * waiting request re-evaluates against the row its predecessor committed.
 *
 * - A new `sub` is inserted (`xmax = 0` on a freshly inserted tuple): `created`.
 * - A known `sub` whose stored `observed_at` is later than this registration's is `stale`: every
 *   column is set to its own old value (CASE … THEN u.col), which writes a new tuple version with
 *   the same content, so nothing changes logically. DO UPDATE … WHERE was rejected: it returns no
 *   row when the guard fails, and reading the row in the same statement (a CTE) sees the
 *   statement's snapshot, which misses a row that a concurrent first insert committed after it.
 * - Otherwise the data is taken, `observed_at` moves forward, and a deleted mark is cleared. If
 *   the data (or the mark) differed, `updated_at` moves to this transaction's now(): `updated`;
 *   else it keeps its past value: `unchanged`. Equal `observed_at` counts as not older.
 * RETURNING sees the new row: stale is recognised by a stored `observed_at` still later than this
 * registration's, updated by `updated_at = now()`. `source` and `created_at` record the first
 * arrival and are never overwritten.
 *
 * `observed_at` keeps the latest observation even when nothing else changes, so a state observed
 * between two identical observations (A at t1, B at t2, A again at t3, delivered t1, t3, t2) is
 * still refused as stale.
 */
export const UPSERT_SQL = `
INSERT INTO users AS u (sub, email, username, user_pool_id, attributes, source, observed_at)
VALUES (:sub, :email, :username, :userPoolId, CAST(:attributes AS jsonb), :source, ${OBSERVED_AT})
ON CONFLICT (sub) DO UPDATE SET
  email        = CASE WHEN EXCLUDED.observed_at < u.observed_at THEN u.email ELSE EXCLUDED.email END,
  username     = CASE WHEN EXCLUDED.observed_at < u.observed_at THEN u.username ELSE EXCLUDED.username END,
  user_pool_id = CASE WHEN EXCLUDED.observed_at < u.observed_at THEN u.user_pool_id ELSE EXCLUDED.user_pool_id END,
  attributes   = CASE WHEN EXCLUDED.observed_at < u.observed_at THEN u.attributes ELSE EXCLUDED.attributes END,
  deleted_at   = CASE WHEN EXCLUDED.observed_at < u.observed_at THEN u.deleted_at ELSE NULL END,
  observed_at  = GREATEST(u.observed_at, EXCLUDED.observed_at),
  updated_at   = CASE
    WHEN EXCLUDED.observed_at >= u.observed_at
     AND (u.email, u.username, u.user_pool_id, u.attributes, u.deleted_at)
         IS DISTINCT FROM (EXCLUDED.email, EXCLUDED.username, EXCLUDED.user_pool_id, EXCLUDED.attributes, NULL)
    THEN now() ELSE u.updated_at END
RETURNING u.*,
  CASE WHEN u.xmax = 0 THEN 'created'
       WHEN u.observed_at > ${OBSERVED_AT} THEN 'stale'
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
    observedAt: toIso(row.observed_at),
    deletedAt: row.deleted_at === null ? null : toIso(row.deleted_at),
  };
}

/** The answer of a readiness probe; `reason` says why the database did not answer. */
export type Reachability =
  { reachable: true } | { reachable: false; reason: string; cause?: unknown };

export interface UserRepository {
  /**
   * Stores the registration keyed by `sub` (see UPSERT_SQL for created / updated / unchanged /
   * stale). Throws DatabaseUnreachableError for connection-class failures; any other error is
   * passed through as it came, since it is a defect, not an outage.
   */
  upsert(registration: Registration): Promise<UpsertResult>;
  /** Whether the database answers a trivial query within the timeout, and if not, why. */
  checkReachable(timeoutMs?: number): Promise<Reachability>;
}

/**
 * The user table's data access. A first insert of one `sub` racing another needs no retry: the
 * primary key is the ON CONFLICT arbiter and the only unique index, so the later insert waits
 * for the earlier one and then takes the DO UPDATE path.
 */
export function createUserRepository(db: Knex): UserRepository {
  return {
    async upsert(registration) {
      let result: { rows: UserRow[] };
      try {
        result = await withFreshCredentials(db, () =>
          db.raw(UPSERT_SQL, {
            sub: registration.sub,
            email: registration.email,
            username: registration.username,
            userPoolId: registration.userPoolId,
            attributes: JSON.stringify(registration.attributes),
            source: registration.source,
            observedAt: registration.observedAt ?? null,
          }),
        );
      } catch (error) {
        if (isConnectionFailure(error))
          throw new DatabaseUnreachableError('database unreachable', { cause: error });
        throw error;
      }
      const row = result.rows[0];
      if (!row) throw new Error('upsert returned no row');
      return { user: toStoredUser(row), change: row.change };
    },

    async checkReachable(timeoutMs = 1_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<Reachability>((resolve) => {
        timer = setTimeout(
          () => resolve({ reachable: false, reason: `no answer within ${timeoutMs} ms` }),
          timeoutMs,
        );
      });
      const probe = withFreshCredentials(db, () => db.raw('SELECT 1')).then(
        (): Reachability => ({ reachable: true }),
        (error: unknown): Reachability => ({
          reachable: false,
          reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          cause: error,
        }),
      );
      try {
        return await Promise.race([probe, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
