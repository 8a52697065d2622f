import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { parseRdsSecret, secretsManagerCredentialSource } from '../../../api/database-credentials';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:usersync-app-AbCdEf';

const rdsSecret = (password: string): string =>
  JSON.stringify({
    engine: 'postgres',
    host: 'db.example.internal',
    port: 5432,
    dbname: 'usersync',
    username: 'usersync_app',
    password,
    masterarn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:master-AbCdEf',
  });

describe('database credentials from Secrets Manager', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  let clock = 0;
  const source = () =>
    secretsManagerCredentialSource({
      secretArn: SECRET_ARN,
      client: new SecretsManagerClient({ region: 'eu-west-1' }),
      minRefreshIntervalMs: 1_000,
      now: () => clock,
    });

  beforeEach(() => {
    secretsManager.reset();
    clock = 0;
  });

  it('when the secret is in RDS format, then it becomes host, port, database, user and password', () => {
    expect(parseRdsSecret(rdsSecret('pw-1'))).toEqual({
      host: 'db.example.internal',
      port: 5432,
      database: 'usersync',
      user: 'usersync_app',
      password: 'pw-1',
    });
  });

  it('when fields are missing, then the error names them and never shows a value', () => {
    const secret = JSON.stringify({ host: 'h', username: 'u', password: 'do-not-show' });
    expect(() => parseRdsSecret(secret)).toThrow('port, dbname');
    expect(() => parseRdsSecret(secret)).not.toThrow('do-not-show');
    expect(() => parseRdsSecret('{not json')).toThrow('not JSON');
  });

  it('when read repeatedly, then the secret is fetched once', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: rdsSecret('pw-1') });
    const credentials = source();

    await credentials.current();
    await credentials.current();

    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(credentials.generation).toBe(0);
  });

  it('when refreshed after a refused login, then the new password is read and the generation moves', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: rdsSecret('pw-1') })
      .resolves({ SecretString: rdsSecret('pw-2') });
    const credentials = source();
    await credentials.current();

    await credentials.refresh();

    expect((await credentials.current()).password).toBe('pw-2');
    expect(credentials.generation).toBe(1);
  });

  it('when many requests refresh at once or in quick succession, then one read serves them all', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: rdsSecret('pw-2') });
    const credentials = source();

    await Promise.all([credentials.refresh(), credentials.refresh(), credentials.refresh()]);
    clock += 999;
    await credentials.refresh();
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);

    clock += 1;
    await credentials.refresh();
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(credentials.generation).toBe(2);
  });

  it('when a read fails, then the failure is not kept and the next read tries again', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(new Error('throttled'))
      .resolves({ SecretString: rdsSecret('pw-1') });
    const credentials = source();

    await expect(credentials.current()).rejects.toThrow('throttled');
    expect((await credentials.current()).password).toBe('pw-1');
  });
});
