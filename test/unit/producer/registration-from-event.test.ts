import { registrationFromEvent } from '../../../producer/registration-from-event';
import { postConfirmationEvent } from '../../../fixtures/cognito-events';

/** When the trigger was invoked. */
const OBSERVED_AT = '2026-11-27T10:15:00.000Z';

describe('registration from a PostConfirmation event', () => {
  test('when the event is a normal sign-up, then every user attribute is carried as a string, stamped with the invocation time', () => {
    // Arrange
    const event = postConfirmationEvent({ attributes: { 'custom:plan': 'pro', name: 'Ada' } });
    const sub = event.request.userAttributes['sub'];

    // Act
    const result = registrationFromEvent(event, OBSERVED_AT);

    // Assert
    expect(result).toEqual({
      ok: true,
      registration: {
        sub,
        email: `user-${sub}@example.com`,
        username: event.userName,
        userPoolId: event.userPoolId,
        attributes: event.request.userAttributes,
        source: 'trigger',
        observedAt: OBSERVED_AT,
      },
    });
  });

  test('when the event has no email, then the result names the email field', () => {
    // Arrange
    const event = postConfirmationEvent({ email: null });

    // Act
    const result = registrationFromEvent(event, OBSERVED_AT);

    // Assert
    expect(result).toEqual(expect.objectContaining({ ok: false, field: 'email' }));
  });

  test('when the sub is not a UUID, then the result names the sub field', () => {
    // Arrange
    const event = postConfirmationEvent({ sub: 'not-a-uuid' });

    // Act
    const result = registrationFromEvent(event, OBSERVED_AT);

    // Assert
    expect(result).toEqual(expect.objectContaining({ ok: false, field: 'sub' }));
  });
});

describe('registration from an event with odd attributes', () => {
  test('when the event has no user attributes, then the sub is named as missing', () => {
    const event = postConfirmationEvent();
    delete (event.request as { userAttributes?: unknown }).userAttributes;

    expect(registrationFromEvent(event, OBSERVED_AT)).toMatchObject({ ok: false, field: 'sub' });
  });

  test('when attributes are null, undefined or not text, then the empty ones are left out and the rest become strings', () => {
    const event = postConfirmationEvent();
    const sub = event.request.userAttributes['sub'];
    Object.assign(event.request.userAttributes as Record<string, unknown>, {
      'custom:count': 3,
      'custom:flag': false,
      'custom:gone': null,
      'custom:missing': undefined,
    });

    const result = registrationFromEvent(event, OBSERVED_AT);

    expect(result.ok).toBe(true);
    const attributes = result.ok ? result.registration.attributes : {};
    expect(attributes).toEqual({
      sub,
      email: `user-${sub}@example.com`,
      email_verified: 'true',
      'cognito:user_status': 'CONFIRMED',
      'custom:count': '3',
      'custom:flag': 'false',
    });
  });
});
