import * as z from 'zod';

/** Largest request body the API accepts for `POST /user`, in bytes. */
export const REGISTRATION_MAX_BYTES = 16 * 1024;

/** Where a registration came from: the live trigger, the fallback queue, or a reconciliation job. */
export const registrationSources = ['trigger', 'queue', 'reconcile'] as const;
export type RegistrationSource = (typeof registrationSources)[number];

/**
 * Keys that would reach an object's prototype if copied naively. Zod silently drops some of them
 * from records, which would hide a hostile body; we refuse them instead.
 */
const forbiddenAttributeNames = new Set(['__proto__', 'constructor', 'prototype']);

/** Cognito attribute names: `email`, `custom:plan`, `cognito:user_status`, `dev:flag`. */
const attributeName = z
  .string()
  .regex(/^[A-Za-z0-9_:.-]{1,64}$/, 'attribute names are 1-64 characters of A-Z a-z 0-9 _ : . -')
  .refine((name) => !forbiddenAttributeNames.has(name), 'attribute name is reserved');

/**
 * PostgreSQL text and jsonb cannot hold NUL or unpaired UTF-16 surrogates; refusing them here
 * turns what would be a database error into a 400 naming the field.
 */
const storableText = (schema: z.ZodString) =>
  schema.refine(
    (value) => !value.includes(String.fromCharCode(0)) && !/\p{Cs}/u.test(value),
    'must not contain NUL or unpaired surrogates',
  );

/** Cognito custom attribute values are at most 2048 characters. */
const attributeValue = storableText(z.string().max(2048));

export const MAX_ATTRIBUTES = 100;

/**
 * When the sender read this state of the user, with its offset (`Z` or `+02:00`). Instants before
 * 1970 are refused: no sender observes them, and PostgreSQL refuses some (year 0) outright.
 */
const observedAt = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 date-time with an offset' })
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
  email: z.email({ pattern: z.regexes.html5Email, message: 'must be an email address' }).max(254),
  username: storableText(z.string().min(1).max(128)),
  userPoolId: z
    .string()
    .max(55)
    .regex(/^[\w-]+_[0-9a-zA-Z]+$/, 'must be a Cognito user pool id like eu-west-1_AbC123'),
  attributes: z
    .unknown()
    .superRefine(refuseForbiddenKeys)
    .pipe(
      z
        .record(attributeName, attributeValue)
        .refine((attributes) => Object.keys(attributes).length <= MAX_ATTRIBUTES, {
          message: `at most ${MAX_ATTRIBUTES} attributes`,
        }),
    )
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
