import fc from 'fast-check';
import { parseRegistration, REGISTRATION_MAX_BYTES } from '#contract/registration';
import { apiLooksDown, classifyStatus, type DeliveryResult } from '#contract/registration-client';
import { newRegistration } from '../../helpers/registrations';

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

  it('when more than 100 attributes are sent, then they are refused', () => {
    const attributes = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`a${i}`, 'v']));
    expect(parseRegistration({ ...newRegistration(), attributes })).toMatchObject({ ok: false });
  });

  it('when any valid registration is serialised, then it fits the body limit', () => {
    // The limit must never reject what the schema accepts at typical sizes.
    expect(JSON.stringify(newRegistration()).length).toBeLessThan(REGISTRATION_MAX_BYTES);
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
