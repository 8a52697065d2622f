import type { Knex } from 'knex';

/**
 * What the reconciler's sweep and staging need, measured with `npm run bench:reconcile`:
 *
 * - `reconcile_seen` trades its primary key for a plain index on the same columns. Every user of
 *   the pool is staged once per run, and the unique key's upkeep (with ON CONFLICT's
 *   speculative insertion) was most of the staging's cost; a plain index costs a third as much.
 *   The index stays because the sweep's anti-join must never depend on fresh statistics of a
 *   table that fills during the run: without it, a planner that believes the table empty probes
 *   it row by row with a full scan each. A sub seen twice in one run is staged twice, which
 *   changes nothing ("not seen" is what counts).
 * - A partial index on the live rows of each pool, so the sweep reads only the pool it sweeps
 *   when the table mirrors several pools, and deleted rows never weigh on it.
 *
 * Built CONCURRENTLY (outside a transaction) so that the API keeps writing while it is built.
 */
export const config = { transaction: false };

export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE reconcile_seen DROP CONSTRAINT IF EXISTS reconcile_seen_pkey');
  await knex.raw(
    'CREATE INDEX IF NOT EXISTS reconcile_seen_run_sub_idx ON reconcile_seen (run_id, sub)',
  );
  // A build that failed half-way leaves an invalid index behind: start again from nothing.
  await knex.raw('DROP INDEX CONCURRENTLY IF EXISTS users_live_pool_idx');
  await knex.raw(
    'CREATE INDEX CONCURRENTLY users_live_pool_idx ON users (user_pool_id) WHERE deleted_at IS NULL',
  );
}

/** Staged rows live only for their run: duplicates are dropped so the key can come back. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX CONCURRENTLY IF EXISTS users_live_pool_idx');
  await knex.raw('DROP INDEX IF EXISTS reconcile_seen_run_sub_idx');
  await knex.raw(`
    DELETE FROM reconcile_seen a USING reconcile_seen b
    WHERE a.run_id = b.run_id AND a.sub = b.sub AND a.ctid < b.ctid`);
  await knex.raw('ALTER TABLE reconcile_seen ADD PRIMARY KEY (run_id, sub)');
}
