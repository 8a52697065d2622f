import type { ConfigError } from '#contract/config';
import { loadConfig } from '../../../consumer/config';
import { newHeaderSecret } from '../../helpers/registrations';
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
