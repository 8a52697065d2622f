import type { Knex } from 'knex';

/**
 * What the reconciler's sweep and staging need, measured with `npm run bench:reconcile`:
 *
 * - `reconcile_seen` loses its primary key. Every user of the pool is staged once per run, so
 *   maintaining a B-tree on (run_id, sub) was most of the staging's cost, and nothing looks a
 *   single row up: the sweep reads the run's rows as a set (a hash anti-join). A sub seen twice
 *   in one run is staged twice, which changes nothing ("not seen" is what counts).
 * - A partial index on the live rows of each pool, so the sweep reads only the pool it sweeps
 *   when the table mirrors several pools, and deleted rows never weigh on it.
 *
 * Built CONCURRENTLY (outside a transaction) so that the API keeps writing while it is built.
 */
export const config = { transaction: false };

export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE reconcile_seen DROP CONSTRAINT IF EXISTS reconcile_seen_pkey');
  // A build that failed half-way leaves an invalid index behind: start again from nothing.
  await knex.raw('DROP INDEX CONCURRENTLY IF EXISTS users_live_pool_idx');
  await knex.raw(
    'CREATE INDEX CONCURRENTLY users_live_pool_idx ON users (user_pool_id) WHERE deleted_at IS NULL',
  );
}

/** Staged rows live only for their run: duplicates are dropped so the key can come back. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX CONCURRENTLY IF EXISTS users_live_pool_idx');
  await knex.raw(`
    DELETE FROM reconcile_seen a USING reconcile_seen b
    WHERE a.run_id = b.run_id AND a.sub = b.sub AND a.ctid < b.ctid`);
  await knex.raw('ALTER TABLE reconcile_seen ADD PRIMARY KEY (run_id, sub)');
}
