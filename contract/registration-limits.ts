/**
 * The one size rule. Every limit below is Cognito's own, and the largest serialised registration
 * follows from them by arithmetic, so the schema, the API's body limit and the queue message can
 * never disagree. Lengths count characters (Unicode code points, as the schema's zod checks do),
 * so 2,048 emoji are as valid as 2,048 letters: the generous reading of Cognito's limits.
 */

/** Cognito attribute names: 1-32 characters (`AttributeType.Name`). */
export const MAX_ATTRIBUTE_NAME_LENGTH = 32;
/** Cognito attribute values: up to 2,048 characters (`AttributeType.Value`). */
export const MAX_ATTRIBUTE_VALUE_LENGTH = 2048;
/** A user pool holds at most 50 custom attributes (`custom:…`, and the legacy `dev:…`). */
export const MAX_CUSTOM_ATTRIBUTES = 50;
/**
 * Every other attribute a user can carry: the 20 standard ones (`email`, `phone_number_verified`,
 * `sub`, …) plus what Cognito adds itself (`cognito:user_status`, `cognito:email_alias`,
 * `identities`, …), with room to spare.
 */
export const MAX_OTHER_ATTRIBUTES = 30;
/** Cognito usernames: up to 128 characters. */
export const MAX_USERNAME_LENGTH = 128;
/** RFC 5321's limit on a forward path. */
export const MAX_EMAIL_LENGTH = 254;
/** Cognito user pool ids: up to 55 characters. */
export const MAX_USER_POOL_ID_LENGTH = 55;
/** `YYYY-MM-DDTHH:MM:SS.fffffffff+HH:MM`: nanoseconds and an offset. */
export const MAX_OBSERVED_AT_LENGTH = 35;

/**
 * What one character of free text can cost in serialised JSON: a control character becomes
 * `\u001f`, as do U+FFFE and U+FFFF in `registrationJson`. Every other character costs less: 2
 * bytes for an escaped quote or backslash, 3 UTF-8 bytes at most in the BMP, 4 beyond it.
 */
export const MAX_JSON_BYTES_PER_CHARACTER = 6;

const UUID_LENGTH = 36;
const LONGEST_SOURCE = 'reconcile'.length;
/** The field names, quotes, colons, commas and braces of a registration with empty values. */
const ENVELOPE_BYTES = Buffer.byteLength(
  JSON.stringify({
    sub: '',
    email: '',
    username: '',
    userPoolId: '',
    attributes: {},
    source: '',
    observedAt: '',
  }),
);
/** `"name":"value",` with both at their longest and every unit at its dearest. */
const MAX_ATTRIBUTE_BYTES =
  (MAX_ATTRIBUTE_NAME_LENGTH + MAX_ATTRIBUTE_VALUE_LENGTH) * MAX_JSON_BYTES_PER_CHARACTER + 6;

/**
 * The largest body a valid registration serialises to: 1,000,131 bytes (976.7 KiB). The API refuses
 * anything larger with 413, since no valid registration can be. Emails, pool ids, subs, sources
 * and timestamps are ASCII the schema restricts to characters JSON never escapes.
 */
export const REGISTRATION_MAX_BYTES =
  ENVELOPE_BYTES +
  UUID_LENGTH +
  MAX_EMAIL_LENGTH +
  MAX_USERNAME_LENGTH * MAX_JSON_BYTES_PER_CHARACTER +
  MAX_USER_POOL_ID_LENGTH +
  LONGEST_SOURCE +
  MAX_OBSERVED_AT_LENGTH +
  (MAX_CUSTOM_ATTRIBUTES + MAX_OTHER_ATTRIBUTES) * MAX_ATTRIBUTE_BYTES -
  1; // no comma after the last attribute

/**
 * SQS's largest message, body plus message attributes (names, types and values), since August
 * 2025; the queues are created with it explicitly.
 */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;
/**
 * Kept free in every queue message for message attributes: the producer's few (`reason`,
 * `attemptedAt`, `firstSource`, `status`: about 120 bytes) and, on the DLQ, the consumer's
 * dead-letter attributes (at most 10, the detail cut at 1,024 characters).
 */
export const QUEUE_ATTRIBUTE_BUDGET_BYTES = 16 * 1024;
