import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Registration } from '#contract/registration';
import {
  MAX_ATTRIBUTE_NAME_LENGTH,
  MAX_ATTRIBUTE_VALUE_LENGTH,
  MAX_CUSTOM_ATTRIBUTES,
  MAX_EMAIL_LENGTH,
  MAX_OTHER_ATTRIBUTES,
  MAX_USERNAME_LENGTH,
  MAX_USER_POOL_ID_LENGTH,
} from '#contract/registration-limits';

/**
 * The dearest text to serialise, unit for unit: control characters (6 bytes as `\u001f`), quotes
 * and backslashes (escaped), BMP and astral characters (6 bytes per unit in the ASCII form), and
 * the noncharacters SQS refuses raw (U+FFFE, U+FFFF). Pairs are whole tokens, never split.
 */
const costlyTokens = [
  '\u0001',
  '\u001f',
  '\u007f',
  '"',
  '\\',
  '\n',
  'é',
  '名',
  '\u2028',
  '\ufffe',
  '\uffff',
  '😀',
  'a',
];
/** Punctuation and letters Cognito allows in attribute names (no spaces or controls). */
const costlyNameTokens = ['"', '\\', 'é', '名', '😀', '.', '_'];

/** Exactly `length` characters (code points, as the schema counts them) of the tokens. */
const textOfLength = (tokens: readonly string[], length: number): fc.Arbitrary<string> =>
  fc
    .array(fc.constantFrom(...tokens), { minLength: length, maxLength: length })
    .map((picked) => picked.join(''));

const nameOfLength = (prefix: string, index: number): fc.Arbitrary<string> =>
  textOfLength(costlyNameTokens, MAX_ATTRIBUTE_NAME_LENGTH - prefix.length - 3).map(
    // A fixed index keeps the names distinct; the filler makes each as long and dear as allowed.
    (filler) => `${prefix}${String(index).padStart(3, '0')}${filler}`,
  );

/**
 * Registrations at every limit at once: 50 custom and 30 other attributes with names of 32
 * characters and values of 2,048, the longest username, email and pool id, and an offset timestamp
 * with nanoseconds; the text drawn from the costliest characters to serialise.
 */
export const largestRegistrations: fc.Arbitrary<Registration> = fc
  .tuple(
    fc.tuple(
      ...Array.from({ length: MAX_CUSTOM_ATTRIBUTES }, (_, index) =>
        fc.tuple(
          nameOfLength('custom:', index),
          textOfLength(costlyTokens, MAX_ATTRIBUTE_VALUE_LENGTH),
        ),
      ),
    ),
    fc.tuple(
      ...Array.from({ length: MAX_OTHER_ATTRIBUTES }, (_, index) =>
        fc.tuple(
          nameOfLength('std', index),
          textOfLength(costlyTokens, MAX_ATTRIBUTE_VALUE_LENGTH),
        ),
      ),
    ),
    textOfLength(costlyTokens, MAX_USERNAME_LENGTH),
  )
  .map(([custom, other, username]) => {
    const sub = randomUUID();
    const domain = '@example.com';
    return {
      sub,
      email: `${sub}${'e'.repeat(MAX_EMAIL_LENGTH - sub.length - domain.length)}${domain}`,
      username,
      userPoolId: `eu-west-1_${'A'.repeat(MAX_USER_POOL_ID_LENGTH - 'eu-west-1_'.length)}`,
      attributes: Object.fromEntries([...custom, ...other]),
      source: 'reconcile',
      observedAt: '2026-11-27T10:15:00.123456789+05:30',
    };
  });

/**
 * The single dearest registration: every free-text character a control character (6 bytes in
 * JSON), every name character an astral letter (4 bytes, the most a name can cost). Its JSON is
 * within a few kilobytes of REGISTRATION_MAX_BYTES, which charges names 6 bytes a character.
 */
export function mostExpensiveRegistration(): Registration {
  const [example] = fc.sample(largestRegistrations, { numRuns: 1 });
  if (!example) throw new Error('no sample');
  const dearName = (name: string): string =>
    [...name].map((character, index) => (index < 10 ? character : '𝒜')).join('');
  return {
    ...example,
    username: '\u0001'.repeat(MAX_USERNAME_LENGTH),
    attributes: Object.fromEntries(
      Object.keys(example.attributes).map((name) => [
        dearName(name),
        '\u001f'.repeat(MAX_ATTRIBUTE_VALUE_LENGTH),
      ]),
    ),
  };
}
