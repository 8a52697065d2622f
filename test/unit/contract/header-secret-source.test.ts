import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  secretsManagerHeaderSecretSource,
  staticHeaderSecretSource,
} from '#contract/header-secret-source';
import { newHeaderSecret } from '../../../fixtures/registrations';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:header-AbCdEf';

describe('header secret sources', () => {
  const secretsManager = mockClient(SecretsManagerClient);

  beforeEach(() => {
    secretsManager.reset();
  });

  /** A source whose secret first holds `before` alone, then (rotated) `after` with `before` as previous. */
  function rotatingSecretSource(options: { minRefreshIntervalSeconds?: number } = {}) {
    const [before, after] = [newHeaderSecret(), newHeaderSecret()];
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify({ current: before }) })
      .resolves({ SecretString: JSON.stringify({ current: after, previous: before }) });
    const source = secretsManagerHeaderSecretSource({
      secretArn: SECRET_ARN,
      client: new SecretsManagerClient({ region: 'eu-west-1' }),
      ...options,
    });
    return { before, after, source };
  }

  it('when values are static, then the first is sent and all are accepted', async () => {
    const [current, previous] = [newHeaderSecret(), newHeaderSecret()];
    const source = staticHeaderSecretSource([current, previous]);

    expect(await source.currentValue()).toBe(current);
    expect(await source.acceptedValues()).toEqual([current, previous]);
    expect(await source.refresh()).toBe(false);
  });

  it('when no static value is given, then it refuses to start', () => {
    expect(() => staticHeaderSecretSource([])).toThrow(/at least one/);
  });

  it('when the secret holds current and previous, then both are accepted and it is fetched once while cached', async () => {
    const [current, previous] = [newHeaderSecret(), newHeaderSecret()];
    secretsManager
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN })
      .resolves({ SecretString: JSON.stringify({ current, previous }) });
    const source = secretsManagerHeaderSecretSource({
      secretArn: SECRET_ARN,
      client: new SecretsManagerClient({ region: 'eu-west-1' }),
    });

    expect(await source.acceptedValues()).toEqual([current, previous]);
    expect(await source.currentValue()).toBe(current);
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('when a refresh is asked for, then it re-reads the secret, at most once per interval', async () => {
    const { before, after, source } = rotatingSecretSource({ minRefreshIntervalSeconds: 60 });
    expect(await source.currentValue()).toBe(before);

    expect(await source.refresh()).toBe(true);
    expect(await source.currentValue()).toBe(after);
    expect(await source.refresh()).toBe(false);
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('when several requests ask for a refresh at once, then they share one re-read and all see the new value', async () => {
    const { before, after, source } = rotatingSecretSource();
    await source.acceptedValues();

    const refreshed = await Promise.all([source.refresh(), source.refresh(), source.refresh()]);

    expect(refreshed).toEqual([true, true, true]);
    expect(await source.acceptedValues()).toEqual([after, before]);
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('when the secret content is invalid, then reading fails without echoing it', async () => {
    const leaked = 'too-short-to-be-a-header-value';
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ current: leaked }) });
    const source = secretsManagerHeaderSecretSource({
      secretArn: SECRET_ARN,
      client: new SecretsManagerClient({ region: 'eu-west-1' }),
    });

    const failure = await source.acceptedValues().then(
      () => new Error('expected a failure'),
      (error: unknown) => error as Error,
    );

    expect(failure.message).toMatch(/current/);
    expect(failure.message).not.toContain(leaked);
  });
});
