import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  secretsManagerHeaderSecretSource,
  senderHeaderSecretSource,
  staticHeaderSecretSource,
} from '#contract/header-secret-source';
import { newHeaderSecret } from '../../../fixtures/registrations';
import { isolateEnv } from '../../helpers/process-env';

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

describe('header secret sources, edge cases', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  const client = () => new SecretsManagerClient({ region: 'eu-west-1' });

  beforeEach(() => {
    secretsManager.reset();
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('when static values are given, then later changes to the caller’s array do not leak in', async () => {
    const values = [newHeaderSecret(), newHeaderSecret()];
    const source = staticHeaderSecretSource(values);
    const accepted = await source.acceptedValues();
    values.push('changed');

    expect(await source.acceptedValues()).toEqual(accepted);
    expect(accepted).toHaveLength(2);
    expect(Object.isFrozen(accepted)).toBe(true);
  });

  it('when the secret has no string value, then reading fails saying so', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    const source = secretsManagerHeaderSecretSource({ secretArn: SECRET_ARN, client: client() });

    await expect(source.currentValue()).rejects.toThrow('header secret has no string value');
  });

  it('when the secret asks for the ARN it was given, then that ARN is read', async () => {
    const current = newHeaderSecret();
    secretsManager
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN })
      .resolves({ SecretString: JSON.stringify({ current }) });
    const source = secretsManagerHeaderSecretSource({ secretArn: SECRET_ARN, client: client() });

    expect(await source.currentValue()).toBe(current);
    expect(secretsManager).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: SECRET_ARN,
    });
  });

  it('when the default refresh interval applies, then a second refresh is refused until 30 s have passed', async () => {
    let now = 1_900_000_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const current = newHeaderSecret();
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ current }) });
    const source = secretsManagerHeaderSecretSource({ secretArn: SECRET_ARN, client: client() });

    expect(await source.refresh()).toBe(true);
    now += 29_999;
    expect(await source.refresh()).toBe(false);
    now += 1;
    expect(await source.refresh()).toBe(true);
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('when a refresh fails, then the failure reaches the caller and the next interval may retry', async () => {
    let now = 1_900_000_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const current = newHeaderSecret();
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(new Error('AccessDeniedException'))
      .resolves({ SecretString: JSON.stringify({ current }) });
    const source = secretsManagerHeaderSecretSource({
      secretArn: SECRET_ARN,
      client: client(),
      minRefreshIntervalSeconds: 5,
    });

    await expect(source.refresh()).rejects.toThrow('AccessDeniedException');
    now += 4_999;
    expect(await source.refresh()).toBe(false);
    now += 1;
    expect(await source.refresh()).toBe(true);
  });

  it('when the value was read moments ago, then it is served from the cache until it is 300 s old', async () => {
    // The cache stamps entries with the real time and checks them against Date.now().
    let now = Date.now();
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const [first, second] = [newHeaderSecret(), newHeaderSecret()];
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify({ current: first }) })
      .resolves({ SecretString: JSON.stringify({ current: second }) });
    const source = secretsManagerHeaderSecretSource({ secretArn: SECRET_ARN, client: client() });

    expect(await source.currentValue()).toBe(first);
    now += 299_000;
    expect(await source.currentValue()).toBe(first);
    now += 2_000;
    expect(await source.currentValue()).toBe(second);
  });
});

describe('senderHeaderSecretSource', () => {
  const secretsManager = mockClient(SecretsManagerClient);

  beforeEach(() => {
    secretsManager.reset();
  });

  it('when the setting is a static value, then that value is sent and nothing is read', async () => {
    const value = newHeaderSecret();

    const source = senderHeaderSecretSource({ kind: 'static', value });

    expect(await source.currentValue()).toBe(value);
    expect(await source.acceptedValues()).toEqual([value]);
    expect(secretsManager).not.toHaveReceivedAnyCommand();
  });

  it('when the setting is a secret, then the given client reads that secret', async () => {
    const current = newHeaderSecret();
    secretsManager
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN })
      .resolves({ SecretString: JSON.stringify({ current }) });

    const source = senderHeaderSecretSource(
      { kind: 'secrets-manager', secretArn: SECRET_ARN },
      new SecretsManagerClient({ region: 'eu-west-1' }),
    );

    expect(await source.currentValue()).toBe(current);
    expect(secretsManager).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: SECRET_ARN,
    });
  });

  it('when the setting is a secret and no client is given, then a default client reads it', async () => {
    const restore = isolateEnv(['AWS_REGION']);
    process.env['AWS_REGION'] = 'eu-west-1';
    try {
      const current = newHeaderSecret();
      secretsManager
        .on(GetSecretValueCommand, { SecretId: SECRET_ARN })
        .resolves({ SecretString: JSON.stringify({ current }) });

      const source = senderHeaderSecretSource({ kind: 'secrets-manager', secretArn: SECRET_ARN });

      expect(await source.currentValue()).toBe(current);
    } finally {
      restore();
    }
  });
});
