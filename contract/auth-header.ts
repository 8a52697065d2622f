import { createHash, timingSafeEqual } from 'node:crypto';

export const DEFAULT_AUTH_HEADER_NAME = 'x-custom-auth';
/** Header values shorter than this are refused at start-up: they could be guessed. */
export const MIN_HEADER_SECRET_LENGTH = 32;

/**
 * The JSON kept in the Secrets Manager secret (`AUTH_SECRET_ARN`). Senders use `current`;
 * receivers accept `current` and, during a rotation, `previous`.
 */
export interface HeaderSecretDocument {
  current: string;
  previous?: string;
}

/** Splits `AUTH_HEADER_SECRETS` ("current,previous") into accepted values, current first. */
export function splitHeaderSecretList(raw: string): string[] {
  return raw
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value.length > 0);
}

/** Returns a reason when a header value is unfit to be a shared secret, else undefined. */
export function headerSecretProblem(value: string): string | undefined {
  if (value.length < MIN_HEADER_SECRET_LENGTH) {
    return `must be at least ${MIN_HEADER_SECRET_LENGTH} characters`;
  }
  if (!/^[\x21-\x7e]+$/.test(value)) return 'must be printable ASCII without spaces or commas';
  if (value.includes(',')) return 'must not contain commas';
  return undefined;
}

/** Parses the secret's JSON; throws without echoing the content (it is a secret). */
export function parseHeaderSecretDocument(secretString: string): HeaderSecretDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new Error('header secret is not JSON of the form {"current": "...", "previous": "..."}');
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw new Error('header secret must be a JSON object');
  }
  const { current, previous } = parsed as Record<string, unknown>;
  if (typeof current !== 'string' || headerSecretProblem(current) !== undefined) {
    throw new Error(`header secret "current" ${headerSecretProblem(String(current ?? ''))}`);
  }
  if (previous === undefined || previous === null || previous === '') return { current };
  if (typeof previous !== 'string' || headerSecretProblem(previous) !== undefined) {
    throw new Error('header secret "previous" must be empty or a valid header value');
  }
  return { current, previous };
}

/** The values a receiver accepts, current first, without duplicates. */
export function acceptedValuesOf(document: HeaderSecretDocument): string[] {
  const values = [document.current];
  if (document.previous !== undefined && document.previous !== document.current) {
    values.push(document.previous);
  }
  return values;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * True when `presented` equals one of `acceptedHeaderValues`. Every accepted value is compared
 * (no early exit) on fixed-length digests, so timing reveals neither which value matched nor how
 * much of it.
 */
export function isAcceptedHeaderValue(
  presented: string | readonly string[] | undefined,
  acceptedHeaderValues: readonly string[],
): boolean {
  // A repeated header arrives as several values; accepting any of them would let an attacker append.
  if (typeof presented !== 'string') return false;
  const presentedDigest = digest(presented);
  let matched = false;
  for (const accepted of acceptedHeaderValues) {
    if (timingSafeEqual(presentedDigest, digest(accepted))) matched = true;
  }
  return matched;
}
