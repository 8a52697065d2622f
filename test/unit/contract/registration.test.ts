import fc from 'fast-check';
import { parseRegistration, registrationJson, registrationSchema } from '#contract/registration';
import {
  MAX_CUSTOM_ATTRIBUTES,
  MAX_OTHER_ATTRIBUTES,
  QUEUE_ATTRIBUTE_BUDGET_BYTES,
  REGISTRATION_MAX_BYTES,
  SQS_MAX_MESSAGE_BYTES,
} from '#contract/registration-limits';
import {
  largestRegistrations,
  mostExpensiveRegistration,
} from '../../helpers/largest-registrations';
import { apiLooksDown, classifyStatus, type DeliveryResult } from '#contract/registration-client';
import { newRegistration } from '../../../fixtures/registrations';

describe('registration schema', () => {
  it('when a registration is valid, then it parses and attributes default to {}', () => {
    const { attributes: _attributes, ...withoutAttributes } = newRegistration();
    const result = parseRegistration(withoutAttributes);
    expect(result).toMatchObject({ ok: true, registration: { attributes: {} } });
  });

  it('when a field is wrong, then the result names that field', () => {
    expect(parseRegistration({ ...newRegistration(), source: 'elsewhere' })).toMatchObject({
      ok: false,
      field: 'source',
    });
    expect(parseRegistration({ ...newRegistration(), userPoolId: 'nope' })).toMatchObject({
      ok: false,
      field: 'userPoolId',
    });
  });

  it('when the value is not an object, then the body is named', () => {
    expect(parseRegistration(undefined)).toMatchObject({ ok: false, field: '(body)' });
    expect(parseRegistration([1])).toMatchObject({ ok: false, field: '(body)' });
  });

  it('when attribute names are reserved or malformed, then they are refused', () => {
    const hostile = JSON.parse(
      JSON.stringify(newRegistration()).replace('"attributes":{', '"attributes":{"__proto__":"x",'),
    ) as unknown;
    expect(parseRegistration(hostile)).toMatchObject({ ok: false });
    expect(
      parseRegistration({ ...newRegistration(), attributes: { 'bad name': 'x' } }),
    ).toMatchObject({ ok: false, field: 'attributes.bad name' });
  });

  it('when a name uses letters, marks or symbols beyond ASCII, as Cognito allows, then it is accepted', () => {
    const attributes = { 'custom:número': 'x', 'custom:名前': 'y', 'custom:a+b/c': 'z' };
    expect(parseRegistration({ ...newRegistration(), attributes })).toMatchObject({ ok: true });
  });

  it('when a name is longer than 32 characters, then it is refused', () => {
    const attributes = { [`custom:${'n'.repeat(26)}`]: 'x' };
    expect(parseRegistration({ ...newRegistration(), attributes })).toMatchObject({ ok: false });
  });

  it('when 50 custom and 30 other attributes are sent, then they are accepted; one more of either is refused', () => {
    const custom = (count: number) =>
      Array.from({ length: count }, (_, i) => [`custom:c${i}`, 'v'] as const);
    const other = (count: number) =>
      Array.from({ length: count }, (_, i) => [`o${i}`, 'v'] as const);
    const parse = (entries: (readonly [string, string])[]) =>
      parseRegistration({ ...newRegistration(), attributes: Object.fromEntries(entries) });

    expect(parse([...custom(MAX_CUSTOM_ATTRIBUTES), ...other(MAX_OTHER_ATTRIBUTES)]).ok).toBe(true);
    expect(parse([...custom(MAX_CUSTOM_ATTRIBUTES + 1), ...other(0)])).toMatchObject({
      ok: false,
      message: expect.stringContaining('custom attributes'),
    });
    expect(parse([...custom(0), ...other(MAX_OTHER_ATTRIBUTES + 1)])).toMatchObject({ ok: false });
  });

  it('when an attribute value holds 2,048 characters of any Unicode (emoji count once), then it is accepted; 2,049 are refused', () => {
    const value = '😀'.repeat(2048);
    expect(parseRegistration({ ...newRegistration(), attributes: { 'custom:x': value } }).ok).toBe(
      true,
    );
    expect(
      parseRegistration({ ...newRegistration(), attributes: { 'custom:x': `${value}a` } }).ok,
    ).toBe(false);
  });

  it.each([
    ['NUL', `a${String.fromCharCode(0)}b`],
    ['a lone high surrogate', 'a\ud800b'],
    ['a lone low surrogate', '\udfff'],
  ])('when a value holds %s, then it is refused: PostgreSQL cannot store it', (_case, value) => {
    expect(
      parseRegistration({ ...newRegistration(), attributes: { 'custom:x': value } }),
    ).toMatchObject({ ok: false, field: 'attributes.custom:x' });
    expect(parseRegistration({ ...newRegistration(), username: value })).toMatchObject({
      ok: false,
      field: 'username',
    });
  });

  it.each(['__proto__', 'constructor', 'prototype'])(
    'when the reserved name %s is an attribute, then it is refused',
    (name) => {
      const hostile = JSON.parse(
        JSON.stringify(newRegistration()).replace('"attributes":{', `"attributes":{"${name}":"x",`),
      ) as unknown;
      expect(parseRegistration(hostile)).toMatchObject({ ok: false });
    },
  );
});

describe('the one size rule', () => {
  it('when the limit is derived, then it leaves room in an SQS message for the message attributes', () => {
    expect(REGISTRATION_MAX_BYTES).toBe(1_000_131);
    expect(REGISTRATION_MAX_BYTES + QUEUE_ATTRIBUTE_BUDGET_BYTES).toBeLessThanOrEqual(
      SQS_MAX_MESSAGE_BYTES,
    );
  });

  it('when the largest valid registrations are serialised, either way, then they never exceed the limit', () => {
    fc.assert(
      fc.property(largestRegistrations, (registration) => {
        expect(registrationSchema.safeParse(registration).success).toBe(true);
        expect(Buffer.byteLength(registrationJson(registration))).toBeLessThanOrEqual(
          REGISTRATION_MAX_BYTES,
        );
        expect(Buffer.byteLength(JSON.stringify(registration))).toBeLessThanOrEqual(
          REGISTRATION_MAX_BYTES,
        );
      }),
      { numRuns: 10 },
    );
  });

  it('when the single dearest registration is serialised, then it comes within 1 % of the limit: the bound is tight', () => {
    const registration = mostExpensiveRegistration();
    expect(registrationSchema.safeParse(registration).success).toBe(true);

    const bytes = Buffer.byteLength(JSON.stringify(registration));

    expect(bytes).toBeLessThanOrEqual(REGISTRATION_MAX_BYTES);
    // Names are charged 6 bytes a character but cost at most 4 (and 1 for their ASCII prefixes).
    expect(bytes).toBeGreaterThan(REGISTRATION_MAX_BYTES * 0.99);
  });

  it('when a registration holds the costliest characters, then its queue form holds only what SQS accepts and reads back exactly', () => {
    const registration = newRegistration({
      username: 'ü\u0001"\\😀\ufffe',
      attributes: { 'custom:名前': '\u2028\uffff\n名😀' },
    });

    const text = registrationJson(registration);

    // SQS's character set for a message body: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000+.
    const refusedBySqs = [...text].filter((character) => {
      const code = character.codePointAt(0) ?? 0;
      const allowed =
        [0x9, 0xa, 0xd].includes(code) ||
        (code >= 0x20 && code <= 0xd7ff) ||
        (code >= 0xe000 && code <= 0xfffd) ||
        code >= 0x10000;
      return !allowed;
    });
    expect(refusedBySqs).toEqual([]);
    expect(JSON.parse(text)).toEqual(registration);
  });
});

describe('delivery classification', () => {
  it('when the API answers 2xx, then the registration is delivered', () => {
    expect(classifyStatus(200).outcome).toBe('delivered');
    expect(classifyStatus(201).outcome).toBe('delivered');
  });

  it('when the API answers 400, then the failure is permanent', () => {
    expect(classifyStatus(400)).toEqual({ outcome: 'permanent', reason: 'invalid_request' });
  });

  it('when the API answers 409, then it is no verdict on the registration (contract v2 has no conflict) and is retried', () => {
    expect(classifyStatus(409)).toEqual({ outcome: 'retryable', reason: 'unexpected_status' });
  });

  it('when the API answers 403, 429 or 5xx, then the failure is retryable', () => {
    for (const status of [403, 429, 500, 502, 503, 504]) {
      expect(classifyStatus(status).outcome).toBe('retryable');
    }
  });

  it('when the API answers 502, 503 or 504, then it is unavailable; 500 and other 5xx are defects', () => {
    for (const status of [502, 503, 504]) {
      expect(classifyStatus(status)).toEqual({ outcome: 'retryable', reason: 'unavailable' });
    }
    for (const status of [500, 501, 505, 599]) {
      expect(classifyStatus(status)).toEqual({ outcome: 'retryable', reason: 'server_error' });
    }
  });

  it('when a delivery had no answer or a 502/503/504, then the API looks down; a 500 or a refusal does not', () => {
    const retryable = (reason: string, status?: number): DeliveryResult =>
      ({ outcome: 'retryable', reason, status, detail: 'x' }) as DeliveryResult;

    expect(apiLooksDown(retryable('timeout'))).toBe(true);
    expect(apiLooksDown(retryable('network'))).toBe(true);
    expect(apiLooksDown(retryable('unavailable', 503))).toBe(true);
    expect(apiLooksDown(retryable('server_error', 500))).toBe(false);
    expect(apiLooksDown(retryable('throttled', 429))).toBe(false);
    expect(apiLooksDown(retryable('forbidden', 403))).toBe(false);
    expect(apiLooksDown(retryable('unexpected_status', 404))).toBe(false);
    expect(
      apiLooksDown({ outcome: 'permanent', reason: 'invalid_request', status: 400, detail: 'x' }),
    ).toBe(false);
  });

  it('when any status is classified, then the outcome is one of the three and 5xx is never permanent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), (status) => {
        const { outcome } = classifyStatus(status);
        expect(['delivered', 'retryable', 'permanent']).toContain(outcome);
        if (status >= 500) expect(outcome).toBe('retryable');
      }),
    );
  });
});

describe('registration schema, exact messages', () => {
  it('when a field is wrong, then the message is the field and the rule', () => {
    expect(parseRegistration({ ...newRegistration(), sub: 'not-a-uuid' })).toEqual({
      ok: false,
      field: 'sub',
      message: 'sub: must be a UUID',
    });
    expect(parseRegistration({ ...newRegistration(), email: 'nobody' })).toEqual({
      ok: false,
      field: 'email',
      message: 'email: must be an email address',
    });
    expect(parseRegistration({ ...newRegistration(), userPoolId: 'nope' })).toEqual({
      ok: false,
      field: 'userPoolId',
      message: 'userPoolId: must be a Cognito user pool id like eu-west-1_AbC123',
    });
  });

  it('when the body carries unknown fields, then they are named together', () => {
    expect(parseRegistration({ ...newRegistration(), extra: 1, more: 2 })).toEqual({
      ok: false,
      field: 'extra, more',
      message: 'unknown field(s): extra, more',
    });
  });

  it('when the value is not an object, then the body is named in the message too', () => {
    expect(parseRegistration('text')).toMatchObject({
      ok: false,
      field: '(body)',
      message: expect.stringMatching(/^\(body\): /) as string,
    });
  });

  it('when attributes are not an object, then the attributes field is named', () => {
    expect(parseRegistration({ ...newRegistration(), attributes: 'x' })).toMatchObject({
      ok: false,
      field: 'attributes',
    });
    expect(parseRegistration({ ...newRegistration(), attributes: null })).toMatchObject({
      ok: false,
      field: 'attributes',
    });
  });

  it('when a reserved name is an attribute, then the message says it is reserved and names it', () => {
    const hostile = JSON.parse(
      JSON.stringify(newRegistration()).replace('"attributes":{', '"attributes":{"__proto__":"x",'),
    ) as unknown;
    expect(parseRegistration(hostile)).toEqual({
      ok: false,
      field: 'attributes.__proto__',
      message: 'attributes.__proto__: attribute name is reserved',
    });
    expect(
      parseRegistration({ ...newRegistration(), attributes: { constructor: 'x' } }),
    ).toMatchObject({ ok: false, message: 'attributes.constructor: attribute name is reserved' });
  });

  it('when an attribute name breaks the rules, then the key is refused, with the rule inside', () => {
    const keyIssueOf = (name: string): string[] => {
      const result = registrationSchema.safeParse({
        ...newRegistration(),
        attributes: { [name]: 'x' },
      });
      if (result.success) return [];
      const [issue] = result.error.issues;
      const inner = issue && 'issues' in issue ? (issue.issues as { message: string }[]) : [];
      return inner.map((nested) => nested.message);
    };
    expect(
      parseRegistration({ ...newRegistration(), attributes: { 'bad name': 'x' } }),
    ).toMatchObject({ ok: false, field: 'attributes.bad name' });
    expect(keyIssueOf('bad name')).toEqual([
      'attribute names are letters, marks, symbols, digits or punctuation',
    ]);
    expect(keyIssueOf(`custom:${'n'.repeat(26)}`)).toEqual([
      'attribute names are at most 32 characters',
    ]);
    const longest = `custom:${'n'.repeat(25)}`;
    expect(parseRegistration({ ...newRegistration(), attributes: { [longest]: 'x' } }).ok).toBe(
      true,
    );
  });

  it('when a value holds NUL, then the message names the rule', () => {
    expect(
      parseRegistration({ ...newRegistration(), attributes: { 'custom:x': '\u0000' } }),
    ).toMatchObject({
      message: 'attributes.custom:x: must not contain NUL or unpaired surrogates',
    });
  });

  it('when legacy dev: attributes are sent, then they count as custom ones', () => {
    const dev = Array.from({ length: MAX_CUSTOM_ATTRIBUTES + 1 }, (_, i) => [`dev:d${i}`, 'v']);
    expect(
      parseRegistration({ ...newRegistration(), attributes: Object.fromEntries(dev) }),
    ).toMatchObject({
      ok: false,
      message: `attributes: at most ${MAX_CUSTOM_ATTRIBUTES} custom attributes`,
    });
    const other = Array.from({ length: MAX_OTHER_ATTRIBUTES + 1 }, (_, i) => [`o${i}`, 'v']);
    expect(
      parseRegistration({ ...newRegistration(), attributes: Object.fromEntries(other) }),
    ).toMatchObject({
      ok: false,
      message: `attributes: at most ${MAX_OTHER_ATTRIBUTES} attributes besides the custom ones`,
    });
  });

  it('when the username is empty or 129 characters, then it is refused; 128 pass', () => {
    expect(parseRegistration({ ...newRegistration(), username: '' })).toMatchObject({
      ok: false,
      field: 'username',
    });
    expect(parseRegistration({ ...newRegistration(), username: 'u'.repeat(129) })).toMatchObject({
      ok: false,
      field: 'username',
    });
    expect(parseRegistration({ ...newRegistration(), username: 'u'.repeat(128) }).ok).toBe(true);
  });

  it('when observedAt is given, then it needs an offset and must not be before 1970', () => {
    const at = (observedAt: string) => parseRegistration({ ...newRegistration(), observedAt });
    expect(at('2030-01-01T00:00:00Z').ok).toBe(true);
    expect(at('2030-01-01T02:00:00+02:00').ok).toBe(true);
    expect(at('1970-01-01T00:00:00Z').ok).toBe(true);
    expect(at('1969-12-31T23:59:59Z')).toEqual({
      ok: false,
      field: 'observedAt',
      message: 'observedAt: must not be before 1970',
    });
    expect(at('2030-01-01T00:00:00')).toEqual({
      ok: false,
      field: 'observedAt',
      message: 'observedAt: must be an ISO-8601 date-time with an offset',
    });
  });
});

describe('registration JSON', () => {
  it('when a registration holds U+FFFE and U+FFFF, then each is written as its escape', () => {
    const registration = newRegistration({ username: 'a\ufffeb\uffffc' });

    const text = registrationJson(registration);

    expect(text).toContain('"username":"a\\ufffeb\\uffffc"');
    expect(text).toBe(
      JSON.stringify(registration).replace('\ufffe', '\\ufffe').replace('\uffff', '\\uffff'),
    );
  });
});
