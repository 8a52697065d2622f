import type { PostConfirmationTriggerEvent } from 'aws-lambda';
import { parseRegistration, type RegistrationParseResult } from '#contract/registration';

/**
 * Builds the `POST /user` body from a PostConfirmation event and validates it against the
 * shared contract. `attributes` mirrors Cognito's `userAttributes` exactly, including `sub`,
 * `email` and the `cognito:*` entries, each as a string: the API stores what Cognito holds
 * without this trigger deciding which attributes matter. `observedAt` is when the trigger was
 * invoked: the moment this state of the user was read from Cognito.
 */
export function registrationFromEvent(
  event: PostConfirmationTriggerEvent,
  observedAt: string,
): RegistrationParseResult {
  const userAttributes: Record<string, unknown> = event.request.userAttributes ?? {};
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(userAttributes)) {
    if (value !== undefined && value !== null) attributes[name] = String(value);
  }
  return parseRegistration({
    sub: attributes['sub'],
    email: attributes['email'],
    username: event.userName,
    userPoolId: event.userPoolId,
    attributes,
    source: 'trigger',
    observedAt,
  });
}
