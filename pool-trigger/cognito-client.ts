import {
  CognitoIdentityProviderClient,
  type CognitoIdentityProviderClientConfig,
} from '@aws-sdk/client-cognito-identity-provider';

/**
 * Attempts per Cognito call. UpdateUserPool shares a low per-account request quota with every
 * other pool-configuration change, so a deploy that runs beside other automation may be
 * throttled (TooManyRequestsException, which the SDK classes as throttling and retries with a
 * growing, jittered back-off). Eight attempts ride out well over a minute of it.
 */
export const COGNITO_MAX_ATTEMPTS = 8;

/**
 * The client the trigger attachment uses. "adaptive" retries also slow the client itself down
 * after a throttle instead of only spacing out the retried call.
 */
export function createCognitoClient(
  config: CognitoIdentityProviderClientConfig = {},
): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    ...config,
    maxAttempts: COGNITO_MAX_ATTEMPTS,
    retryMode: 'adaptive',
  });
}
