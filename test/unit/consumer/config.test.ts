import type { ConfigError } from '#contract/config';
import { describeConfig, loadConfig } from '../../../consumer/config';
import { newHeaderSecret } from '../../../fixtures/registrations';
import { configErrorFrom } from '../../helpers/process-env';

const validEnv = (): NodeJS.ProcessEnv => ({
  QUEUE_URL: 'http://127.0.0.1:9324/123456789012/registrations',
  DLQ_URL: 'http://127.0.0.1:9324/123456789012/registrations-dlq',
  API_URL: 'http://127.0.0.1:3000',
  AUTH_HEADER_SECRET: newHeaderSecret(),
});

const errorOf = (env: NodeJS.ProcessEnv): ConfigError => configErrorFrom(() => loadConfig(env));

describe('consumer loadConfig', () => {
  it('when only the required variables are set, then the documented defaults apply', () => {
    const config = loadConfig(validEnv());

    expect(config).toMatchObject({
      headerName: 'x-custom-auth',
      apiTimeoutMs: 5000,
      deliveryConcurrency: 10,
      receiveBatchSize: 10,
      receiveWaitSeconds: 20,
      backoff: { baseSeconds: 5, maxSeconds: 900 },
      stopTimeoutMs: 25_000,
      logLevel: 'info',
    });
    expect(config.headerSecret.kind).toBe('static');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('when numbers are given as strings, then they are parsed', () => {
    const config = loadConfig({
      ...validEnv(),
      DELIVERY_CONCURRENCY: '4',
      RECEIVE_WAIT_SECONDS: '1',
      BACKOFF_BASE_SECONDS: '1',
      BACKOFF_MAX_SECONDS: '8',
    });

    expect(config.deliveryConcurrency).toBe(4);
    expect(config.receiveWaitSeconds).toBe(1);
    expect(config.backoff).toEqual({ baseSeconds: 1, maxSeconds: 8 });
  });

  it.each([
    ['QUEUE_URL', { QUEUE_URL: undefined }],
    ['QUEUE_URL', { QUEUE_URL: 'not a url' }],
    ['DLQ_URL', { DLQ_URL: '' }],
    ['API_URL', { API_URL: 'ftp://example.com' }],
    ['API_URL', { API_URL: 'http://api.example.com' }],
    ['AUTH_HEADER_SECRET', { AUTH_HEADER_SECRET: 'short' }],
    ['AUTH_HEADER_SECRET', { AUTH_HEADER_SECRET: undefined }],
    ['AUTH_SECRET_ARN', { AUTH_HEADER_SECRET: undefined, AUTH_SECRET_ARN: 'not-an-arn' }],
    ['DELIVERY_CONCURRENCY', { DELIVERY_CONCURRENCY: '0' }],
    ['RECEIVE_WAIT_SECONDS', { RECEIVE_WAIT_SECONDS: '21' }],
    ['RECEIVE_BATCH_SIZE', { RECEIVE_BATCH_SIZE: '11' }],
    ['API_TIMEOUT_MS', { API_TIMEOUT_MS: 'soon' }],
    ['BACKOFF_MAX_SECONDS', { BACKOFF_BASE_SECONDS: '60', BACKOFF_MAX_SECONDS: '30' }],
    ['BACKOFF_MAX_SECONDS', { BACKOFF_MAX_SECONDS: '50000' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
  ])('when %s is wrong, then the error names it', (variable, overrides) => {
    const error = errorOf({ ...validEnv(), ...overrides });

    expect(error.message).toContain(`${variable}:`);
  });

  it('when the header secret is too short, then the error does not echo it', () => {
    const error = errorOf({ ...validEnv(), AUTH_HEADER_SECRET: 'hunter2-secret' });

    expect(error.message).not.toContain('hunter2-secret');
  });

  it('when both a secret value and a secret ARN are set, then it refuses to guess', () => {
    const error = errorOf({
      ...validEnv(),
      AUTH_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:header-AbCdEf',
    });

    expect(error.message).toContain('AUTH_HEADER_SECRET');
    expect(error.message).toContain('not both');
  });

  it('when only a secret ARN is set, then the secret comes from Secrets Manager', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:header-AbCdEf';

    const config = loadConfig({
      ...validEnv(),
      AUTH_HEADER_SECRET: undefined,
      AUTH_SECRET_ARN: arn,
    });

    expect(config.headerSecret).toEqual({ kind: 'secrets-manager', secretArn: arn });
  });
});

describe('consumer loadConfig, bounds and messages', () => {
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:header-AbCdEf';

  it('when every setting is given, then each lands in its field', () => {
    const secret = newHeaderSecret();
    const config = loadConfig({
      QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/registrations',
      DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/registrations-dlq',
      API_URL: 'https://api.example.com',
      AUTH_HEADER_NAME: 'X-Origin-Verify',
      AUTH_HEADER_SECRET: secret,
      API_TIMEOUT_MS: '2500',
      DELIVERY_CONCURRENCY: '20',
      RECEIVE_BATCH_SIZE: '5',
      RECEIVE_WAIT_SECONDS: '0',
      BACKOFF_BASE_SECONDS: '2',
      BACKOFF_MAX_SECONDS: '600',
      STOP_TIMEOUT_MS: '30000',
      HEALTH_PORT: '8081',
      API_PROBE_INTERVAL_MS: '500',
      LOG_LEVEL: 'debug',
    });

    expect(config).toEqual({
      registrationQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/registrations',
      deadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/registrations-dlq',
      apiUrl: 'https://api.example.com',
      headerName: 'x-origin-verify',
      headerSecret: { kind: 'static', value: secret },
      apiTimeoutMs: 2500,
      deliveryConcurrency: 20,
      receiveBatchSize: 5,
      receiveWaitSeconds: 0,
      backoff: { baseSeconds: 2, maxSeconds: 600 },
      stopTimeoutMs: 30_000,
      healthPort: 8081,
      apiProbeIntervalMs: 500,
      logLevel: 'debug',
    });
    expect(Object.isFrozen(config.headerSecret)).toBe(true);
    expect(Object.isFrozen(config.backoff)).toBe(true);
  });

  it('when optional settings are unset, then there is no health port and probes come every second', () => {
    const config = loadConfig(validEnv());

    expect(config.healthPort).toBeUndefined();
    expect(config.apiProbeIntervalMs).toBe(1000);
  });

  it.each([
    ['API_TIMEOUT_MS', '100', '60000', '99', '60001'],
    ['DELIVERY_CONCURRENCY', '1', '200', '0', '201'],
    ['RECEIVE_BATCH_SIZE', '1', '10', '0', '11'],
    ['RECEIVE_WAIT_SECONDS', '0', '20', '-1', '21'],
    ['BACKOFF_BASE_SECONDS', '1', '900', '0', '1.5'],
    ['BACKOFF_MAX_SECONDS', '5', '43200', '0', '43201'],
    ['STOP_TIMEOUT_MS', '1000', '120000', '999', '120001'],
    ['HEALTH_PORT', '0', '65535', '-1', '65536'],
    ['API_PROBE_INTERVAL_MS', '100', '5000', '99', '5001'],
  ])(
    'when %s is at its bounds it passes, and just beyond them it is refused',
    (name, low, high, below, above) => {
      for (const value of [low, high]) {
        expect(() => loadConfig({ ...validEnv(), [name]: value })).not.toThrow();
      }
      for (const value of [below, above]) {
        expect(errorOf({ ...validEnv(), [name]: value }).message).toMatch(
          new RegExp(`^Invalid configuration: ${name}: `),
        );
      }
    },
  );

  it('when the backoff cap equals its base, then it is accepted; below it, refused with the rule', () => {
    expect(
      loadConfig({ ...validEnv(), BACKOFF_BASE_SECONDS: '30', BACKOFF_MAX_SECONDS: '30' }).backoff,
    ).toEqual({ baseSeconds: 30, maxSeconds: 30 });
    expect(
      errorOf({ ...validEnv(), BACKOFF_BASE_SECONDS: '30', BACKOFF_MAX_SECONDS: '29' }).message,
    ).toBe('Invalid configuration: BACKOFF_MAX_SECONDS: must not be below BACKOFF_BASE_SECONDS');
  });

  it('when the DLQ is the queue itself, then it is refused', () => {
    const env = validEnv();

    expect(errorOf({ ...env, DLQ_URL: env['QUEUE_URL'] }).message).toBe(
      'Invalid configuration: DLQ_URL: must differ from QUEUE_URL',
    );
  });

  it('when a queue URL is not http(s), then the message says it must be an SQS queue URL', () => {
    expect(errorOf({ ...validEnv(), DLQ_URL: 'ftp://example.com/q' }).message).toBe(
      'Invalid configuration: DLQ_URL: must be an SQS queue URL (http(s))',
    );
  });

  it('when several checks fail after parsing, then all are reported together', () => {
    const env = validEnv();

    const error = errorOf({
      ...env,
      API_URL: 'http://api.example.com',
      AUTH_SECRET_ARN: arn,
      BACKOFF_BASE_SECONDS: '10',
      BACKOFF_MAX_SECONDS: '5',
      DLQ_URL: env['QUEUE_URL'],
    });

    expect(error.message).toBe(
      'Invalid configuration: API_URL: must be https (plain http only to a loopback host such as ' +
        '127.0.0.1 or localhost, or with ALLOW_PLAIN_HTTP_API=true); AUTH_HEADER_SECRET: set ' +
        'exactly one of AUTH_HEADER_SECRET (the value, locally) or AUTH_SECRET_ARN (in AWS), not ' +
        'both or neither; BACKOFF_MAX_SECONDS: must not be below BACKOFF_BASE_SECONDS; DLQ_URL: ' +
        'must differ from QUEUE_URL',
    );
  });

  it('when plain http to a remote API is opted into, then it is accepted', () => {
    const config = loadConfig({
      ...validEnv(),
      API_URL: 'http://api.internal.example',
      ALLOW_PLAIN_HTTP_API: 'true',
    });

    expect(config.apiUrl).toBe('http://api.internal.example');
  });

  it('when the configuration is described for a log, then the header value is replaced by its kind', () => {
    const secret = newHeaderSecret();
    const config = loadConfig({ ...validEnv(), AUTH_HEADER_SECRET: secret });

    const described = describeConfig(config);

    expect(described['headerSecret']).toBe('static');
    expect(JSON.stringify(described)).not.toContain(secret);
    const { headerSecret: _secret, ...rest } = config;
    expect(described).toEqual({ ...rest, headerSecret: 'static' });
    expect(
      describeConfig(
        loadConfig({ ...validEnv(), AUTH_HEADER_SECRET: undefined, AUTH_SECRET_ARN: arn }),
      )['headerSecret'],
    ).toBe('secrets-manager');
  });
});
