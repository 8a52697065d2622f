import {
  acceptedValuesOf,
  headerSecretProblem,
  isAcceptedHeaderValue,
  parseHeaderSecretDocument,
  splitHeaderSecretList,
} from '#contract/auth-header';
import { newHeaderSecret } from '../../../fixtures/registrations';

describe('header check', () => {
  const current = newHeaderSecret();
  const previous = newHeaderSecret();

  it('when the presented value is the current or the previous one, then it is accepted', () => {
    expect(isAcceptedHeaderValue(current, [current, previous])).toBe(true);
    expect(isAcceptedHeaderValue(previous, [current, previous])).toBe(true);
  });

  it('when the value is missing, wrong, a prefix, or longer, then it is refused', () => {
    expect(isAcceptedHeaderValue(undefined, [current])).toBe(false);
    expect(isAcceptedHeaderValue('', [current])).toBe(false);
    expect(isAcceptedHeaderValue(current.slice(0, -1), [current])).toBe(false);
    expect(isAcceptedHeaderValue(`${current}x`, [current])).toBe(false);
    expect(isAcceptedHeaderValue(current.toUpperCase(), [current.toLowerCase()])).toBe(false);
  });

  it('when the header is repeated (an array), then it is refused even if one copy is right', () => {
    expect(isAcceptedHeaderValue([current, 'other'], [current])).toBe(false);
  });

  it('when nothing is accepted, then nothing matches', () => {
    expect(isAcceptedHeaderValue(current, [])).toBe(false);
  });
});

describe('header secret values', () => {
  it('when a value is shorter than 32 characters, then it is unfit', () => {
    expect(headerSecretProblem('x'.repeat(31))).toMatch(/at least 32/);
    expect(headerSecretProblem('x'.repeat(32))).toBeUndefined();
  });

  it('when a value has spaces, commas or control characters, then it is unfit', () => {
    expect(headerSecretProblem(`${'x'.repeat(32)} y`)).toBeDefined();
    expect(headerSecretProblem(`${'x'.repeat(32)},y`)).toBeDefined();
    expect(headerSecretProblem(`${'x'.repeat(32)}\n`)).toBeDefined();
  });

  it('when AUTH_HEADER_SECRETS lists values, then they split in order without blanks', () => {
    expect(splitHeaderSecretList(' a , b,,c ')).toEqual(['a', 'b', 'c']);
  });

  it('when the secret JSON holds current and previous, then both are accepted, current first', () => {
    const current = newHeaderSecret();
    const previous = newHeaderSecret();
    const document = parseHeaderSecretDocument(JSON.stringify({ current, previous }));
    expect(acceptedValuesOf(document)).toEqual([current, previous]);
  });

  it('when previous is empty or equals current, then only current is accepted', () => {
    const current = newHeaderSecret();
    expect(
      acceptedValuesOf(parseHeaderSecretDocument(JSON.stringify({ current, previous: '' }))),
    ).toEqual([current]);
    expect(
      acceptedValuesOf(parseHeaderSecretDocument(JSON.stringify({ current, previous: current }))),
    ).toEqual([current]);
  });

  it('when the secret is not valid, then the error never contains the secret text', () => {
    const leaked = 'short-but-secret';
    for (const text of [leaked, JSON.stringify({ current: leaked }), JSON.stringify([leaked])]) {
      let message = '';
      try {
        parseHeaderSecretDocument(text);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain(leaked);
    }
  });
});
