import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { seedPreviousHeaderValue } from '../../../rotation/seed-previous';
import { newHeaderSecret } from '../../helpers/registrations';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:header-AbCdEf';

describe('seeding the previous header value', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  const client = new SecretsManagerClient({ region: 'eu-west-1' });

  beforeEach(() => {
    secretsManager.reset();
  });

  it('when a new secret holds only current, then previous is written as the same value', async () => {
    const current = newHeaderSecret();
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ current }) });

    expect(await seedPreviousHeaderValue(client, SECRET_ARN)).toBe(true);

    expect(secretsManager).toHaveReceivedCommandWith(PutSecretValueCommand, {
      SecretId: SECRET_ARN,
      SecretString: JSON.stringify({ current, previous: current }),
    });
  });

  it('when the secret has a previous value already (it was rotated), then it is left alone', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ current: newHeaderSecret(), previous: newHeaderSecret() }),
    });

    expect(await seedPreviousHeaderValue(client, SECRET_ARN)).toBe(false);

    expect(secretsManager).not.toHaveReceivedCommand(PutSecretValueCommand);
  });
});
