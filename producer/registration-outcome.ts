import type { RetryableReason, PermanentReason } from '#contract/registration-client';

/** Why a registration took the queue path. */
export type FallbackReason =
  | RetryableReason
  /** The breaker is open: the API failed moments ago in this container. */
  | 'breaker_open'
  /** Too little time left for an API attempt that could still leave room for the queue. */
  | 'no_time'
  /** The header value could not be read (e.g. Secrets Manager unreachable). */
  | 'secret_unavailable';

/**
 * What happened to one PostConfirmation invocation, reported by the registrar, logged by the
 * handler and tallied by `npm run signup`.
 * - `api`: stored by the API directly.
 * - `queue`: handed to the fallback queue; the consumer will deliver it.
 * - `rejected`: can never be stored as built, logged as an error. An invalid event is dropped;
 *   a 400 from the API is parked on the queue (`parkedMessageId`) for the consumer to
 *   dead-letter with the reason.
 * - `skipped`: not a sign-up confirmation (e.g. a password reset); nothing to do.
 * - `failed`: neither the API nor the queue took it; the handler throws.
 */
export type RegistrationOutcome =
  | { path: 'api'; sub: string; status: number; created: boolean }
  | { path: 'queue'; sub: string; reason: FallbackReason; status?: number; messageId?: string }
  | {
      path: 'rejected';
      sub: string | undefined;
      reason: 'invalid_registration' | PermanentReason;
      status?: number;
      detail: string;
      parkedMessageId?: string;
    }
  | { path: 'skipped'; sub: string | undefined; reason: 'not_sign_up'; triggerSource: string }
  | {
      path: 'failed';
      sub: string | undefined;
      reason: FallbackReason | 'internal';
      detail: string;
    };

export type RegistrationPath = RegistrationOutcome['path'];
