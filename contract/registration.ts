import * as z from 'zod';
import {
  MAX_ATTRIBUTE_NAME_LENGTH,
  MAX_ATTRIBUTE_VALUE_LENGTH,
  MAX_CUSTOM_ATTRIBUTES,
  MAX_EMAIL_LENGTH,
  MAX_OBSERVED_AT_LENGTH,
  MAX_OTHER_ATTRIBUTES,
  MAX_USERNAME_LENGTH,
  MAX_USER_POOL_ID_LENGTH,
} from './registration-limits';

/** Where a registration came from: the live trigger, the fallback queue, or a reconciliation job. */
export const registrationSources = ['trigger', 'queue', 'reconcile'] as const;
export type RegistrationSource = (typeof registrationSources)[number];

/**
 * Keys that would reach an object's prototype if copied naively. Zod silently drops some of them
 * from records, which would hide a hostile body; we refuse them instead.
 */
const forbiddenAttributeNames = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Cognito attribute names (`email`, `custom:plan`, `cognito:user_status`, `dev:flag`) by Cognito's
 * own rule: letters, marks, symbols, digits and punctuation, no spaces or control characters.
 */
const attributeName = z
  .string()
  .max(
    MAX_ATTRIBUTE_NAME_LENGTH,
    `attribute names are at most ${MAX_ATTRIBUTE_NAME_LENGTH} characters`,
  )
  .regex(
    /^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$/u,
    'attribute names are letters, marks, symbols, digits or punctuation',
  )
  .refine((name) => !forbiddenAttributeNames.has(name), 'attribute name is reserved');

/** Custom attributes count against the pool's limit of 50; `dev:` is their legacy spelling. */
const isCustomAttributeName = (name: string): boolean =>
  name.startsWith('custom:') || name.startsWith('dev:');

/**
 * PostgreSQL text and jsonb cannot hold NUL or unpaired UTF-16 surrogates; refusing them here
 * turns what would be a database error into a 400 naming the field.
 */
const storableText = (schema: z.ZodString) =>
  schema.refine(
    (value) => !value.includes(String.fromCharCode(0)) && !/\p{Cs}/u.test(value),
    'must not contain NUL or unpaired surrogates',
  );

const attributeValue = storableText(z.string().max(MAX_ATTRIBUTE_VALUE_LENGTH));

/** At most 50 custom attributes and 30 others: the counts the size rule is derived from. */
function refuseTooManyAttributes(attributes: Record<string, string>, ctx: z.RefinementCtx): void {
  const names = Object.keys(attributes);
  const custom = names.filter(isCustomAttributeName).length;
  if (custom > MAX_CUSTOM_ATTRIBUTES) {
    ctx.addIssue({ code: 'custom', message: `at most ${MAX_CUSTOM_ATTRIBUTES} custom attributes` });
  }
  if (names.length - custom > MAX_OTHER_ATTRIBUTES) {
    ctx.addIssue({
      code: 'custom',
      message: `at most ${MAX_OTHER_ATTRIBUTES} attributes besides the custom ones`,
    });
  }
}

/**
 * When the sender read this state of the user, with its offset (`Z` or `+02:00`). Instants before
 * 1970 are refused: no sender observes them, and PostgreSQL refuses some (year 0) outright.
 */
const observedAt = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 date-time with an offset' })
  .max(MAX_OBSERVED_AT_LENGTH)
  .refine((value) => Date.parse(value) >= 0, 'must not be before 1970');

/** Runs on the raw value: zod's record parsing silently drops a `__proto__` key. */
function refuseForbiddenKeys(value: unknown, ctx: z.RefinementCtx): void {
  if (typeof value !== 'object' || value === null) return;
  for (const key of Object.keys(value)) {
    if (forbiddenAttributeNames.has(key)) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'attribute name is reserved' });
    }
  }
}

/** The body of `POST /user` (and of a fallback queue message): one Cognito user. */
export const registrationSchema = z.strictObject({
  sub: z.uuid({ message: 'must be a UUID' }),
  // The WHATWG (HTML form) rule: what Cognito's own sign-up forms accept, `a@b.c` included.
  email: z
    .email({ pattern: z.regexes.html5Email, message: 'must be an email address' })
    .max(MAX_EMAIL_LENGTH),
  username: storableText(z.string().min(1).max(MAX_USERNAME_LENGTH)),
  userPoolId: z
    .string()
    .max(MAX_USER_POOL_ID_LENGTH)
    .regex(/^[\w-]+_[0-9a-zA-Z]+$/, 'must be a Cognito user pool id like eu-west-1_AbC123'),
  attributes: z
    .unknown()
    .superRefine(refuseForbiddenKeys)
    .pipe(z.record(attributeName, attributeValue).superRefine(refuseTooManyAttributes))
    .default({}),
  source: z.enum(registrationSources),
  observedAt: observedAt.optional(),
});

/** A validated registration (attributes always present). */
export type Registration = z.output<typeof registrationSchema>;
/** What a sender may build before validation (attributes optional). */
export type RegistrationInput = z.input<typeof registrationSchema>;

export type RegistrationParseResult =
  { ok: true; registration: Registration } | { ok: false; field: string; message: string };

/**
 * Validates an unknown value (a parsed JSON body or queue message) against the contract and, on
 * failure, names the first offending field, e.g. `email` or `attributes.custom:plan`.
 */
export function parseRegistration(value: unknown): RegistrationParseResult {
  const result = registrationSchema.safeParse(value);
  if (result.success) return { ok: true, registration: result.data };
  const issue = result.error.issues[0];
  if (!issue) return { ok: false, field: '(body)', message: 'invalid registration' };
  const unrecognized = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : undefined;
  const path = issue.path.map(String).join('.');
  const field = unrecognized ?? (path === '' ? '(body)' : path);
  const message =
    unrecognized !== undefined ? `unknown field(s): ${unrecognized}` : `${field}: ${issue.message}`;
  return { ok: false, field, message };
}

/**
 * The registration as the JSON that senders put on the wire and in queue messages. An SQS message
 * body may hold only #x9, #xA, #xD, #x20-#xD7FF, #xE000-#xFFFD and #x10000-#x10FFFF; JSON already
 * escapes the control characters below #x20, and this also escapes U+FFFE and U+FFFF, which a
 * Cognito attribute may hold but SQS refuses raw. Each escape costs 6 bytes, the price per
 * character REGISTRATION_MAX_BYTES already assumes. JSON.parse reads it back exactly.
 */
export function registrationJson(registration: Registration): string {
  return JSON.stringify(registration).replace(/[\ufffe\uffff]/g, (character) =>
    character === '\ufffe' ? '\\ufffe' : '\\uffff',
  );
}
