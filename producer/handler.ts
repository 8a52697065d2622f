import type { Context, PostConfirmationTriggerEvent } from 'aws-lambda';

/**
 * Cognito PostConfirmation trigger. Placeholder wiring: returns the event untouched until the
 * registrar is wired in.
 */
export async function handler(
  event: PostConfirmationTriggerEvent,
  _context: Context,
): Promise<PostConfirmationTriggerEvent> {
  return event;
}
