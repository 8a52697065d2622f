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
