import type { Knex } from 'knex';
import type { UserRepository } from '../api/user-repository';
import type { PoolRegistration } from './pool-user';

/** The API's own storage of registrations, used in its multi-row form: one call per batch. */
export type MirrorWriter = Pick<UserRepository, 'upsertMany'>;

/** Counts of one batch: what the mirror holds now (or would, in a dry run). */
export interface BatchCounts {
  created: number;
  updated: number;
  unchanged: number;
  /** Pool states older than the stored one: left alone, and counted in `unchanged` too. */
  stale: number;
}

/** Live rows of the pool, and those the complete scan did not see. */
export interface GoneCount {
  live: number;
  gone: number;
}

export interface MirrorStore {
  /** Clears what a crashed run left in the staging table. */
  beginRun(runId: string): Promise<void>;
  /**
   * Stages the batch's subs as seen (`seenSubs`: every user of the pool in the batch, mirrored
   * or not) and brings the mirror up to date with `registrations`; a dry run only classifies.
   */
  applyBatch(
    runId: string,
    registrations: readonly PoolRegistration[],
    seenSubs: readonly string[],
    options: { dryRun: boolean },
  ): Promise<BatchCounts>;
  /** Live rows of the pool that the run did not see and that predate the scan. */
  countGone(runId: string, userPoolId: string, scanStartedAt: Date): Promise<GoneCount>;
  /**
   * Marks those rows deleted unless they exceed `maxGone` (re-checked in the same transaction);
   * returns how many were marked.
   */
  markGone(
    runId: string,
    userPoolId: string,
    scanStartedAt: Date,
    maxGone: number,
  ): Promise<number>;
  /** Drops the run's staging rows. */
  endRun(runId: string): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * How each incoming user compares with its row, in the terms of the API's upsert (which decides
 * for real, under its row lock, for every row this sends it):
 * - `missing`: no row yet;
 * - `stale`: observed before the stored state and different from it: the upsert would refuse it;
 * - `unchanged`: same data, same or older observation: the upsert would change nothing;
 * - `newer`: same data observed later: only `observed_at` moves, which keeps a later-arriving
 *   older state from overwriting it;
 * - `changed`: different data (or a deleted mark to clear), not older.
 * The batch travels as one JSON document (the registrations as the upsert takes them), one
 * round trip for the whole batch, which also stages every sub of the batch as seen: the
 * registrations' own, and `alsoSeen`, pool users the mirror does not hold. Only the users
 * that are not `unchanged` come back (on a normal day a few percent of the batch): one verdict
 * per registration, so the rest are the unchanged ones.
 */
const CLASSIFY_SQL = `
WITH incoming AS (
  SELECT * FROM jsonb_to_recordset(CAST(:registrations AS jsonb))
    AS r(sub uuid, email text, username text, "userPoolId" text, attributes jsonb, "observedAt" timestamptz)
), staged AS (
  INSERT INTO reconcile_seen (run_id, sub)
  SELECT CAST(:runId AS uuid), sub FROM incoming
  UNION ALL
  SELECT CAST(:runId AS uuid), CAST(value AS uuid) FROM jsonb_array_elements_text(CAST(:alsoSeen AS jsonb))
)
SELECT sub, verdict FROM (
  SELECT i.sub,
    CASE
      WHEN u.sub IS NULL THEN 'missing'
      WHEN (u.email, u.username, u.user_pool_id, u.attributes, u.deleted_at)
           IS NOT DISTINCT FROM (i.email, i.username, i."userPoolId", i.attributes, CAST(NULL AS timestamptz))
        THEN CASE WHEN date_trunc('milliseconds', i."observedAt") > u.observed_at THEN 'newer' ELSE 'unchanged' END
      WHEN date_trunc('milliseconds', i."observedAt") < u.observed_at THEN 'stale'
      ELSE 'changed'
    END AS verdict
  FROM incoming i LEFT JOIN users u ON u.sub = i.sub
) AS classified
WHERE verdict <> 'unchanged'`;

/** The live rows of the pool (read through the partial index users_live_pool_idx). */
const LIVE_ROWS = `u.user_pool_id = :userPoolId AND u.deleted_at IS NULL`;

/**
 * Of the live rows, those the complete scan did not see. Rows first written or observed after
 * the scan began are spared: a user who signs up during the run may sit on a page the scan had
 * already passed, and the trigger stamps its registration with a later observation.
 */
const UNSEEN_BEFORE_SCAN = `u.created_at < :scanStartedAt AND u.observed_at < :scanStartedAt`;

/** Not staged by this run (a probe of reconcile_seen_run_sub_idx). */
const NOT_SEEN = `NOT EXISTS (
  SELECT 1 FROM reconcile_seen s WHERE s.run_id = CAST(:runId AS uuid) AND s.sub = u.sub
)`;

/**
 * Live rows and gone rows in one pass over the pool's live rows. The staged subs are probed
 * through their index row by row rather than joined as a set: the plan must not depend on
 * statistics of a table that filled during this run (a set join planned for an "empty" table
 * ran in quadratic time).
 */
const COUNT_GONE_SQL = `
SELECT count(*) AS live,
  count(*) FILTER (WHERE ${UNSEEN_BEFORE_SCAN} AND ${NOT_SEEN}) AS gone
FROM users u
WHERE ${LIVE_ROWS}`;

/**
 * A user gone from the pool is marked, never deleted. The mark counts as an observation made
 * when the scan began, so a registration of that user older than the scan (a late retry) is
 * refused as stale rather than bringing the user back.
 */
const MARK_GONE_SQL = `
WITH marked AS (
  UPDATE users u
  SET deleted_at = now(), updated_at = now(),
      observed_at = GREATEST(u.observed_at, CAST(:scanStartedAt AS timestamptz))
  WHERE ${LIVE_ROWS} AND ${UNSEEN_BEFORE_SCAN} AND ${NOT_SEEN}
  RETURNING 1
)
SELECT count(*) AS marked FROM marked`;

/** Thrown inside markGone's transaction to undo a sweep that marked more than the brake allows. */
class BrakeHeld extends Error {
  override name = 'BrakeHeld';
}

type Verdict = 'missing' | 'stale' | 'newer' | 'changed';

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

/**
 * The reconciler's data access: staging, classification, the sweep. Writes go through the API's
 * upsert statement, one round trip per batch (`writer.upsertMany`).
 */
export function createMirrorStore(db: Knex, writer: MirrorWriter): MirrorStore {
  return {
    async beginRun() {
      await db.raw("DELETE FROM reconcile_seen WHERE seen_at < now() - interval '1 day'");
    },

    async applyBatch(runId, registrations, seenSubs, { dryRun }) {
      const counts: BatchCounts = { created: 0, updated: 0, unchanged: 0, stale: 0 };
      const registered = new Set(registrations.map(({ sub }) => sub));
      const verdicts = rowsOf<{ sub: string; verdict: Verdict }>(
        await db.raw(CLASSIFY_SQL, {
          runId,
          registrations: JSON.stringify(registrations),
          alsoSeen: JSON.stringify(
            seenSubs.filter((sub) => !registered.has(sub) && UUID.test(sub)),
          ),
        }),
      );
      const toWrite = new Set<string>();
      counts.unchanged = registrations.length - verdicts.length;
      for (const { sub, verdict } of verdicts) {
        if (verdict === 'stale') {
          counts.unchanged += 1;
          counts.stale += 1;
        } else if (dryRun) {
          if (verdict === 'missing') counts.created += 1;
          else if (verdict === 'changed') counts.updated += 1;
          else counts.unchanged += 1;
        } else toWrite.add(sub);
      }
      if (toWrite.size === 0) return counts;
      const toStore = registrations.filter(({ sub }) => toWrite.has(sub));
      const changes = await writer.upsertMany(toStore);
      // A sub the pool listed twice in one batch is stored once, from its latest state; its other
      // copies change nothing more, so the counts still add up to the users scanned.
      counts.unchanged += toStore.length - changes.length;
      for (const { change } of changes) {
        if (change === 'created') counts.created += 1;
        else if (change === 'updated') counts.updated += 1;
        else {
          counts.unchanged += 1;
          if (change === 'stale') counts.stale += 1;
        }
      }
      return counts;
    },

    async countGone(runId, userPoolId, scanStartedAt) {
      const [row] = rowsOf<{ live: string | number; gone: string | number }>(
        await db.raw(COUNT_GONE_SQL, { runId, userPoolId, scanStartedAt }),
      );
      return { live: Number(row?.live ?? 0), gone: Number(row?.gone ?? 0) };
    },

    async markGone(runId, userPoolId, scanStartedAt, maxGone) {
      // One pass: mark, then count what was marked, and undo it all if that is beyond the brake
      // (rows may have gone between countGone and now).
      try {
        return await db.transaction(async (trx) => {
          const [row] = rowsOf<{ marked: string | number }>(
            await trx.raw(MARK_GONE_SQL, { runId, userPoolId, scanStartedAt }),
          );
          const marked = Number(row?.marked ?? 0);
          if (marked > maxGone) throw new BrakeHeld(`${marked} rows look gone`);
          return marked;
        });
      } catch (error) {
        if (error instanceof BrakeHeld) return 0;
        throw error;
      }
    },

    async endRun(runId) {
      await db.raw('DELETE FROM reconcile_seen WHERE run_id = CAST(? AS uuid)', [runId]);
    },
  };
}
