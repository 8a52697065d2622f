import type { DeliveryResult } from '#contract/registration-client';
import type { StoredUser } from '#contract/user';
import { actionFor, readRegistration } from '../../../consumer/message-classification';
import { newRegistration } from '../../../fixtures/registrations';

describe('readRegistration', () => {
  it('when the body is a registration from the trigger, then it is delivered with source "queue"', () => {
    const registration = newRegistration({ source: 'trigger' });

    const result = readRegistration(JSON.stringify(registration));

    expect(result).toEqual({ ok: true, registration: { ...registration, source: 'queue' } });
  });

  it.each([
    ['an empty body', '', 'empty message body'],
    ['a body that is not JSON', '{"sub":', 'message body is not JSON'],
    ['a JSON array', '[1,2]', 'message body is not a JSON object'],
    ['JSON null', 'null', 'message body is not a JSON object'],
  ])('when the message has %s, then it is an invalid body', (_case, body, detail) => {
    expect(readRegistration(body)).toEqual({ ok: false, reason: 'invalid_body', detail });
  });

  it('when a field breaks the contract, then the detail names the field', () => {
    const body = JSON.stringify({ ...newRegistration(), email: 'not-an-email' });

    const result = readRegistration(body);

    expect(result.ok).toBe(false);
    expect(!result.ok && result.detail).toMatch(/^email:/);
  });

  it('when the body carries an unknown field, then it is an invalid body naming it', () => {
    const body = JSON.stringify({ ...newRegistration(), password: 'x' });

    const result = readRegistration(body);

    expect(!result.ok && result.detail).toContain('password');
  });
});

describe('actionFor', () => {
  const user = {} as StoredUser;

  it.each<[string, DeliveryResult, string]>([
    [
      'a 201',
      { outcome: 'delivered', status: 201, created: true, change: 'created', user },
      'delete',
    ],
    [
      'a 200 (replay)',
      { outcome: 'delivered', status: 200, created: false, change: 'unchanged', user },
      'delete',
    ],
    [
      'a 200 (stale)',
      { outcome: 'delivered', status: 200, created: false, change: 'stale', user },
      'delete',
    ],
    ['a 503', { outcome: 'retryable', reason: 'server_error', status: 503, detail: 'x' }, 'retry'],
    ['a 429', { outcome: 'retryable', reason: 'throttled', status: 429, detail: 'x' }, 'retry'],
    ['a 403', { outcome: 'retryable', reason: 'forbidden', status: 403, detail: 'x' }, 'retry'],
    ['a timeout', { outcome: 'retryable', reason: 'timeout', detail: 'x' }, 'retry'],
    ['a network error', { outcome: 'retryable', reason: 'network', detail: 'x' }, 'retry'],
    [
      'a 413',
      { outcome: 'permanent', reason: 'rejected', status: 413, detail: 'x' },
      'dead-letter',
    ],
    [
      'a 400',
      { outcome: 'permanent', reason: 'invalid_request', status: 400, detail: 'x' },
      'dead-letter',
    ],
  ])('when the API answers with %s, then the message gets "%s"', (_case, result, action) => {
    expect(actionFor(result).action).toBe(action);
  });

  it('when a permanent failure is mapped, then reason, status and detail are kept for the DLQ', () => {
    const action = actionFor({
      outcome: 'permanent',
      reason: 'rejected',
      status: 413,
      detail: 'request body exceeds 1 bytes',
    });

    expect(action).toEqual({
      action: 'dead-letter',
      reason: 'rejected',
      status: 413,
      detail: 'request body exceeds 1 bytes',
    });
  });
});

describe('readRegistration without a body', () => {
  it('when the message has no body at all, then it is an empty body', () => {
    expect(readRegistration(undefined)).toEqual({
      ok: false,
      reason: 'invalid_body',
      detail: 'empty message body',
    });
  });

  it('when the body is a JSON string or number, then it is not an object', () => {
    expect(readRegistration('"text"')).toMatchObject({
      detail: 'message body is not a JSON object',
    });
    expect(readRegistration('42')).toMatchObject({ detail: 'message body is not a JSON object' });
  });
});
