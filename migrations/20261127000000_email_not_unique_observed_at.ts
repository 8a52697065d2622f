import type { Knex } from 'knex';

/**
 * Contract v2: the table mirrors the Cognito user pool, which lets two users hold one email (a
 * deleted user who signs up again, or a pool that signs in by username). Email uniqueness goes;
 * a plain index on lower(email) keeps case-insensitive lookups fast.
 *
 * `observed_at` is when the sender read this state of the user; the upsert refuses to replace a
 * row with an older observation. Rows stored before this migration were observed at the latest
 * when they were last written, so their `updated_at` is the truthful floor.
 *
 * `deleted_at` marks a `sub` the reconciler found gone from the pool (never a hard delete).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX users_email_lower_key');
  await knex.raw('CREATE INDEX users_email_lower_idx ON users (lower(email))');
  await knex.raw('ALTER TABLE users ADD COLUMN observed_at timestamptz');
  await knex.raw('UPDATE users SET observed_at = updated_at');
  await knex.raw('ALTER TABLE users ALTER COLUMN observed_at SET NOT NULL');
  await knex.raw('ALTER TABLE users ADD COLUMN deleted_at timestamptz NULL');
}

/** Thrown by `down` when the data no longer allows the v1 rule "one user per email". */
export class DuplicateEmailsError extends Error {
  override name = 'DuplicateEmailsError';
}

/**
 * Restores v1 only when the data allows it: with two `sub`s sharing an email the unique index
 * cannot be built, and dropping one of them would lose a confirmed user. The count, not the
 * addresses, goes into the message, so the error never carries personal data into a log.
 */
export async function down(knex: Knex): Promise<void> {
  const duplicates: { rows: { emails: string | number }[] } = await knex.raw(
    'SELECT count(*) AS emails FROM (SELECT 1 FROM users GROUP BY lower(email) HAVING count(*) > 1) AS shared',
  );
  const sharedEmails = Number(duplicates.rows[0]?.emails ?? 0);
  if (sharedEmails > 0) {
    throw new DuplicateEmailsError(
      `cannot roll back to unique emails: ${sharedEmails} email address(es) are held by more than one sub ` +
        '(case-insensitively); the mirror keeps every confirmed user, so resolve those users in the pool ' +
        'and the table first (SELECT lower(email), count(*) FROM users GROUP BY 1 HAVING count(*) > 1)',
    );
  }
  await knex.raw('ALTER TABLE users DROP COLUMN deleted_at');
  await knex.raw('ALTER TABLE users DROP COLUMN observed_at');
  await knex.raw('DROP INDEX users_email_lower_idx');
  await knex.raw('CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))');
}
