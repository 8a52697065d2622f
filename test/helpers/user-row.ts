import type { RegistrationSource } from '#contract/registration';

/** A row of `users` as the test database's driver reads it: jsonb parsed, timestamptz as Date. */
export interface UserRow {
  sub: string;
  email: string;
  username: string;
  user_pool_id: string;
  attributes: Record<string, string>;
  source: RegistrationSource;
  created_at: Date;
  updated_at: Date;
  observed_at: Date;
  deleted_at: Date | null;
}
