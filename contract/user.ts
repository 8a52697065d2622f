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
}

/** Error codes of the API's `{ "error": { "code", "message" } }` bodies. */
export const apiErrorCodes = [
  'invalid_request',
  'forbidden',
  'email_conflict',
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
