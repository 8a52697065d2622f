import type { Knex } from 'knex';

/**
 * `users` keyed by the Cognito `sub`. Email uniqueness is case-insensitive through a unique index
 * on lower(email), so the upsert can report a conflict without reading first.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (table) => {
    table.uuid('sub').primary();
    table.text('email').notNullable();
    table.text('username').notNullable();
    table.text('user_pool_id').notNullable();
    table.jsonb('attributes').notNullable().defaultTo('{}');
    table.text('source').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(
    "ALTER TABLE users ADD CONSTRAINT users_source_check CHECK (source IN ('trigger', 'queue', 'reconcile'))",
  );
  await knex.raw('CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('users');
}
