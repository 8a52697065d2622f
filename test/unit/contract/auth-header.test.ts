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

describe('header secret values, exactly', () => {
  const valid = 'v'.repeat(32);

  it('when a value is unfit, then the reason says which rule it breaks', () => {
    expect(headerSecretProblem('x'.repeat(31))).toBe('must be at least 32 characters');
    expect(headerSecretProblem(`${valid} y`)).toBe(
      'must be printable ASCII without spaces or commas',
    );
    expect(headerSecretProblem(`${valid}\u007f`)).toBe(
      'must be printable ASCII without spaces or commas',
    );
    expect(headerSecretProblem(`${valid}é`)).toBe(
      'must be printable ASCII without spaces or commas',
    );
    expect(headerSecretProblem(`${valid},y`)).toBe('must not contain commas');
  });

  it('when a value uses the first and last printable characters, then it is fit', () => {
    expect(headerSecretProblem(`!${valid}~`)).toBeUndefined();
  });
});

describe('header secret document', () => {
  const current = newHeaderSecret();
  const messageOf = (text: string): string => {
    try {
      parseHeaderSecretDocument(text);
    } catch (error) {
      return (error as Error).message;
    }
    return '(no error)';
  };

  it('when the secret is not JSON, then the error shows the expected form', () => {
    expect(messageOf('current=abc')).toBe(
      'header secret is not JSON of the form {"current": "...", "previous": "..."}',
    );
  });

  it('when the JSON is not an object, then that is the error', () => {
    expect(messageOf('null')).toBe('header secret must be a JSON object');
    expect(messageOf('42')).toBe('header secret must be a JSON object');
    expect(messageOf('"a string"')).toBe('header secret must be a JSON object');
  });

  it('when current is missing, short or not text, then the error names current and the rule', () => {
    expect(messageOf('{}')).toBe('header secret "current" must be at least 32 characters');
    expect(messageOf(JSON.stringify({ current: 'short' }))).toBe(
      'header secret "current" must be at least 32 characters',
    );
    expect(messageOf(JSON.stringify({ current: 12345 }))).toBe(
      'header secret "current" must be at least 32 characters',
    );
    expect(messageOf(JSON.stringify({ current: `${current} x` }))).toBe(
      'header secret "current" must be printable ASCII without spaces or commas',
    );
  });

  it('when previous is null or missing, then only current is kept', () => {
    expect(parseHeaderSecretDocument(JSON.stringify({ current, previous: null }))).toEqual({
      current,
    });
    expect(parseHeaderSecretDocument(JSON.stringify({ current }))).toEqual({ current });
  });

  it('when previous is set but unfit, then it is refused rather than accepted', () => {
    for (const previous of ['short', 42, `${current},x`, true]) {
      expect(messageOf(JSON.stringify({ current, previous }))).toBe(
        'header secret "previous" must be empty or a valid header value',
      );
    }
  });

  it('when previous is valid, then both are kept', () => {
    const previous = newHeaderSecret();
    expect(parseHeaderSecretDocument(JSON.stringify({ current, previous }))).toEqual({
      current,
      previous,
    });
  });

  it('when only current is in the document, then only current is accepted', () => {
    expect(acceptedValuesOf({ current })).toEqual([current]);
  });
});

describe('header check, every accepted value compared', () => {
  it('when the match is the last of several accepted values, then it is still accepted', () => {
    const [a, b, c] = [newHeaderSecret(), newHeaderSecret(), newHeaderSecret()];
    expect(isAcceptedHeaderValue(c, [a, b, c])).toBe(true);
    expect(isAcceptedHeaderValue(a, [a, b, c])).toBe(true);
    expect(isAcceptedHeaderValue(newHeaderSecret(), [a, b, c])).toBe(false);
  });
});
