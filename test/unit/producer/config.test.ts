import type { ConfigError } from '#contract/config';
import { loadConfig } from '../../../producer/config';
import { configErrorFrom } from '../../helpers/process-env';

const SECRET = 'config-test-header-secret-0123456789abcdef';
const validEnv = (): NodeJS.ProcessEnv => ({
  API_URL: 'http://127.0.0.1:3000',
  QUEUE_URL: 'http://127.0.0.1:9324/000000000000/registrations',
  AUTH_HEADER_SECRET: SECRET,
});

const problemWith = (env: NodeJS.ProcessEnv): ConfigError => configErrorFrom(() => loadConfig(env));

describe('producer config', () => {
  test('when only the required variables are set, then the documented defaults apply', () => {
    // Act
    const config = loadConfig(validEnv());

    // Assert
    expect(config).toEqual({
      apiUrl: 'http://127.0.0.1:3000',
      registrationQueueUrl: 'http://127.0.0.1:9324/000000000000/registrations',
      authHeaderName: 'x-custom-auth',
      headerSecret: { kind: 'static', value: SECRET },
      apiTimeoutMs: 1500,
      breakerOpenMs: 30_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  test('when the secret comes from Secrets Manager, then the ARN is used instead of a value', () => {
    // Arrange
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:header-AbCdEf';
    const env = { ...validEnv(), AUTH_HEADER_SECRET: undefined, AUTH_SECRET_ARN: arn };

    // Act
    const config = loadConfig(env);

    // Assert
    expect(config.headerSecret).toEqual({ kind: 'secrets-manager', secretArn: arn });
  });

  test('when timings are set, then they override the defaults', () => {
    // Act
    const config = loadConfig({ ...validEnv(), API_TIMEOUT_MS: '900', BREAKER_OPEN_MS: '5000' });

    // Assert
    expect(config.apiTimeoutMs).toBe(900);
    expect(config.breakerOpenMs).toBe(5000);
  });

  test.each([
    ['API_URL', { API_URL: undefined }],
    ['API_URL', { API_URL: 'not a url' }],
    ['QUEUE_URL', { QUEUE_URL: undefined }],
    ['API_TIMEOUT_MS', { API_TIMEOUT_MS: '-5' }],
    ['BREAKER_OPEN_MS', { BREAKER_OPEN_MS: 'soon' }],
    ['AUTH_HEADER_NAME', { AUTH_HEADER_NAME: 'bad header!' }],
    ['AUTH_SECRET_ARN', { AUTH_HEADER_SECRET: undefined, AUTH_SECRET_ARN: 'not-an-arn' }],
  ])('when %s is invalid or missing, then the error names it', (variable, overrides) => {
    // Act
    const error = problemWith({ ...validEnv(), ...overrides });

    // Assert
    expect(error.message).toContain(variable);
  });

  test.each(['http://api.example.com', 'http://10.0.0.5:3000', 'http://localhost.example.com'])(
    'when API_URL is plain http to %s (off the machine), then the error names API_URL and asks for https',
    (apiUrl) => {
      const error = problemWith({ ...validEnv(), API_URL: apiUrl });

      expect(error.message).toMatch(/API_URL: must be https/);
    },
  );

  test.each([
    'https://api.example.com',
    'http://localhost:3000',
    'http://[::1]:3000',
    'http://127.1.2.3',
  ])('when API_URL is %s (https, or http to a loopback host), then it is accepted', (apiUrl) => {
    expect(loadConfig({ ...validEnv(), API_URL: apiUrl }).apiUrl).toBe(apiUrl);
  });

  test('when plain http off the machine is opted into with ALLOW_PLAIN_HTTP_API, then it is accepted', () => {
    const env = { ...validEnv(), API_URL: 'http://api.example.com', ALLOW_PLAIN_HTTP_API: 'true' };

    expect(loadConfig(env).apiUrl).toBe('http://api.example.com');
  });

  test('when the header secret is too short, then the error names the variable but not the value', () => {
    // Arrange
    const weak = 'short-secret';

    // Act
    const error = problemWith({ ...validEnv(), AUTH_HEADER_SECRET: weak });

    // Assert
    expect(error.message).toContain('AUTH_HEADER_SECRET');
    expect(error.message).not.toContain(weak);
  });

  test('when neither or both secret sources are set, then the error names both variables', () => {
    // Arrange
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:header-AbCdEf';

    // Act
    const neither = problemWith({ ...validEnv(), AUTH_HEADER_SECRET: undefined });
    const both = problemWith({ ...validEnv(), AUTH_SECRET_ARN: arn });

    // Assert
    for (const error of [neither, both]) {
      expect(error.message).toContain('AUTH_HEADER_SECRET');
      expect(error.message).toContain('AUTH_SECRET_ARN');
    }
  });
});

describe('producer config, exact results', () => {
  test('when the secret comes from Secrets Manager, then the setting is frozen and holds only the ARN', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:header-AbCdEf';

    const config = loadConfig({
      ...validEnv(),
      AUTH_HEADER_SECRET: undefined,
      AUTH_SECRET_ARN: arn,
    });

    expect(config.headerSecret).toEqual({ kind: 'secrets-manager', secretArn: arn });
    expect(Object.isFrozen(config.headerSecret)).toBe(true);
  });

  test('when the value is given, then the setting is frozen too', () => {
    expect(Object.isFrozen(loadConfig(validEnv()).headerSecret)).toBe(true);
  });

  test('when API_URL is plain http off the machine, then the whole message is the transport rule', () => {
    expect(problemWith({ ...validEnv(), API_URL: 'http://api.example.com' }).message).toBe(
      'Invalid configuration: API_URL: must be https (plain http only to a loopback host such as ' +
        '127.0.0.1 or localhost, or with ALLOW_PLAIN_HTTP_API=true)',
    );
  });

  test('when both secret sources are set, then the message is the one shared rule', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:header-AbCdEf';

    expect(problemWith({ ...validEnv(), AUTH_SECRET_ARN: arn }).message).toBe(
      'Invalid configuration: AUTH_HEADER_SECRET: set exactly one of AUTH_HEADER_SECRET (the ' +
        'value, locally) or AUTH_SECRET_ARN (in AWS), not both or neither',
    );
  });

  test('when the header name and a timing of 1 ms are given, then they are used as given', () => {
    const config = loadConfig({
      ...validEnv(),
      AUTH_HEADER_NAME: 'X-Origin-Verify',
      API_TIMEOUT_MS: '1',
      BREAKER_OPEN_MS: '1',
    });

    expect(config).toMatchObject({
      authHeaderName: 'x-origin-verify',
      apiTimeoutMs: 1,
      breakerOpenMs: 1,
    });
    expect(problemWith({ ...validEnv(), BREAKER_OPEN_MS: '0' }).message).toMatch(
      /^Invalid configuration: BREAKER_OPEN_MS: /,
    );
  });
});
