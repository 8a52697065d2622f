import type { Knex } from 'knex';
import type { Registration, RegistrationSource } from '#contract/registration';
import type { RegistrationChange, StoredUser } from '#contract/user';
import { retireConnections, withFreshCredentials } from './database';
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
 * The registrations to store, as a set: one JSON array of registrations as the contract names
 * their fields, read into rows. A `sub` given more than once is stored once, from its latest
 * observation (on a tie, the later one in the array): the state serial application in array
 * order would leave, and ON CONFLICT DO UPDATE cannot touch one row twice in a statement.
 *
 * `observed_at` is the instant this registration was observed: as sent, or the server's now when
 * absent; clamped to now, so one sender with a clock running ahead cannot freeze a row against
 * every later update; cut to milliseconds, the precision the stored user is returned with, so
 * that sending back a returned `observedAt` compares equal rather than older. The set comes out
 * ordered by `sub`, so two concurrent multi-row calls take their row locks in the same order and
 * cannot deadlock.
 */
const INCOMING_SQL = `
SELECT DISTINCT ON (r.sub)
  r.sub, r.email, r.username, r."userPoolId" AS user_pool_id, r.attributes, r.source,
  date_trunc('milliseconds', LEAST(COALESCE(r."observedAt", now()), now())) AS observed_at
FROM ROWS FROM (
  jsonb_to_recordset(CAST(:registrations AS jsonb)) AS (
    sub uuid, email text, username text, "userPoolId" text, attributes jsonb, source text,
    "observedAt" timestamptz)
) WITH ORDINALITY AS r(sub, email, username, "userPoolId", attributes, source, "observedAt", position)
ORDER BY r.sub, observed_at DESC, r.position DESC`;

/**
 * The one statement that stores registrations, a set of one for the API and a batch for the
 * reconciler: the same text for both. It decides everything under the row lock that ON CONFLICT
 * takes, so concurrent writers of one `sub` never race a read against a write; a waiting
 * writer re-evaluates against the row its predecessor committed.
 *
 * - A new `sub` is inserted (`xmax = 0` on a freshly inserted tuple): `created`.
 * - A known `sub` whose stored `observed_at` is later than this registration's is `stale`: every
 *   column is set to its own old value (CASE … THEN u.col), which writes a new tuple version with
 *   the same content, so nothing changes logically. DO UPDATE … WHERE was rejected: it returns no
 *   row when the guard fails, and reading the row in the same statement (a CTE over `users`) sees
 *   the statement's snapshot, which misses a row that a concurrent first insert committed after it.
 * - Otherwise the data is taken, `observed_at` moves forward, and a deleted mark is cleared. If
 *   the data (or the mark) differed, `updated_at` moves to this transaction's now(): `updated`;
 *   else it keeps its past value: `unchanged`. Equal `observed_at` counts as not older.
 * RETURNING sees only the new row, so the change is derived outside it: each returned row is
 * joined back, by `sub`, to its own incoming registration. Both sides are values this statement
 * produced (the rows as written under their locks, and the input), never a snapshot read of
 * `users`, so the derivation holds under concurrency. Stale is recognised by a stored
 * `observed_at` still later than the registration's, updated by `updated_at = now()`. `source`
 * and `created_at` record the first arrival and are never overwritten.
 *
 * `observed_at` keeps the latest observation even when nothing else changes, so a state observed
 * between two identical observations (A at t1, B at t2, A again at t3, delivered t1, t3, t2) is
 * still refused as stale.
 */
export const UPSERT_SQL = `
WITH incoming AS (${INCOMING_SQL}
), written AS (
  INSERT INTO users AS u (sub, email, username, user_pool_id, attributes, source, observed_at)
  SELECT sub, email, username, user_pool_id, attributes, source, observed_at FROM incoming
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
  RETURNING u.*, u.xmax = 0 AS inserted
)
SELECT w.sub, w.email, w.username, w.user_pool_id, w.attributes, w.source,
  w.created_at, w.updated_at, w.observed_at, w.deleted_at,
  CASE WHEN w.inserted THEN 'created'
       WHEN w.observed_at > i.observed_at THEN 'stale'
       WHEN w.updated_at = now() THEN 'updated'
       ELSE 'unchanged' END AS change
FROM written w JOIN incoming i ON i.sub = w.sub`;

/**
 * The fields the statement reads, by their contract names; anything else a caller's object
 * carries stays out of the statement's input.
 */
const contractFieldsOf = (registration: Registration) => ({
  sub: registration.sub,
  email: registration.email,
  username: registration.username,
  userPoolId: registration.userPoolId,
  attributes: registration.attributes,
  source: registration.source,
  observedAt: registration.observedAt ?? null,
});

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

/**
 * The readiness probe: whether a transaction on this connection would be read-only, as it is on
 * a hot standby, on a writer demoted in a failover, or under `default_transaction_read_only`.
 */
const READINESS_SQL = "SELECT current_setting('transaction_read_only') AS read_only";
const READ_ONLY_REASON =
  'database is read-only (a failover, or a writer demoted): cannot take writes';

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
  /**
   * Stores many registrations in one round trip with the same statement: one result per
   * distinct `sub`, in no particular order (a `sub` given twice is stored once, from its latest
   * observation; see UPSERT_SQL). Errors as for `upsert`.
   */
  upsertMany(registrations: readonly Registration[]): Promise<UpsertResult[]>;
  /**
   * Whether the database answers within the timeout and would take a write, and if not, why. A
   * server in read-only mode (a standby, a writer demoted in a failover) answers every read, but
   * every registration would meet 503: not ready either.
   */
  checkReachable(timeoutMs?: number): Promise<Reachability>;
}

/**
 * The user table's data access. A first insert of one `sub` racing another needs no retry: the
 * primary key is the ON CONFLICT arbiter and the only unique index, so the later insert waits
 * for the earlier one and then takes the DO UPDATE path.
 */
export function createUserRepository(db: Knex): UserRepository {
  const store = async (registrations: readonly Registration[]): Promise<UpsertResult[]> => {
    let result: { rows: UserRow[] };
    try {
      result = await withFreshCredentials(db, () =>
        db.raw(UPSERT_SQL, { registrations: JSON.stringify(registrations.map(contractFieldsOf)) }),
      );
    } catch (error) {
      if (isConnectionFailure(error))
        throw new DatabaseUnreachableError('database unreachable', { cause: error });
      throw error;
    }
    return result.rows.map((row) => ({ user: toStoredUser(row), change: row.change }));
  };

  return {
    async upsert(registration) {
      const [result] = await store([registration]);
      if (!result) throw new Error('upsert returned no row');
      return result;
    },

    async upsertMany(registrations) {
      if (registrations.length === 0) return [];
      return store(registrations);
    },

    async checkReachable(timeoutMs = 1_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<Reachability>((resolve) => {
        timer = setTimeout(
          () => resolve({ reachable: false, reason: `no answer within ${timeoutMs} ms` }),
          timeoutMs,
        );
      });
      const probe = withFreshCredentials(db, (): Promise<{ rows: Array<{ read_only: string }> }> =>
        db.raw(READINESS_SQL),
      ).then(
        (result): Reachability => {
          if (result.rows[0]?.read_only !== 'on') return { reachable: true };
          // The connection may be one the failover left on the old server: the next is fresh.
          retireConnections(db);
          return { reachable: false, reason: READ_ONLY_REASON };
        },
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
