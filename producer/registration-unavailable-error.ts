/**
 * Thrown to Cognito when neither the API nor the queue took a registration. Cognito shows the
 * message to the user (the hosted UI puts it in the callback URL), so it carries no internals:
 * no URL, status, reason or secret. The user is confirmed either way; Cognito may retry the
 * trigger, and the idempotent upsert on `sub` makes a retry safe.
 */
export class RegistrationUnavailableError extends Error {
  override readonly name = 'RegistrationUnavailableError';

  constructor() {
    super(
      'Your account is confirmed, but we could not finish setting it up. Please sign in again in a few minutes.',
    );
  }
}
