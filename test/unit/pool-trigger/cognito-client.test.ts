import { DescribeUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import { COGNITO_MAX_ATTEMPTS, createCognitoClient } from '../../../pool-trigger/cognito-client';
import { awsJsonError, startAwsJsonEndpoint } from '../../helpers/aws-json-endpoint';

/**
 * A loopback stand-in for Cognito's JSON endpoint that throttles the first `throttled` calls
 * the way Cognito does (400, TooManyRequestsException) and then answers.
 */
async function throttlingCognito(throttled: number) {
  const cognito = await startAwsJsonEndpoint(() =>
    cognito.calls.length <= throttled
      ? awsJsonError('TooManyRequestsException', 'Rate exceeded')
      : { status: 200, body: JSON.stringify({ UserPool: { Id: 'eu-west-1_TeamPool42' } }) },
  );
  return {
    endpoint: cognito.url,
    get targets() {
      return cognito.calls.map((call) => call.target);
    },
    close: () => cognito.close(),
  };
}

describe('the trigger attachment’s Cognito client', () => {
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

  test('when Cognito throttles a call, then the SDK retries it and the call succeeds', async () => {
    const cognito = await throttlingCognito(2);
    try {
      const client = createCognitoClient({
        endpoint: cognito.endpoint,
        region: 'eu-west-1',
        credentials,
      });

      const answer = await client.send(
        new DescribeUserPoolCommand({ UserPoolId: 'eu-west-1_TeamPool42' }),
      );

      expect(answer.UserPool?.Id).toBe('eu-west-1_TeamPool42');
      expect(answer.$metadata.attempts).toBe(3);
      expect(cognito.targets).toStrictEqual(
        Array(3).fill('AWSCognitoIdentityProviderService.DescribeUserPool'),
      );
    } finally {
      await cognito.close();
    }
  });

  test('the client makes several attempts before giving up', async () => {
    const client = createCognitoClient({ region: 'eu-west-1', credentials });

    expect(await client.config.maxAttempts()).toBe(COGNITO_MAX_ATTEMPTS);
    expect(COGNITO_MAX_ATTEMPTS).toBeGreaterThanOrEqual(5);
  });
});
