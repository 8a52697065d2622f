import type { Knex } from 'knex';

/**
 * The subs one reconciliation run has seen in the pool, so that "gone from the pool" is a
 * set-based anti-join at the end of a complete scan instead of a list of every user in memory.
 * Rows live only for their run (deleted when it ends; a crashed run's rows are cleared by the
 * next one). UNLOGGED: nothing here needs to survive a database crash, and skipping the WAL
 * makes staging a page nearly free.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE UNLOGGED TABLE reconcile_seen (
      run_id uuid NOT NULL,
      sub uuid NOT NULL,
      seen_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (run_id, sub)
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE reconcile_seen');
}
