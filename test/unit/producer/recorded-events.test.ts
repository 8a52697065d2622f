import type { PostConfirmationTriggerEvent } from 'aws-lambda';
import { registrationFromEvent } from '../../../producer/registration-from-event';
import { postConfirmationEvent } from '../../helpers/cognito-events';
import recordedForgotPassword from './fixtures/cognito-local-confirm-forgot-password.json';
import recordedSignUp from './fixtures/cognito-local-confirm-sign-up.json';

// Recorded from the local pool (see fixtures/README.md for how they differ from real Cognito).
const signUp = recordedSignUp as PostConfirmationTriggerEvent;
const forgotPassword = recordedForgotPassword as PostConfirmationTriggerEvent;

const shapeOf = (event: PostConfirmationTriggerEvent): unknown => ({
  top: Object.keys(event).sort(),
  callerContext: Object.keys(event.callerContext).sort(),
  request: Object.keys(event.request).sort(),
});

describe('events recorded from the local user pool', () => {
  test('when the pool confirms a sign-up, then its event becomes a registration of that user', () => {
    // Act
    const result = registrationFromEvent(signUp);

    // Assert
    const sub = signUp.request.userAttributes['sub'];
    expect(result).toEqual({
      ok: true,
      registration: {
        sub,
        email: 'jane.doe@example.com',
        username: sub,
        userPoolId: 'us-east-1_LocalSync',
        attributes: {
          sub,
          email: 'jane.doe@example.com',
          name: 'Jane Doe',
          'cognito:user_status': 'CONFIRMED',
        },
        source: 'trigger',
      },
    });
  });

  test('when the hand-built events of the unit tests are compared with the recorded ones, then they have the same shape', () => {
    // Arrange
    const handBuilt = postConfirmationEvent();

    // Assert
    expect(shapeOf(handBuilt)).toEqual(shapeOf(signUp));
    expect(shapeOf(postConfirmationEvent({ triggerSource: forgotPassword.triggerSource }))).toEqual(
      shapeOf(forgotPassword),
    );
    expect(forgotPassword.request.userAttributes).toEqual(signUp.request.userAttributes);
  });
});
