import type { RegistrationSource } from './registration';

/** A user as stored by the API and returned by `POST /user`. */
export interface StoredUser {
  sub: string;
  email: string;
  username: string;
  userPoolId: string;
  attributes: Record<string, string>;
  source: RegistrationSource;
  createdAt: string;
  updatedAt: string;
  /** When the stored state was read from Cognito by its sender (ISO-8601, UTC). */
  observedAt: string;
  /** When the reconciler found the `sub` gone from the pool; null while it is there. */
  deletedAt: string | null;
}

/**
 * What one registration did to the mirror:
 * - `created`: a new `sub` (HTTP 201);
 * - `updated`: stored data changed (`updatedAt` moves), or a deleted mark was cleared;
 * - `unchanged`: same data again (a retry or replay);
 * - `stale`: observed before the stored state, so nothing was written.
 */
export const registrationChanges = ['created', 'updated', 'unchanged', 'stale'] as const;
export type RegistrationChange = (typeof registrationChanges)[number];

/** The body of a successful `POST /user` answer (201 or 200). */
export interface RegistrationResponse {
  change: RegistrationChange;
  user: StoredUser;
}

/** Error codes of the API's `{ "error": { "code", "message" } }` bodies. */
export const apiErrorCodes = [
  'invalid_request',
  'forbidden',
  'payload_too_large',
  'unsupported_media_type',
  'not_found',
  'unavailable',
  'internal',
] as const;
export type ApiErrorCode = (typeof apiErrorCodes)[number];

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string };
}
